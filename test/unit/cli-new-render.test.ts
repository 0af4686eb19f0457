import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { JsonMessageDisplay, goDuration, progressString } from '../../src/cli/render/progress.js';
import { StatsContext, cpuPercent, memoryUsage, statsEntry, STATS_HEADER, STATS_TABLE } from '../../src/cli/render/stats.js';
import { renderList } from '../../src/cli/render/formatter.js';
import { portLines, renderTop } from '../../src/cli/commands/container-processes.js';
import { ramInBytes } from '../../src/cli/commands/flags.js';
import { naturalLess } from '../../src/cli/render/natural-sort.js';
import { pruneReport } from '../../src/cli/render/prune.js';
import { prepareArchiveCopy, rebaseName, splitPathDirEntry } from '../../src/cli/client/copy-archive.js';
import { splitCpArg } from '../../src/cli/commands/cp.js';
import { encodeAuth, normalizeServer, registryOf } from '../../src/cli/client/auth-config.js';
import { goTimeStringNano } from '../../src/cli/render/objects.js';

function capture(isTerminal: boolean): { display: JsonMessageDisplay; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { display: new JsonMessageDisplay(out, { isTerminal, width: 200 }), text: () => text };
}

describe('progress display (moby jsonmessage)', () => {
  it('draws bars like JSONProgress.String()', () => {
    assert.equal(progressString({ current: 1200000, total: 10000000 }, 200), `[======>                                            ]    1.2MB/10MB`);
    assert.equal(progressString({ current: 10000000, total: 10000000 }, 200), `[==================================================>]     10MB/10MB`);
    assert.equal(progressString({ current: 1200000, total: 10000000 }, 100), '   1.2MB/10MB');
    assert.equal(progressString({ current: 512 }, 200), '    512B');
    assert.equal(progressString({ current: 3, total: 9, units: 'layers' }, 80), '3/9 layers');
    assert.equal(progressString({ current: 20, total: 10 }, 80), '     20B');
    assert.equal(progressString({}, 200), '');
    assert.equal(progressString({ current: 1000000, total: 4000000, start: 100 }, 200, 110), `[============>                                      ]      1MB/4MB 30s`);
    assert.equal(goDuration(65), '1m5s');
    assert.equal(goDuration(7203), '2h0m3s');
  });

  it('rewrites one line per layer on a terminal', () => {
    const { display, text } = capture(true);
    display.handle({ status: 'Pulling from library/busybox', id: 'latest' });
    display.handle({ status: 'Pulling fs layer', id: 'aaa', progressDetail: {} });
    display.handle({ status: 'Pulling fs layer', id: 'bbb', progressDetail: {} });
    display.handle({ status: 'Downloading', id: 'aaa', progressDetail: { current: 500, total: 1000 } });
    display.handle({ status: 'Digest: sha256:abc' });
    assert.equal(text(),
      'latest: Pulling from library/busybox\n' +
      '\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B' +
      '\n\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B' +
      '\x1b[2A\x1b[2K\raaa: Downloading [=========================>                         ]     500B/1kB\r\x1b[2B' +
      'Digest: sha256:abc\n');
  });

  it('prints status lines only, without a terminal', () => {
    const { display, text } = capture(false);
    display.handle({ status: 'Pulling fs layer', id: 'aaa', progressDetail: {} });
    display.handle({ status: 'Downloading', id: 'aaa', progressDetail: { current: 500, total: 1000 }, progress: '[==>  ] 500B/1kB' });
    display.handle({ status: 'Pull complete', id: 'aaa', progressDetail: {} });
    display.handle({ stream: 'Step 1/2 : FROM busybox\n' });
    assert.equal(text(), 'aaa: Pulling fs layer\naaa: Pull complete\nStep 1/2 : FROM busybox\n');
  });

  it('turns error messages into failures, 401 as docker words it', () => {
    assert.throws(() => capture(false).display.handle({ errorDetail: { message: 'tag does not exist: x' }, error: 'tag does not exist: x' }), /^JsonStreamError: tag does not exist: x$/);
    assert.throws(() => capture(false).display.handle({ errorDetail: { code: 401, message: 'no' } }), /authentication is required/);
  });
});

describe('stats as docker computes them', () => {
  const sample = {
    name: '/web', id: 'a2077e9ccffd0107a759de4b8425d19b31422b59a87563798df4dade35e29ad1',
    cpu_stats: { cpu_usage: { total_usage: 300_000_000, percpu_usage: [1, 2] }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 100_000_000 }, system_cpu_usage: 10_000_000_000 },
    memory_stats: { usage: 356352, limit: 25276518400, stats: { total_inactive_file: 4096, inactive_file: 4096 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 1000 }, { op: 'Write', value: 2500 }, { op: 'read', value: 24 }, { op: 'Total', value: 9 }] },
    networks: { eth0: { rx_bytes: 1500, tx_bytes: 200 }, eth1: { rx_bytes: 500, tx_bytes: 0 } },
    pids_stats: { current: 3 },
  };

  it('computes CPU, memory, block and network figures', () => {
    assert.equal(cpuPercent(sample), 4);
    assert.equal(memoryUsage(sample.memory_stats), 352256);
    assert.equal(memoryUsage({ usage: 1000, stats: { inactive_file: 200 } }), 800);
    assert.equal(memoryUsage({ usage: 100, stats: { total_inactive_file: 200 } }), 100);
    assert.equal(cpuPercent({ ...sample, precpu_stats: sample.cpu_stats }), 0);
    const e = statsEntry('web', sample);
    assert.deepEqual([e.blockRead, e.blockWrite, e.networkRx, e.networkTx], [1024, 2500, 2000, 200]);
  });

  it('prints docker\'s columns', () => {
    const row = new StatsContext(statsEntry('web', sample));
    assert.equal(renderList('table', STATS_TABLE, [row], STATS_HEADER),
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O      BLOCK I/O        PIDS\n' +
      'a2077e9ccffd   web       4.00%     344KiB / 23.54GiB   0.00%     2kB / 200B   1.02kB / 2.5kB   3\n');
    assert.deepEqual(row.toGoJSON(), {
      BlockIO: '1.02kB / 2.5kB', CPUPerc: '4.00%', Container: 'web', ID: 'a2077e9ccffd', MemPerc: '0.00%',
      MemUsage: '344KiB / 23.54GiB', Name: 'web', NetIO: '2kB / 200B', PIDs: '3',
    });
    const invalid = new StatsContext({ ...statsEntry('x', {}), isInvalid: true });
    assert.deepEqual([invalid.CPUPerc(), invalid.MemUsage(), invalid.Name(), invalid.PIDs()], ['--', '-- / --', '--', '--']);
  });
});

describe('port, top, prune and sizes', () => {
  const ports = {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '10001' }, { HostIp: '::', HostPort: '10001' }],
    '9/udp': [{ HostIp: '127.0.0.1', HostPort: '53' }],
    '443/tcp': null,
  };

  it('lists mappings in natural order, IPv6 hosts in brackets', () => {
    assert.deepEqual(portLines(ports, 'web'), ['9/udp -> 127.0.0.1:53', '80/tcp -> 0.0.0.0:10001', '80/tcp -> [::]:10001']);
    assert.deepEqual(portLines(ports, 'web', '80'), ['0.0.0.0:10001', '[::]:10001']);
    assert.deepEqual(portLines(ports, 'web', '9/udp'), ['127.0.0.1:53']);
    assert.throws(() => portLines(ports, 'web', '443'), /^CliError: Error: No public port '443' published for web$/);
    assert.throws(() => portLines(ports, 'web', 'abc'), /Error: invalid port \(abc\): strconv.ParseUint: parsing "abc": invalid syntax/);
    assert.ok(naturalLess('a2', 'a10') < 0);
    assert.ok(naturalLess('net10', 'net9') > 0);
  });

  it('renders top with docker\'s 20-wide columns', () => {
    assert.equal(renderTop({ Titles: ['PID', 'COMMAND'], Processes: [['14973', 'sleep']] }),
      'PID                 COMMAND\n14973               sleep\n');
  });

  it('reports prunes and parses sizes like docker', () => {
    assert.equal(pruneReport('Deleted Containers', ['abc'], 0), 'Deleted Containers:\nabc\n\nTotal reclaimed space: 0B\n');
    assert.equal(pruneReport('Deleted Networks', []), '');
    assert.equal(ramInBytes('-m', '512m'), 512 * 1024 * 1024);
    assert.equal(ramInBytes('-m', '1.5g'), 1.5 * 1024 ** 3);
    assert.throws(() => ramInBytes('-m, --memory', 'lots'), /invalid argument "lots" for "-m, --memory" flag/);
  });
});

describe('cp rules (moby pkg/archive)', () => {
  it('splits paths and rebases names', () => {
    assert.deepEqual(splitPathDirEntry('/d/.'), ['/d', '.']);
    assert.deepEqual(splitPathDirEntry('/d/'), ['/', 'd']);
    assert.deepEqual(splitPathDirEntry('rel/file'), ['rel', 'file']);
    assert.equal(rebaseName('d/', 'd', 'out'), 'out/');
    assert.equal(rebaseName('d/sub/x', 'd', 'out'), 'out/sub/x');
    assert.equal(rebaseName('dd/x', 'd', 'out'), 'dd/x');
    assert.equal(rebaseName('./sub/x.txt', '.', 'out'), 'out/sub/x.txt');
    assert.equal(rebaseName('./', '.', 'out'), 'out/');
  });

  it('decides where a copy lands as docker does', () => {
    const dir = (path: string, exists: boolean, isDir: boolean) => ({ path, exists, isDir });
    assert.deepEqual(prepareArchiveCopy(dir('/d', true, true), dir('/t', true, true)), { dir: '/t' });
    assert.deepEqual(prepareArchiveCopy(dir('/d', true, true), dir('/t/new', false, false)), { dir: '/t', rebase: ['d', 'new'] });
    assert.deepEqual(prepareArchiveCopy(dir('/d/.', true, true), dir('/t/new', false, false)), { dir: '/t', rebase: ['.', 'new'] });
    assert.deepEqual(prepareArchiveCopy(dir('/f', true, false), dir('/t/g', true, false)), { dir: '/t', rebase: ['f', 'g'] });
    assert.throws(() => prepareArchiveCopy(dir('/d', true, true), dir('/t/g', true, false)), /cannot copy directory/);
    assert.throws(() => prepareArchiveCopy(dir('/f', true, false), dir('/t/nodir/', false, false)), /no such directory/);
    assert.deepEqual(splitCpArg('ctr:/p'), ['ctr', '/p']);
    assert.deepEqual(splitCpArg('/abs:x'), ['', '/abs:x']);
    assert.deepEqual(splitCpArg('./a:b'), ['', './a:b']);
    assert.deepEqual(splitCpArg('file'), ['', 'file']);
  });
});

describe('registry credentials', () => {
  it('encodes X-Registry-Auth as docker does and keys servers like docker', () => {
    assert.equal(encodeAuth(undefined), 'e30=');
    assert.equal(Buffer.from(encodeAuth({ username: 'a', password: '??>' }), 'base64').toString(), '{"username":"a","password":"??>"}');
    assert.doesNotMatch(encodeAuth({ username: 'a', password: '??>' }), /[+/]/);
    assert.equal(registryOf('127.0.0.1:5000/team/bb'), '127.0.0.1:5000');
    assert.equal(registryOf('team/bb'), 'https://index.docker.io/v1/');
    assert.equal(normalizeServer('https://registry.example.com/v2/'), 'registry.example.com');
    assert.equal(normalizeServer('docker.io'), 'https://index.docker.io/v1/');
  });

  it('prints network creation times as Go does', () => {
    assert.match(goTimeStringNano('2026-11-29T07:23:34.538695780Z'), /^2026-11-2\d \d\d:23:34\.53869578 [+-]\d{4} \S+$/);
  });
});
