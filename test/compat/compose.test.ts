/**
 * Debian's docker-compose 1.29 (the Python one), unchanged, against berthd: a project of two services
 * on a user-defined network with a named volume, a bind mount, a published port, environment, labels
 * and restart policies, through up, ps, logs, exec -T, up --scale, restart, stop and down -v.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { freePort } from '../helpers/ports.js';

const COMPOSE = '/usr/bin/docker-compose';
const PROJECT = `bc${process.pid}`;

describe('docker-compose 1.29 runs a project on berthd', { skip: !existsSync(COMPOSE) && 'docker-compose is not installed (scripts/setup.sh)', timeout: 180_000 }, () => {
  let daemon: TestDaemon;
  let dir: string;
  let port: number;

  const compose = (args: string[]) => run('/bin/sh', ['-c', 'cd "$0" && exec "$@"', dir, COMPOSE, '-p', PROJECT, ...args], {
    // exec goes through the docker CLI, as compose does by default (it must be on PATH)
    env: { DOCKER_HOST: daemon.host }, timeoutMs: 90_000,
  });
  const ok = async (args: string[]): Promise<string> => {
    const r = await compose(args);
    assert.equal(r.code, 0, `docker-compose ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const docker = async (args: string[]): Promise<string> => {
    const r = await daemon.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    daemon = await startDaemon();
    await importBusybox(daemon);
    dir = await mkdtemp(join(tmpdir(), 'berth-compose-'));
    port = await freePort();
    await mkdir(join(dir, 'site'));
    await writeFile(join(dir, 'site', 'index.html'), 'from the bind mount\n');
    await writeFile(join(dir, 'docker-compose.yml'), `
version: "2.4"
services:
  web:
    image: busybox:latest
    command: ["httpd", "-f", "-p", "8080", "-h", "/site"]
    networks: [front]
    ports: ["127.0.0.1:${port}:8080"]
    volumes:
      - ./site:/site:ro
      - shared:/shared
    environment:
      GREETING: hello
    labels:
      role: web
    restart: unless-stopped
  worker:
    image: busybox:latest
    command: ["sh", "-c", "echo worker up; echo \\"$$ROLE\\" > /shared/role-$$(hostname); exec sleep 1000"]
    networks: [front]
    volumes:
      - shared:/shared
    environment:
      - ROLE=worker
    labels:
      role: worker
    restart: always
networks:
  front: {}
volumes:
  shared: {}
`);
  });

  after(async () => {
    if (daemon) {
      await compose(['down', '-v', '--remove-orphans']);
      await daemon.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('up -d makes the network, the volume and both services, with their settings', async () => {
    await ok(['up', '-d']);
    const net = `${PROJECT}_front`;
    assert.equal((await docker(['network', 'inspect', '-f', '{{.Name}} {{.Driver}}', net])).trim(), `${net} bridge`);
    assert.equal((await docker(['volume', 'inspect', '-f', '{{.Name}}', `${PROJECT}_shared`])).trim(), `${PROJECT}_shared`);
    const web = `${PROJECT}_web_1`;
    assert.equal(
      (await docker(['inspect', '-f', '{{.State.Running}} {{.HostConfig.RestartPolicy.Name}} {{index .Config.Labels "role"}} {{index .Config.Labels "com.docker.compose.service"}}', web])).trim(),
      'true unless-stopped web web',
    );
    assert.match(await docker(['exec', web, 'env']), /^GREETING=hello$/m);
    const ps = await ok(['ps']);
    assert.match(ps, new RegExp(`${web} .* Up .*127\\.0\\.0\\.1:${port}->8080/tcp`));
    assert.match(ps, new RegExp(`${PROJECT}_worker_1 .* Up`));
  });

  it('serves the bind mount on the published port; services reach each other by name', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/index.html`);
    assert.equal(await res.text(), 'from the bind mount\n');
    const fromWorker = await ok(['exec', '-T', 'worker', 'wget', '-qO-', 'http://web:8080/index.html']);
    assert.equal(fromWorker, 'from the bind mount\n');
    const role = await ok(['exec', '-T', 'worker', 'sh', '-c', 'cat /shared/role-*']);
    assert.equal(role, 'worker\n');
    assert.match(await ok(['logs', '--no-color', 'worker']), /worker_1 +\| worker up/);
  });

  it('exec -T passes the exit code and keeps stdout and stderr apart', async () => {
    const r = await compose(['exec', '-T', 'worker', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.code, 7);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /err/);
  });

  it('up --scale adds a second worker; restart and stop act on all of them', async () => {
    await ok(['up', '-d', '--scale', 'worker=2']);
    const names = (await docker(['ps', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
    assert.deepEqual(names, [`${PROJECT}_web_1`, `${PROJECT}_worker_1`, `${PROJECT}_worker_2`]);
    const startedBefore = (await docker(['inspect', '-f', '{{.State.StartedAt}}', `${PROJECT}_worker_2`])).trim();
    await ok(['restart', '-t', '1']);
    const startedAfter = (await docker(['inspect', '-f', '{{.State.StartedAt}} {{.State.Running}}', `${PROJECT}_worker_2`])).trim();
    assert.notEqual(startedAfter.split(' ')[0], startedBefore);
    assert.equal(startedAfter.split(' ')[1], 'true');
    await ok(['stop', '-t', '1']);
    assert.equal(await docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`]), '');
    assert.match(await ok(['ps']), new RegExp(`${PROJECT}_worker_2 .* Exit 137`));
  });

  it('down -v leaves no container, network or volume behind', async () => {
    await ok(['down', '-v']);
    assert.equal(await docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`]), '');
    assert.doesNotMatch(await docker(['network', 'ls', '--format', '{{.Name}}']), new RegExp(PROJECT));
    assert.doesNotMatch(await docker(['volume', 'ls', '--format', '{{.Name}}']), new RegExp(PROJECT));
  });
});
