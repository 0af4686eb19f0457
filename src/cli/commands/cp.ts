/**
 * `cp`: files between a container and the local filesystem, over GET/PUT/HEAD
 * /containers/{id}/archive, with docker's rules for existing directories, trailing "/" and "/.",
 * and "-" for a tar on stdin/stdout.
 */
import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { unpackLayer } from '../../lib/tar-unpack.js';
import type { Cli } from '../client/cli.js';
import { CliError, DaemonError } from '../base/errors.js';
import {
  localDestinationInfo, localSourceInfo, prepareArchiveCopy, rebaseArchive, splitPathDirEntry, tarLocalPath, type CopyInfo,
} from '../client/copy-archive.js';
import { humanSize } from '../base/units.js';

const MODE_DIR = 0x80000000;
const MODE_SYMLINK = 0x08000000;
/** Go FileMode bits of types other than regular file and directory (symlink, device, pipe, socket, ...). */
const MODE_IRREGULAR = 0x08000000 | 0x04000000 | 0x02000000 | 0x01000000 | 0x00200000 | 0x00080000;

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** docker's splitCpArg: "ctr:path", or a local path (absolute, or starting with "."). */
export function splitCpArg(arg: string): [string, string] {
  if (arg.startsWith('/')) return ['', arg];
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return ['', arg];
  return [arg.slice(0, colon), arg.slice(colon + 1)];
}

/** filepath.Abs keeping a trailing "/" or "/." (moby PreserveTrailingDotOrSeparator). */
function resolveLocalPath(path: string): string {
  let abs = resolve(path);
  if (path.endsWith('/.') || path === '.') abs = abs === '/' ? '/.' : `${abs}/.`;
  else if (path.endsWith('/') && abs !== '/') abs += '/';
  return abs;
}

function decodeStat(header: string | string[] | undefined): PathStat | undefined {
  if (typeof header !== 'string' || !header) return undefined;
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

class Copier {
  copied = 0;

  constructor(private readonly cli: Cli, private readonly container: string) {}

  private archivePath(): string {
    return `/containers/${encodeURIComponent(this.container)}/archive`;
  }

  async statPath(path: string): Promise<PathStat | undefined> {
    try {
      const res = await this.cli.client.request('HEAD', this.archivePath(), { query: { path } });
      return decodeStat(res.headers['x-docker-container-path-stat']);
    } catch (err) {
      // like docker, any failure to stat means "does not exist": the copy itself reports what is wrong
      if (err instanceof DaemonError) return undefined;
      throw err;
    }
  }

  async fromContainer(srcPath: string, dstPath: string, followLink: boolean): Promise<void> {
    let rebase: string | undefined;
    if (followLink) {
      const st = await this.statPath(srcPath);
      if (st && (st.mode & MODE_SYMLINK) !== 0) {
        let target = st.linkTarget;
        if (!target.startsWith('/')) target = `${splitPathDirEntry(srcPath)[0]}/${target}`;
        rebase = splitPathDirEntry(srcPath)[1];
        srcPath = target;
      }
    }
    if (dstPath !== '-') {
      dstPath = resolveLocalPath(dstPath);
      const parent = resolve(dstPath, '..');
      if (dstPath.replace(/\/\.?$/, '') !== '/' && !(await stat(parent).catch(() => undefined))) {
        throw new CliError(`invalid output path: directory "${parent}" does not exist`);
      }
    }
    const res = await this.cli.client.stream('GET', this.archivePath(), { query: { path: srcPath } });
    if (dstPath === '-') {
      await pipeline(res, counter((n) => (this.copied += n)), process.stdout, { end: false });
      return;
    }
    const st = decodeStat(res.headers['x-docker-container-path-stat']);
    const srcInfo: CopyInfo = { path: srcPath, exists: true, isDir: ((st?.mode ?? 0) & MODE_DIR) !== 0 };
    let content: Readable = res.pipe(counter((n) => (this.copied += n)));
    if (rebase) {
      content = rebaseArchive(content, splitPathDirEntry(srcPath)[1], rebase);
      srcInfo.path = `${splitPathDirEntry(srcPath)[0]}/${rebase}`;
    }
    const dstInfo = await localDestinationInfo(dstPath);
    const prepared = prepareArchiveCopy(srcInfo, dstInfo);
    if (prepared.rebase) content = rebaseArchive(content, ...prepared.rebase);
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    await unpackLayer(content, prepared.dir, { mode: 'copy', noOverwriteDirNonDir: true, owner });
  }

  async toContainer(srcPath: string, dstPath: string, followLink: boolean, copyUidGid: boolean): Promise<string> {
    const dstInfo: CopyInfo = { path: dstPath, exists: false, isDir: false };
    let st = await this.statPath(dstPath);
    if (st && (st.mode & MODE_SYMLINK) !== 0) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = `${splitPathDirEntry(dstPath)[0]}/${target}`;
      dstInfo.path = target;
      st = await this.statPath(target);
    }
    if (st && (st.mode & MODE_IRREGULAR) !== 0) {
      throw new CliError(`destination "${this.container}:${dstPath}" must be a directory or a regular file`);
    }
    if (st) {
      dstInfo.exists = true;
      dstInfo.isDir = (st.mode & MODE_DIR) !== 0;
    }
    let content: Readable;
    let extractTo: string;
    if (srcPath === '-') {
      if (!dstInfo.isDir) throw new CliError(`destination "${this.container}:${dstPath}" must be a directory`);
      content = process.stdin;
      extractTo = dstInfo.path;
    } else {
      const srcInfo = await localSourceInfo(srcPath, followLink);
      const prepared = prepareArchiveCopy(srcInfo, dstInfo);
      content = tarLocalPath(srcPath);
      if (prepared.rebase) content = rebaseArchive(content, ...prepared.rebase);
      extractTo = prepared.dir;
    }
    const body = content.pipe(counter((n) => (this.copied += n)));
    await this.cli.client.request('PUT', this.archivePath(), {
      query: { path: extractTo, noOverwriteDirNonDir: true, copyUIDGID: copyUidGid || undefined },
      body,
    });
    return dstInfo.path;
  }
}

export interface CpOptions {
  archive?: boolean;
  followLink?: boolean;
  quiet?: boolean;
}

export async function runCp(cli: Cli, source: string, destination: string, flags: CpOptions): Promise<void> {
  const [srcContainer, srcPath] = splitCpArg(source);
  const [dstContainer, dstPath] = splitCpArg(destination);
  if (source === '') throw new CliError('source can not be empty');
  if (destination === '') throw new CliError('destination can not be empty');
  if (srcContainer && dstContainer) throw new CliError('copying between containers is not supported');
  if (!srcContainer && !dstContainer) throw new CliError('must specify at least one container source');
  const copier = new Copier(cli, srcContainer || dstContainer);
  let target: string;
  if (srcContainer) {
    await copier.fromContainer(srcPath, dstPath, Boolean(flags.followLink));
    target = dstPath === '-' ? '' : resolveLocalPath(dstPath);
  } else {
    target = `${dstContainer}:${await copier.toContainer(srcPath, dstPath, Boolean(flags.followLink), Boolean(flags.archive))}`;
  }
  if (target && !flags.quiet && process.stderr.isTTY) await cli.err(`Successfully copied ${humanSize(copier.copied)} to ${target}\n`);
}

export function registerCpCommand(program: Command, cli: Cli): void {
  program.command('cp')
    .description('Copy files/folders between a container and the local filesystem')
    .usage('[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH')
    .argument('<source>')
    .argument('<destination>')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached to STDERR')
    .action((source: string, destination: string, flags: CpOptions) => runCp(cli, source, destination, flags));
}
