// Starting berth-registry for tests: in this process (fast, for API tests) or as its own process
// (for restarts, kill -9 and the real bin), always on 127.0.0.1 with a temp storage root.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../src/registry/base/config.js';
import { Registry, createDriver } from '../../../src/registry/content/registry.js';
import { startServer, type RunningServer } from '../../../src/registry/server.js';
import type { AccessLogEntry } from '../../../src/registry/access-log.js';
import { freePort } from '../../helpers/ports.js';

export const ROOT = resolve(import.meta.dirname, '../../..');

export function tempDir(prefix = 'berth-registry-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export { freePort };

export interface TestRegistry {
  url: string;
  host: string;
  root: string;
  registry: Registry;
  log: AccessLogEntry[];
  stop(): Promise<void>;
}

/** A registry in this process; `env` holds REGISTRY_* settings on top of a temp filesystem root. */
export async function startTestRegistry(env: Record<string, string> = {}, configPath?: string): Promise<TestRegistry> {
  const root = tempDir();
  let registry: Registry;
  let running: RunningServer;
  const log: AccessLogEntry[] = [];
  try {
    const config = loadConfig(configPath, {
      REGISTRY_HTTP_ADDR: '127.0.0.1:0',
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root,
      ...env,
    });
    registry = new Registry(config, await createDriver(config));
    running = await startServer(registry, { accessLog: (e) => log.push(e) });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    url: running.url, host: `127.0.0.1:${running.port}`, root, registry, log,
    async stop() {
      await running.close();
      await registry.driver.close?.();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface RegistryProcess {
  url: string;
  host: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** Stops the process (SIGTERM, or SIGKILL with kill9) and waits for it. */
  stop(kill9?: boolean): Promise<void>;
}

/** Runs berth-registry as its own process (the compiled bin when BERTH_REGISTRY_BIN says so). */
export async function spawnRegistry(env: Record<string, string>, args: string[] = [], port?: number): Promise<RegistryProcess> {
  port ??= await freePort();
  const bin = process.env.BERTH_REGISTRY_BIN;
  const argv = bin ? [bin, ...args] : ['--import', 'tsx', join(ROOT, 'src/registry/main.ts'), ...args];
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`berth-registry exited: ${out}`);
    try {
      const r = await fetch(`${url}/v2/`);
      await r.arrayBuffer();
      break;
    } catch {
      if (i > 200) { child.kill('SIGKILL'); throw new Error(`berth-registry did not start: ${out}`); }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url, host: `127.0.0.1:${port}`, port, child,
    output: () => out,
    async stop(kill9 = false) {
      if (child.exitCode === null && child.signalCode === null) child.kill(kill9 ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
