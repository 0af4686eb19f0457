/**
 * docker-compose 1.29 with a healthcheck-gated depends_on (compose file format 2.4): the dependent
 * service starts only once its dependency reports healthy. Needs berthd's health checks.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

const COMPOSE = '/usr/bin/docker-compose';
const PROJECT = `bh${process.pid}`;

describe('docker-compose waits for a healthy dependency on berthd', { skip: !existsSync(COMPOSE) && 'docker-compose is not installed', timeout: 120_000 }, () => {
  let daemon: TestDaemon;
  let dir: string;
  const compose = (args: string[]) => run('/bin/sh', ['-c', 'cd "$0" && exec "$@"', dir, COMPOSE, '-p', PROJECT, ...args], {
    env: { DOCKER_HOST: daemon.host }, timeoutMs: 90_000,
  });

  before(async () => {
    daemon = await startDaemon();
    await importBusybox(daemon);
    dir = await mkdtemp(join(tmpdir(), 'berth-compose-health-'));
    await writeFile(join(dir, 'docker-compose.yml'), `
version: "2.4"
services:
  db:
    image: busybox:latest
    command: ["sh", "-c", "sleep 2; touch /ready; exec sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/ready"]
      interval: 1s
      timeout: 2s
      retries: 10
  app:
    image: busybox:latest
    command: ["sleep", "1000"]
    depends_on:
      db:
        condition: service_healthy
`);
  });

  after(async () => {
    if (daemon) {
      await compose(['down', '-v']);
      await daemon.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts app only after db is healthy', async () => {
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, up.stderr);
    const db = await daemon.docker(['inspect', '-f', '{{.State.Health.Status}} {{.State.StartedAt}}', `${PROJECT}_db_1`]);
    const app = await daemon.docker(['inspect', '-f', '{{.State.Running}} {{.State.StartedAt}}', `${PROJECT}_app_1`]);
    const [dbHealth, dbStarted] = db.stdout.trim().split(' ');
    const [appRunning, appStarted] = app.stdout.trim().split(' ');
    assert.equal(dbHealth, 'healthy');
    assert.equal(appRunning, 'true');
    assert.ok(Date.parse(appStarted!) - Date.parse(dbStarted!) >= 2000, 'app started after db became healthy');
    assert.match((await compose(['ps'])).stdout, /_db_1 .* Up \(healthy\)/);
  });
});
