import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown } from './markdown.js';

const render = (md: string) => renderMarkdown(md).value;

test('markdown renders headings, emphasis, lists, code, tables and links', () => {
  const out = render('# Tool\n\n*fast* and **small**\n\n- one\n- two\n\n```sh\ndocker run tool < in\n```\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n[docs](https://example.org/docs)');
  assert.match(out, /<h1>Tool<\/h1>/);
  assert.match(out, /<em>fast<\/em> and <strong>small<\/strong>/);
  assert.match(out, /<li>one<\/li>/);
  assert.match(out, /<code class="language-sh">docker run tool &lt; in/);
  assert.match(out, /<th align="left">a<\/th>/);
  assert.match(out, /<a href="https:\/\/example.org\/docs" rel="nofollow noopener noreferrer">docs<\/a>/);
});

test('a description cannot inject script: script and style elements, on* attributes, javascript: links go', () => {
  const out = render([
    '<script>window.pwned=1</script>',
    '<img src=x onerror="window.pwned=1">',
    '[a](javascript:alert(1)) <a href="javascript:alert(1)">b</a> <a href="JaVaScRiPt:alert(1)">c</a>',
    '<svg onload=alert(1)><circle/></svg><iframe src="https://example.org"></iframe><style>body{display:none}</style>',
    '<form action="/logout" method="post"><button>x</button></form><object data="x"></object><embed src="x">',
    '<a href="https://example.org" onclick="alert(1)" style="position:fixed">d</a> <b style="color:red">e</b>',
    '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
  ].join('\n\n'));
  assert.doesNotMatch(out, /<script|window\.pwned|onerror|onload|onclick|href="[^"]*javascript:|<svg|<iframe|<style|<form|<object|<embed|style=|data:/i);
  assert.match(out, /<img src="x" \/>/);
  assert.match(out, /<a href="https:\/\/example.org" rel="nofollow noopener noreferrer">d<\/a>/);
});

test('HTML that is safe stays: details, images over https, line breaks', () => {
  const out = render('<details><summary>More</summary>\n\nhidden\n\n</details>\n\n<img src="https://example.org/badge.svg" alt="build">');
  assert.match(out, /<details><summary>More<\/summary>/);
  assert.match(out, /<img src="https:\/\/example.org\/badge.svg" alt="build" \/>/);
});
