/**
 * `build` with the legacy builder: the context directory sent as a tar (honouring .dockerignore, the
 * Dockerfile and .dockerignore always included) to POST /build, and the daemon's `stream` messages
 * printed as they come, as `DOCKER_BUILDKIT=0 docker build` does.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { lstat, opendir, readlink, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import tar from 'tar-stream';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { IgnoreMatcher, readDockerignore } from '../../lib/dockerignore.js';
import { JsonStreamError, displayJsonMessages, terminalOptions, type JsonMessage } from '../render/progress.js';
import { humanSize } from '../base/units.js';
import { collect, keyValues } from './flags.js';

export interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  label: string[];
  cache: boolean;
  cacheFrom: string[];
  quiet?: boolean;
  pull?: boolean;
  rm: string | boolean;
  forceRm?: boolean;
  network?: string;
  target?: string;
  platform?: string;
  iidfile?: string;
}

/** Adds the context's files to a tar pack in directory-walk order, leaving out ignored paths. */
async function packContext(root: string, pack: tar.Pack, ignore: IgnoreMatcher, keep: Set<string>): Promise<void> {
  const entry = (header: tar.Header, body?: Readable): Promise<void> => new Promise((res, rej) => {
    if (!body) {
      pack.entry(header, (e) => (e ? rej(e) : res()));
      return;
    }
    pipeline(body, pack.entry(header)).then(res, rej);
  });
  const walk = async (rel: string): Promise<void> => {
    const names: string[] = [];
    for await (const d of await opendir(join(root, rel))) names.push(d.name);
    for (const name of names.sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      const abs = join(root, childRel);
      const st = await lstat(abs);
      if (!keep.has(childRel) && ignore.excludes(childRel)) {
        // an excluded directory may still hold an exception: docker walks into it then
        if (!st.isDirectory() || !ignore.hasExclusions) continue;
      }
      const common = { name: childRel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        if (!ignore.excludes(childRel) || keep.has(childRel)) await entry({ ...common, name: `${childRel}/`, type: 'directory' } as tar.Header);
        await walk(childRel);
      } else if (st.isSymbolicLink()) {
        await entry({ ...common, type: 'symlink', linkname: await readlink(abs) } as tar.Header);
      } else if (st.isFile()) {
        await entry({ ...common, type: 'file', size: st.size } as tar.Header, createReadStream(abs));
      }
    }
  };
  await walk('');
}

/** "--build-arg K=V", or "K" alone taking K from our environment (left out when unset), as docker. */
function buildArgs(list: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq >= 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else if (process.env[item] !== undefined) out[item] = process.env[item]!;
    else out[item] = null;
  }
  return out;
}

/** The context as a tar stream, and the Dockerfile's name inside it. */
async function contextTar(contextArg: string, file: string | undefined): Promise<{ body: Readable; dockerfile: string }> {
  if (contextArg === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const data = Buffer.concat(chunks);
    if (data.length >= 262 && data.subarray(257, 262).toString() === 'ustar') return { body: Readable.from([data]), dockerfile: file ?? 'Dockerfile' };
    // not a tar: stdin is the Dockerfile and the context is empty
    const pack = tar.pack();
    pack.entry({ name: 'Dockerfile', mode: 0o600, size: data.length }, data);
    pack.finalize();
    return { body: pack as unknown as Readable, dockerfile: 'Dockerfile' };
  }
  const root = resolve(contextArg);
  const st = await stat(root).catch(() => undefined);
  if (!st) throw new CliError(`unable to prepare context: path "${contextArg}" not found`);
  if (!st.isDirectory()) throw new CliError(`unable to prepare context: context must be a directory: ${root}`);
  const dockerfilePath = file ? (file === '-' ? '-' : resolve(file)) : join(root, 'Dockerfile');
  let dockerfileReal = dockerfilePath;
  let extra: Buffer | undefined;
  if (dockerfilePath === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    extra = Buffer.concat(chunks);
  } else {
    try {
      dockerfileReal = await realpath(dockerfilePath);
    } catch {
      throw new CliError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dockerfilePath}: no such file or directory`);
    }
  }
  const rootReal = await realpath(root);
  let dockerfileName: string;
  if (!extra && (dockerfileReal + sep).startsWith(rootReal + sep) && dockerfileReal !== rootReal) {
    dockerfileName = relative(rootReal, dockerfileReal).split(sep).join('/');
  } else {
    // a Dockerfile outside the context travels in it under a random name, as docker does
    extra ??= readFileSync(dockerfileReal);
    dockerfileName = `.dockerfile.${randomBytes(10).toString('hex')}`;
  }
  let ignoreLines: string[] = [];
  try {
    ignoreLines = readDockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const ignore = new IgnoreMatcher(ignoreLines);
  const keep = new Set([dockerfileName, '.dockerignore']);
  const pack = tar.pack();
  const fill = async (): Promise<void> => {
    await packContext(root, pack, ignore, keep);
    if (extra) pack.entry({ name: dockerfileName, mode: 0o600, size: extra.length }, extra);
    pack.finalize();
  };
  fill().catch((err: Error) => pack.destroy(err));
  return { body: pack as unknown as Readable, dockerfile: dockerfileName };
}

export async function runBuild(cli: Cli, contextArg: string, flags: BuildFlags): Promise<void> {
  const { body, dockerfile } = await contextTar(contextArg, flags.file);
  let sent = 0;
  const counted = body.pipe(new Transform({
    transform(chunk: Buffer, _e, cb) {
      sent += chunk.length;
      cb(null, chunk);
    },
  }));
  const rm = !(flags.rm === 'false' || flags.rm === false);
  const res = await cli.client.stream('POST', '/build', {
    query: {
      t: flags.tag.length ? flags.tag : undefined,
      dockerfile,
      buildargs: flags.buildArg.length ? JSON.stringify(buildArgs(flags.buildArg)) : undefined,
      labels: flags.label.length ? JSON.stringify(keyValues(flags.label)) : undefined,
      nocache: flags.cache ? undefined : true,
      cachefrom: flags.cacheFrom.length ? JSON.stringify(flags.cacheFrom) : undefined,
      q: flags.quiet || undefined,
      pull: flags.pull || undefined,
      rm: rm ? undefined : false,
      forcerm: flags.forceRm || undefined,
      networkmode: flags.network,
      target: flags.target,
      platform: flags.platform,
      version: '1',
    },
    headers: { 'Content-Type': 'application/x-tar' },
    body: counted,
  });
  const out = flags.quiet ? new PassThrough() : process.stdout;
  let quietText = '';
  if (flags.quiet) out.on('data', (d: Buffer) => (quietText += d.toString()));
  else await cli.out(`Sending build context to Berth daemon  ${humanSize(sent, 4)}\n`);
  let imageId = '';
  const onAux = (msg: JsonMessage): void => {
    const aux = msg.aux as { ID?: string } | undefined;
    if (aux?.ID) imageId = aux.ID;
  };
  try {
    await displayJsonMessages(res, out, { ...terminalOptions(process.stdout), isTerminal: !flags.quiet && process.stdout.isTTY === true, onAux });
  } catch (err) {
    if (flags.quiet) await cli.err(quietText);
    // docker exits with the failed step's code (a RUN's exit status), 1 when there is none
    if (err instanceof JsonStreamError) throw new CliError(err.message, err.code || 1);
    throw err;
  }
  if (flags.quiet) await cli.out(quietText);
  if (flags.iidfile) {
    const id = imageId || /Successfully built ([0-9a-f]+)/.exec(quietText)?.[1] || quietText.trim();
    writeFileSync(flags.iidfile, id);
  }
}

export function registerBuildCommand(program: Command, cli: Cli): void {
  program.command('build')
    .description('Build an image from a Dockerfile')
    .usage('[OPTIONS] PATH | URL | -')
    .argument('<context>')
    .option('--build-arg <list>', 'Set build-time variables', collect, [])
    .option('--cache-from <strings>', 'Images to consider as cache sources', collect, [])
    .option('-f, --file <string>', "Name of the Dockerfile (Default is 'PATH/Dockerfile')")
    .option('--force-rm', 'Always remove intermediate containers')
    .option('--iidfile <string>', 'Write the image ID to the file')
    .option('--label <list>', 'Set metadata for an image', collect, [])
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build')
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--rm [bool]', 'Remove intermediate containers after a successful build', 'true')
    .option('-t, --tag <list>', 'Name and optionally a tag in the "name:tag" format', collect, [])
    .option('--target <string>', 'Set the target build stage to build.')
    .action((contextArg: string, flags: BuildFlags) => runBuild(cli, contextArg, flags));
}
