// Registries for pull and push tests: Debian's docker-registry (distribution 2.8) on a free loopback
// port with a temp config (optionally htpasswd-protected), and OCI image layouts built here and copied
// into a registry with skopeo.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { run } from './daemon.js';
import { freePort } from './ports.js';

export interface RegistryPeer {
  /** "127.0.0.1:PORT", the registry part of references. */
  host: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export { freePort };

/** Starts /usr/bin/docker-registry on a temp storage dir; with `htpasswd` it wants Basic credentials. */
export async function startDockerRegistry(options: { htpasswd?: { user: string; password: string } } = {}): Promise<RegistryPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-docker-registry-'));
  const port = await freePort();
  let auth = '';
  if (options.htpasswd) {
    const line = await run('htpasswd', ['-Bbn', options.htpasswd.user, options.htpasswd.password]);
    if (line.code !== 0) throw new Error(`htpasswd failed: ${line.stderr}`);
    await writeFile(join(dir, 'htpasswd'), line.stdout);
    auth = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  await writeFile(join(dir, 'config.yml'), [
    'version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:', '    enabled: true', 'http:', `  addr: 127.0.0.1:${port}`, auth,
  ].join('\n'));
  return serveRegistry('docker-registry', '/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], port, dir);
}

/**
 * Runs a registry process and returns once it answers /v2/ on `port` (within 10 s); `stop` ends it and
 * removes `dir`. A registry that exits or never answers is killed, `dir` removed, and its stderr thrown.
 */
async function serveRegistry(name: string, command: string, args: string[], port: number, dir: string): Promise<RegistryPeer> {
  const proc = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  proc.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`${name} did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, port, dir, stop: () => stopProcess(proc, dir) };
}

async function stopProcess(proc: ChildProcess, dir: string): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface LayoutImage {
  /** OCI layout directory; `ref` is the name inside it (skopeo's oci:<dir>:<ref>). */
  dir: string;
  ref: string;
  configDigest: string;
  diffIds: string[];
  cleanup(): Promise<void>;
}

/**
 * Writes an OCI image layout holding one image made of uncompressed tar layers (skopeo compresses
 * them on the way to a registry, with gzip or, asked to, zstd).
 */
export async function writeOciLayout(layers: Buffer[], config: Record<string, unknown> = {}): Promise<LayoutImage> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-oci-layout-'));
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (data: Buffer) => {
    const digest = sha256(data);
    await writeFile(join(blobs, digest.slice(7)), data);
    return { digest, size: data.length };
  };
  const diffIds = layers.map(sha256);
  const layerDescs = [];
  for (const layer of layers) layerDescs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...await put(layer) });
  const configBytes = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test layer' })),
    ...config,
  }));
  const configDesc = { mediaType: 'application/vnd.oci.image.config.v1+json', ...await put(configBytes) };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: layerDescs,
  }));
  const manifestDesc = await put(manifest);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': 'image' } }],
  }));
  return { dir, ref: 'image', configDigest: configDesc.digest, diffIds, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface CopyOptions {
  /** "user:password" for the destination registry. */
  creds?: string;
  compression?: 'gzip' | 'zstd';
  /** Docker v2 schema 2 instead of OCI manifests. */
  dockerFormat?: boolean;
}

/** Copies a layout image to `docker://<dest>` with skopeo (plain HTTP to the loopback registry). */
export async function copyToRegistry(image: LayoutImage, dest: string, options: CopyOptions = {}): Promise<void> {
  const args = ['copy', '-q', '--dest-tls-verify=false'];
  if (options.creds) args.push('--dest-creds', options.creds);
  if (options.compression) args.push('--dest-compress', '--dest-compress-format', options.compression);
  if (options.dockerFormat) args.push('--format', 'v2s2');
  args.push(`oci:${image.dir}:${image.ref}`, `docker://${dest}`);
  const result = await run('skopeo', args, { timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`skopeo copy failed: ${result.stderr}`);
}

/** skopeo inspect --raw / --config of an image in a registry. */
export async function inspectInRegistry(ref: string, what: 'raw' | 'config', creds?: string): Promise<Record<string, unknown>> {
  const args = ['inspect', '--tls-verify=false', `--${what}`];
  if (creds) args.push('--creds', creds);
  const result = await run('skopeo', [...args, `docker://${ref}`]);
  if (result.code !== 0) throw new Error(`skopeo inspect failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** A tar (in memory) of the given files; names are used exactly as given, so tests can write hostile ones. */
export async function tarOf(files: { name: string; content?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[]): Promise<Buffer> {
  const { default: tar } = await import('tar-stream');
  const pack = tar.pack();
  for (const f of files) {
    const header = { name: f.name, type: f.type ?? 'file', linkname: f.linkname, mode: f.type === 'directory' ? 0o755 : 0o644, mtime: new Date(0) };
    if (header.type === 'file') pack.entry(header, f.content ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The busybox rootfs (test/helpers/busybox.ts) as one tar in memory. */
export async function busyboxLayer(): Promise<Buffer> {
  const { makeBusyboxTar } = await import('./busybox.js');
  const { readFile } = await import('node:fs/promises');
  const { tar, cleanup } = await makeBusyboxTar();
  try {
    return await readFile(tar);
  } finally {
    await cleanup();
  }
}

/**
 * Starts berth-registry (dist/registry/main.js) with Bearer token auth from its own token server:
 * `users` get htpasswd entries, `acl` lines say who may do what.
 */
export async function startBerthRegistry(options: {
  users: Record<string, string>;
  acl: { account: string; name: string; actions: string[] }[];
  /** The hub's admins, who push outside their own namespace (team/*). */
  admins?: string[];
}): Promise<RegistryPeer> {
  const { ROOT } = await import('./daemon.js');
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-peer-'));
  const port = await freePort();
  const key = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=berth token', '-keyout', join(dir, 'token.key'), '-out', join(dir, 'token.crt')]);
  if (key.code !== 0) throw new Error(`openssl failed: ${key.stderr}`);
  let users = '';
  for (const [user, password] of Object.entries(options.users)) users += (await run('htpasswd', ['-Bbn', user, password])).stdout.trim() + '\n';
  await writeFile(join(dir, 'users'), users);
  await writeFile(join(dir, 'config.yml'), [
    'version: 0.1', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, 'http:', `  addr: 127.0.0.1:${port}`,
    'auth:', '  token:', `    realm: http://127.0.0.1:${port}/token`, '    service: berth-test', '    issuer: berth-test-issuer',
    `    rootcertbundle: ${join(dir, 'token.crt')}`, 'tokenserver:', `  key: ${join(dir, 'token.key')}`,
    `  certificate: ${join(dir, 'token.crt')}`, `  htpasswd: ${join(dir, 'users')}`, '  acl:',
    ...options.acl.map((a) => `    - { account: ${a.account}, name: "${a.name}", actions: [${a.actions.join(', ')}] }`),
    ...(options.admins ? ['hub:', `  admins: [${options.admins.join(', ')}]`] : []), '',
  ].join('\n'));
  return serveRegistry('berth-registry', process.execPath, [join(ROOT, 'dist', 'registry', 'main.js'), 'serve', join(dir, 'config.yml')], port, dir);
}

/**
 * Runs cleanup steps in order (a test's `after`: stop the daemon, the registry, remove temp dirs), each
 * one even when an earlier one failed; then throws the first failure. Steps may be undefined (what
 * `before` never got to start).
 */
export async function cleanUpInOrder(...steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}
