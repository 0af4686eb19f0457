import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, html, pagePath, trustedHtml } from './html.js';
import { formatCount, formatSize, shortDigest, timeAgo } from './format.js';

test('escapeHtml escapes the five characters that matter in text and quoted attributes', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
});

test('html escapes every value, keeps its own pieces and trusted constants as they are', () => {
  const name = '<script>alert(1)</script>';
  const inner = html`<b>${name}</b>`;
  const page = html`<p title="${'" onmouseover="x'}">${inner}${trustedHtml('<hr>')}</p>`;
  assert.equal(page.value, '<p title="&quot; onmouseover=&quot;x"><b>&lt;script&gt;alert(1)&lt;/script&gt;</b><hr></p>');
});

test('html joins arrays, drops null, undefined and booleans, prints numbers', () => {
  assert.equal(html`${['<a>', html`<i>`, 3]}|${null}${undefined}${false}${true}|${0}`.value, '&lt;a&gt;<i>3||0');
});

test('pagePath percent-encodes each segment and keeps the slashes of a repository name', () => {
  assert.equal(pagePath('r', 'team', 'sub/app'), '/r/team/sub/app');
  assert.equal(pagePath('u', 'a b?c#/"'), '/u/a%20b%3Fc%23/%22');
});

test('sizes, counts, times and digests read as on Docker Hub', () => {
  assert.equal(formatSize(999), '999 B');
  assert.equal(formatSize(2_150_000), '2.15 MB');
  assert.equal(formatSize(1_000_000), '1 MB');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1234), '1.2K');
  assert.equal(formatCount(56_000_000), '56M');
  const now = Date.parse('2025-01-10T12:00:00Z');
  assert.equal(timeAgo('2025-01-10T11:59:30Z', now), 'just now');
  assert.equal(timeAgo('2025-01-10T11:00:00Z', now), '1 hour ago');
  assert.equal(timeAgo('2025-01-07T12:00:00Z', now), '3 days ago');
  assert.equal(timeAgo(undefined, now), 'never');
  assert.equal(shortDigest('sha256:0123456789abcdef0123'), 'sha256:0123456789ab');
});
