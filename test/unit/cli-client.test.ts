import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, encodeFilters } from '../../src/cli/client/api-client.js';
import { ConnectError, DaemonError } from '../../src/cli/base/errors.js';
import { DEFAULT_HOST, parseHost, resolveTarget } from '../../src/cli/client/host.js';
import { FrameDecoder } from '../../src/cli/client/streams.js';
import { parseRestartPolicy } from '../../src/cli/commands/container-config.js';
import { parseTimestamp } from '../../src/cli/commands/container-logs.js';

describe('host selection', () => {
  it('prefers -H, then BERTH_HOST, then DOCKER_HOST, then the default socket', () => {
    assert.equal(resolveTarget({}, {}).display, DEFAULT_HOST);
    assert.equal(resolveTarget({}, { DOCKER_HOST: 'unix:///d.sock' }).socketPath, '/d.sock');
    assert.equal(resolveTarget({}, { DOCKER_HOST: 'unix:///d.sock', BERTH_HOST: 'unix:///b.sock' }).socketPath, '/b.sock');
    assert.equal(resolveTarget({ host: ['unix:///h.sock'] }, { BERTH_HOST: 'unix:///b.sock' }).socketPath, '/h.sock');
  });

  it('parses tcp hosts with docker\'s default ports', () => {
    assert.deepEqual(parseHost('tcp://10.0.0.1:2375'), { display: 'tcp://10.0.0.1:2375', hostname: '10.0.0.1', port: 2375, tls: undefined });
    assert.equal(parseHost('tcp://example.com').port, 2375);
    assert.equal(parseHost('tcp://example.com', { verify: true }).port, 2376);
    assert.throws(() => parseHost('ssh://x'), /unsupported host protocol/);
  });
});

describe('api client', () => {
  const dirs: string[] = [];
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

  async function fakeDaemon(apiVersion: string | undefined, handler: http.RequestListener): Promise<{ socket: string; seen: string[]; close: () => Promise<void> }> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-cli-client-'));
    dirs.push(dir);
    const socket = join(dir, 'd.sock');
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/_ping') {
        if (apiVersion) res.setHeader('Api-Version', apiVersion);
        res.end('OK');
        return;
      }
      handler(req, res);
    });
    await new Promise<void>((r) => server.listen(socket, r));
    return { socket, seen, close: () => new Promise((r) => server.close(() => r())) };
  }

  it('negotiates down to the server version and prefixes paths', async () => {
    const d = await fakeDaemon('1.41', (_req, res) => { res.setHeader('Content-Type', 'application/json'); res.end('[]'); });
    const client = new ApiClient({ display: `unix://${d.socket}`, socketPath: d.socket }, {});
    assert.deepEqual(await client.json('GET', '/containers/json'), []);
    assert.deepEqual(d.seen, ['GET /_ping', 'GET /v1.41/containers/json']);
    client.close();
    await d.close();
  });

  it('never speaks above 1.47', async () => {
    const d = await fakeDaemon('1.50', (_req, res) => res.end('{}'));
    const client = new ApiClient({ display: 'x', socketPath: d.socket }, {});
    assert.equal(await client.apiVersion(), '1.47');
    client.close();
    await d.close();
  });

  it('turns error statuses into the daemon\'s message', async () => {
    const d = await fakeDaemon('1.47', (_req, res) => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'application/json');
      res.end('{"message":"No such container: nope"}');
    });
    const client = new ApiClient({ display: 'x', socketPath: d.socket }, {});
    await assert.rejects(client.request('POST', '/containers/nope/stop'), (err: Error) =>
      err instanceof DaemonError && err.status === 404 && err.message === 'Error response from daemon: No such container: nope');
    client.close();
    await d.close();
  });

  it('reports an unreachable daemon like docker', async () => {
    const client = new ApiClient({ display: 'unix:///nonexistent/berth.sock', socketPath: '/nonexistent/berth.sock' }, {});
    await assert.rejects(client.request('GET', '/info'), (err: Error) =>
      err instanceof ConnectError && /^Cannot connect to the Berth daemon at unix:\/\/\/nonexistent\/berth\.sock\. Is the berthd daemon running\?$/.test(err.message));
    client.close();
  });

  it('encodes filters the way the API expects', () => {
    assert.equal(encodeFilters(['status=exited', 'label=a=b', 'status=created']), '{"status":{"exited":true,"created":true},"label":{"a=b":true}}');
    assert.equal(encodeFilters([]), undefined);
    assert.throws(() => encodeFilters(['bogus']), /bad format of filter/);
  });
});

describe('stream framing', () => {
  it('splits multiplexed frames across chunk boundaries', () => {
    const frame = (type: number, text: string): Buffer => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = type;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')]);
    const d = new FrameDecoder();
    const got = [...d.push(all.subarray(0, 5)), ...d.push(all.subarray(5, 15)), ...d.push(all.subarray(15))];
    assert.deepEqual(got.map(([t, b]) => [t, b.toString()]), [[1, 'out\n'], [2, 'err\n'], [1, '']]);
    assert.equal(d.leftover, 0);
  });
});

describe('run flags', () => {
  it('parses restart policies as docker does', () => {
    assert.deepEqual(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
    assert.throws(() => parseRestartPolicy('sometimes'), /invalid restart policy/);
    assert.throws(() => parseRestartPolicy('always:2'), /only be used with 'on-failure'/);
  });

  it('turns --since values into unix timestamps', () => {
    const now = 1_700_000_000_000;
    assert.equal(parseTimestamp('10m', now), '1699999400.000000000');
    assert.equal(parseTimestamp('1700000000', now), '1700000000');
    assert.equal(parseTimestamp('2023-11-14T22:13:20Z', now), '1700000000.000000000');
    assert.throws(() => parseTimestamp('yesterday-ish', now), /failed to parse/);
  });
});
