import { mkdtemp, mkdir, copyFile, symlink, writeFile, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type TestDaemon } from './daemon.js';

const BUSYBOX = '/bin/busybox';

/** Builds a busybox root filesystem (Debian's busybox-static) in a temp dir; returns its path. */
export async function makeBusyboxRootfs(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'berth-busybox-'));
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var', 'home']) await mkdir(join(root, d));
  await copyFile(BUSYBOX, join(root, 'bin', 'busybox'));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet !== 'busybox') await symlink('busybox', join(root, 'bin', applet)).catch(() => {});
  }
  await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return root;
}

/** Makes a tar of a busybox rootfs; returns its path (caller removes its directory). */
export async function makeBusyboxTar(): Promise<{ tar: string; cleanup: () => Promise<void> }> {
  const root = await makeBusyboxRootfs();
  const dir = await mkdtemp(join(tmpdir(), 'berth-busybox-tar-'));
  const tar = join(dir, 'busybox.tar');
  execFileSync('tar', ['-C', root, '-cf', tar, '.']);
  await rm(root, { recursive: true, force: true });
  return { tar, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Imports busybox into a test daemon as `name` (default busybox:latest) with `docker import`. */
export async function importBusybox(daemon: TestDaemon, name = 'busybox:latest', changes: string[] = []): Promise<void> {
  const { tar, cleanup } = await makeBusyboxTar();
  try {
    const args = ['import', ...changes.flatMap((c) => ['-c', c]), tar, name];
    const result = await daemon.docker(args);
    if (result.code !== 0) throw new Error(`docker import failed: ${result.stderr}`);
  } finally {
    await cleanup();
  }
}

export { run };
