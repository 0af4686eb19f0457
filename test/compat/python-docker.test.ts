/**
 * Python's docker client (Debian's python3-docker, run with Debian's python3), unchanged, against
 * berthd: containers run attached and detached, exec, archives, logs, commit, images, volumes,
 * networks, wait, df and prune through its high-level API. The script prints what it saw.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

const PYTHON = '/usr/bin/python3';
const CLIENT = '/usr/lib/python3/dist-packages/docker';
const SCRIPT = join(import.meta.dirname, 'python-docker-client.py');
const P = `py${process.pid}`;

describe('Python\'s docker client works against berthd', { skip: !existsSync(CLIENT) && 'python3-docker is not installed (scripts/setup.sh)', timeout: 120_000 }, () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startDaemon();
    await importBusybox(daemon);
  });
  after(async () => { await daemon?.stop(); });

  it('does what a program using the high-level API expects', async () => {
    const r = await run(PYTHON, [SCRIPT, P], { env: { DOCKER_HOST: daemon.host }, timeoutMs: 100_000 });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout);
    // run() returns the output because the log driver is one the client reads back (json-file)
    assert.equal(seen.run_output, 'out\n');
    assert.deepEqual(seen.run_with_stderr.split('\n').sort(), ['', 'err', 'out']);
    assert.deepEqual(seen.run_failure, [3, 'failing\n']);
    assert.deepEqual(seen.detached, ['running', `${P}-c1`, 'py', 'json-file', 'on-failure']);
    assert.deepEqual(seen.listed, [`${P}-c1`]);
    assert.deepEqual(seen.exec, [4, 'hi\nerr\n']);
    assert.deepEqual(seen.exec_demux, ['out\n', 'err\n']);
    assert.deepEqual(seen.exec_tty, [0, 'tty\r\n']);
    assert.equal(seen.put_archive, true);
    assert.deepEqual(seen.get_archive, ['greeting.txt', 14, 'hello archive\n']);
    assert.match(seen.get_archive_missing, /^Could not find the file \/nope in container [0-9a-f]{64}$/);
    assert.deepEqual(seen.head_archive, [200, true]);
    assert.equal(seen.logs, 'line1\nline2\n');
    assert.deepEqual(seen.commit, [[`${P}-img:v1`], true, true]);
    assert.deepEqual(seen.images, [`${P}-img:v1`]);
    assert.deepEqual(seen.image_tags, [`${P}-img:v1`, `${P}-img:v2`]);
    assert.deepEqual(seen.volume, [`${P}-vol`, { k: 'v' }, [`${P}-vol`]]);
    assert.deepEqual(seen.network, [`${P}-net`, [`${P}-c1`], { k: 'v' }]);
    assert.deepEqual(seen.wait, { StatusCode: 137, Error: null });
    assert.deepEqual(seen.df, ['BuildCache', 'BuilderSize', 'Containers', 'Images', 'LayersSize', 'Volumes']);
    assert.deepEqual(seen.prune, { ContainersDeleted: null, SpaceReclaimed: 0 });
    assert.equal((await daemon.docker(['ps', '-aq'])).stdout, '', 'the script removed its containers');
  });
});
