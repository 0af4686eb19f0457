import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ContextStore, DEFAULT_CONTEXT, configuredContext, currentContextName, setConfiguredContext, validateContextName,
} from '../../src/cli/client/contexts.js';
import { resolveTarget } from '../../src/cli/client/host.js';
import { parseEndpointFlag } from '../../src/cli/commands/contexts.js';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-ctx-unit-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const sha = (name: string): string => createHash('sha256').update(name).digest('hex');

describe('context store', () => {
  it('keeps a context in docker\'s layout: meta/<sha256>/meta.json and tls/<sha256>/docker/*.pem', async () => {
    const store = new ContextStore(dir);
    await store.save({ Name: 'remote', Metadata: { Description: 'far' }, Endpoints: { docker: { Host: 'tcp://h:2376', SkipTLSVerify: false } } });
    await store.resetTls('remote', { ca: Buffer.from('CA'), key: Buffer.from('KEY') });
    const metaPath = join(dir, 'contexts', 'meta', sha('remote'), 'meta.json');
    assert.deepEqual(JSON.parse(await readFile(metaPath, 'utf8')),
      { Name: 'remote', Metadata: { Description: 'far' }, Endpoints: { docker: { Host: 'tcp://h:2376', SkipTLSVerify: false } } });
    const tlsDir = join(dir, 'contexts', 'tls', sha('remote'), 'docker');
    assert.equal(await readFile(join(tlsDir, 'ca.pem'), 'utf8'), 'CA');
    assert.equal((await stat(join(tlsDir, 'key.pem'))).mode & 0o777, 0o600);
    assert.deepEqual(store.tlsFileNames('remote'), ['ca.pem', 'key.pem']);
    assert.deepEqual(store.list().map((c) => c.Name), ['remote']);

    await store.resetTls('remote', undefined);
    assert.equal(store.tls('remote'), undefined);
    await store.remove('remote');
    assert.equal(store.find('remote'), undefined);
    assert.equal(existsSync(join(dir, 'contexts', 'meta', sha('remote'))), false);
  });

  it('reports a missing context with docker\'s words', () => {
    const store = new ContextStore(dir);
    assert.throws(() => store.get('nope'), {
      message: `context "nope": context not found: open ${join(dir, 'contexts', 'meta', sha('nope'), 'meta.json')}: no such file or directory`,
    });
  });

  it('validates names as docker does', () => {
    assert.throws(() => validateContextName('default'), { message: '"default" is a reserved context name' });
    assert.throws(() => validateContextName('a b'), /context name "a b" is invalid, names are validated against regexp "\^\[a-zA-Z0-9\]/);
    assert.throws(() => validateContextName('x'), /is invalid/);
    assert.doesNotThrow(() => validateContextName('my-ctx_1.2+x'));
  });

  it('keeps currentContext in config.json beside the other keys; "default" removes it', async () => {
    const config = await mkdtemp(join(dir, 'cfg-'));
    await writeFile(join(config, 'config.json'), JSON.stringify({ auths: { 'r.example': { auth: 'eDp5' } } }));
    setConfiguredContext({ config }, 'remote');
    assert.equal(configuredContext({ config }), 'remote');
    setConfiguredContext({ config }, DEFAULT_CONTEXT);
    const saved = JSON.parse(await readFile(join(config, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(saved, { auths: { 'r.example': { auth: 'eDp5' } } });
  });
});

describe('context resolution', () => {
  let config: string;
  before(async () => {
    config = await mkdtemp(join(dir, 'res-'));
    await writeFile(join(config, 'config.json'), JSON.stringify({ currentContext: 'fromconfig' }));
  });

  it('follows docker 28: --context, then -H or a host variable (default), then the context variables, then config.json', () => {
    assert.equal(currentContextName({ config, context: 'flag' }, { DOCKER_HOST: 'unix:///h', DOCKER_CONTEXT: 'env' }), 'flag');
    assert.equal(currentContextName({ config, host: ['unix:///h'] }, { DOCKER_CONTEXT: 'env' }), DEFAULT_CONTEXT);
    assert.equal(currentContextName({ config }, { DOCKER_HOST: 'unix:///h', DOCKER_CONTEXT: 'env' }), DEFAULT_CONTEXT);
    assert.equal(currentContextName({ config }, { BERTH_HOST: 'unix:///h', BERTH_CONTEXT: 'env' }), DEFAULT_CONTEXT);
    assert.equal(currentContextName({ config }, { DOCKER_CONTEXT: 'denv', BERTH_CONTEXT: 'benv' }), 'benv');
    assert.equal(currentContextName({ config }, { DOCKER_CONTEXT: 'denv' }), 'denv');
    assert.equal(currentContextName({ config }, {}), 'fromconfig');
    assert.equal(currentContextName({ config: join(config, 'empty') }, {}), DEFAULT_CONTEXT);
  });

  it('refuses -H with --context in docker\'s words', () => {
    assert.throws(() => currentContextName({ config, context: 'x', host: ['unix:///h'] }, {}),
      { message: 'conflicting options: cannot specify both --host and --context' });
  });

  it('reaches a stored context\'s endpoint with its TLS material; refuses the TLS flags beside it', async () => {
    const store = new ContextStore(config);
    await store.save({ Name: 'tls', Metadata: {}, Endpoints: { docker: { Host: 'tcp://h', SkipTLSVerify: true } } });
    await store.resetTls('tls', { ca: Buffer.from('CA') });
    const target = resolveTarget({ config, context: 'tls' }, {});
    assert.equal(target.display, 'tcp://h:2376');
    assert.equal(target.tls?.verify, false);
    assert.equal(target.tls?.ca?.toString(), 'CA');
    assert.throws(() => resolveTarget({ config, context: 'tls', tlsverify: true }, {}), /--tlsverify applies to the default context only/);
    assert.throws(() => resolveTarget({ config }, {}), /Failed to initialize: unable to resolve docker endpoint: context "fromconfig": context not found/);
    assert.equal(resolveTarget({ config, context: DEFAULT_CONTEXT }, { DOCKER_HOST: 'unix:///d.sock' }).socketPath, '/d.sock');
  });
});

describe('--docker flag', () => {
  it('reads CSV key=value pairs and merges repeated flags', () => {
    assert.equal(parseEndpointFlag([]), undefined);
    assert.deepEqual(parseEndpointFlag(['host=unix:///a,skip-tls-verify=true', '"ca=/x,y"']),
      { host: 'unix:///a', 'skip-tls-verify': 'true', ca: '/x,y' });
    assert.throws(() => parseEndpointFlag(['host']), /host must be formatted as key=value/);
  });
});
