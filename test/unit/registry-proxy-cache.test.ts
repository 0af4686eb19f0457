// The pull-through cache's pure parts: its configuration (distribution's proxy keys and proxy.upstreams),
// which upstream a repository comes from and its name there, and how long a tag lookup is trusted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/registry/base/config.js';
import { DEFAULT_TAG_TTL_MS, parseProxyConfig, parseTtl } from '../../src/registry/base/proxy-config.js';
import { TagFreshness } from '../../src/registry/proxy/tag-freshness.js';
import { cachedNamespace, routeRepository } from '../../src/registry/proxy/upstream-routing.js';

test('distribution\'s proxy section makes every repository a copy of remoteurl, under the same name', () => {
  const proxy = parseProxyConfig({ remoteurl: 'https://mirror.example.org/', username: 'u', password: 'p', ttl: '10m' })!;
  assert.deepEqual(proxy.upstreams, [{
    prefix: '', url: 'https://mirror.example.org', username: 'u', password: 'p', ttlMs: 600_000, library: false,
  }]);
  assert.deepEqual(routeRepository(proxy, 'team/app'), { upstream: proxy.upstreams[0], remoteName: 'team/app' });
  assert.equal(routeRepository(proxy, 'busybox')!.remoteName, 'busybox');
});

test('Docker Hub as remoteurl: single-name repositories are its library/ images', () => {
  const proxy = parseProxyConfig({ remoteurl: 'https://registry-1.docker.io' })!;
  assert.equal(routeRepository(proxy, 'busybox')!.remoteName, 'library/busybox');
  assert.equal(routeRepository(proxy, 'library/busybox')!.remoteName, 'library/busybox');
  assert.equal(routeRepository(proxy, 'grafana/grafana')!.remoteName, 'grafana/grafana');
});

test('prefixes route to their upstream with the prefix taken off; the longest prefix wins; others are not cached', () => {
  const proxy = parseProxyConfig({
    upstreams: [
      { prefix: 'docker.io', url: 'https://registry-1.docker.io', ttl: '1h' },
      { prefix: 'ghcr.io', url: 'https://ghcr.io' },
      { prefix: 'ghcr.io/special', url: 'http://127.0.0.1:5001', library: true },
    ],
  })!;
  assert.deepEqual(proxy.upstreams.map((u) => u.prefix), ['ghcr.io/special', 'docker.io', 'ghcr.io']);
  const ghcr = routeRepository(proxy, 'ghcr.io/org/img')!;
  assert.equal(ghcr.upstream.url, 'https://ghcr.io');
  assert.equal(ghcr.remoteName, 'org/img');
  assert.equal(ghcr.upstream.ttlMs, DEFAULT_TAG_TTL_MS);
  assert.equal(routeRepository(proxy, 'ghcr.io/solo')!.remoteName, 'solo', 'ghcr.io keeps single names');
  assert.equal(routeRepository(proxy, 'docker.io/busybox')!.remoteName, 'library/busybox');
  assert.equal(routeRepository(proxy, 'docker.io/bitnami/redis')!.remoteName, 'bitnami/redis');
  assert.equal(routeRepository(proxy, 'docker.io/busybox')!.upstream.ttlMs, 3_600_000);
  const special = routeRepository(proxy, 'ghcr.io/special/tool')!;
  assert.equal(special.upstream.url, 'http://127.0.0.1:5001');
  assert.equal(special.remoteName, 'library/tool');
  assert.equal(routeRepository(proxy, 'team/app'), undefined, 'a repository under no prefix is an ordinary one');
  assert.equal(routeRepository(proxy, 'docker.iox/app'), undefined, 'a prefix matches whole path components');
  assert.equal(routeRepository(proxy, 'docker.io'), undefined);
  assert.equal(cachedNamespace(proxy, 'docker.io')!.prefix, 'docker.io', 'the bare prefix is the cache\'s namespace');
  assert.equal(routeRepository(undefined, 'team/app'), undefined);
});

test('prefix upstreams and remoteurl together: prefixes first, remoteurl takes the rest', () => {
  const proxy = parseProxyConfig({ remoteurl: 'http://127.0.0.1:5000', upstreams: [{ prefix: 'ghcr.io', url: 'https://ghcr.io' }] })!;
  assert.equal(routeRepository(proxy, 'ghcr.io/a/b')!.upstream.url, 'https://ghcr.io');
  assert.equal(routeRepository(proxy, 'team/app')!.upstream.url, 'http://127.0.0.1:5000');
});

test('what cannot be honoured is refused with the key named', () => {
  const refused = (section: unknown, pattern: RegExp) => assert.throws(() => parseProxyConfig(section), pattern);
  refused({ remoteurl: 'ftp://x' }, /proxy.remoteurl: ftp:\/\/x must be http or https/);
  refused({ remoteurl: 'https://x.example/v2' }, /must be the root of a registry/);
  refused({ remoteurl: 'not a url' }, /is not a URL/);
  refused({ remoteurl: 'https://x.example', username: 'u' }, /needs both username and password/);
  refused({ remoteurl: 'https://x.example', ttl: 'soon' }, /proxy: ttl "soon": time: invalid duration/);
  refused({ remoteurl: 'https://x.example', ttl: '-1h' }, /must not be negative/);
  refused({ remoteurl: 'https://x.example', exec: { command: 'helper' } }, /proxy.exec .* is not supported/);
  refused({ username: 'u', password: 'p' }, /belong to proxy.remoteurl, which is not set/);
  refused({ upstreams: { prefix: 'a' } }, /proxy.upstreams must be a list/);
  refused({ upstreams: [{ prefix: 'Docker.io', url: 'https://x.example' }] }, /proxy.upstreams\[0\].prefix must be a repository namespace/);
  refused({ upstreams: [{ prefix: 'a', url: 'https://x.example', colour: 'red' }] }, /proxy.upstreams\[0\]: unknown key colour/);
  refused({ upstreams: [{ prefix: 'a', url: 'https://x.example' }, { prefix: 'a/', url: 'https://y.example' }] }, /prefix a is configured twice/);
  refused({ upstreams: [{ prefix: 'a' }] }, /proxy.upstreams\[0\].url needs the upstream's URL/);
  assert.equal(parseProxyConfig(undefined), undefined);
  assert.equal(parseProxyConfig({ upstreams: [] }), undefined);
});

test('ttl: Go durations or seconds; unset is the default; 0 asks the upstream every time', () => {
  assert.equal(parseTtl('168h', 'proxy'), 168 * 3_600_000);
  assert.equal(parseTtl('1m30s', 'proxy'), 90_000);
  assert.equal(parseTtl(45, 'proxy'), 45_000);
  assert.equal(parseTtl(undefined, 'proxy'), DEFAULT_TAG_TTL_MS);
  assert.equal(parseTtl('0', 'proxy'), 0);
  const clock = { t: 1_000 };
  const fresh = new TagFreshness(() => clock.t);
  assert.equal(fresh.isFresh('a:1', 10_000), false, 'never looked up');
  fresh.markChecked('a:1');
  clock.t += 9_999;
  assert.equal(fresh.isFresh('a:1', 10_000), true, 'within the ttl');
  assert.equal(fresh.isFresh('a:1', 0), false, 'ttl 0: always ask');
  clock.t += 1;
  assert.equal(fresh.isFresh('a:1', 10_000), false, 'the ttl has run out');
  fresh.markChecked('a:1');
  assert.equal(fresh.isFresh('a:1', 10_000), true, 'a new lookup starts a new ttl');
  fresh.forget('a:1');
  assert.equal(fresh.isFresh('a:1', 10_000), false);
});

test('tag lookups are bounded: the oldest is forgotten first', () => {
  const fresh = new TagFreshness(() => 0, 2);
  fresh.markChecked('a');
  fresh.markChecked('b');
  fresh.markChecked('a');
  fresh.markChecked('c');
  assert.equal(fresh.size, 2);
  assert.equal(fresh.isFresh('b', 1), false, 'b was the oldest');
  assert.equal(fresh.isFresh('a', 1), true);
  assert.equal(fresh.isFresh('c', 1), true);
});

test('config.yml and REGISTRY_PROXY_* variables reach the proxy section; errors are configuration errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-proxy-config-'));
  try {
    const path = join(dir, 'config.yml');
    writeFileSync(path, 'proxy:\n  upstreams:\n    - {prefix: ghcr.io, url: "https://ghcr.io", ttl: 30s}\n');
    const config = loadConfig(path, { REGISTRY_PROXY_REMOTEURL: 'http://127.0.0.1:5000', REGISTRY_PROXY_TTL: '2m' });
    assert.deepEqual(config.warnings, []);
    assert.deepEqual(config.proxy!.upstreams.map((u) => [u.prefix, u.url, u.ttlMs]), [['ghcr.io', 'https://ghcr.io', 30_000], ['', 'http://127.0.0.1:5000', 120_000]]);
    assert.throws(() => loadConfig(undefined, { REGISTRY_PROXY_REMOTEURL: 'gopher://x' }), { name: 'ConfigError', message: /must be http or https/ });
    assert.equal(loadConfig(undefined, {}).proxy, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
