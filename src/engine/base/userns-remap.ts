import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgumentError, SystemError, errorMessage } from '../../lib/errors.js';
import {
  DEFAULT_RANGE_LENGTH, mapsFromRanges, nextRangeStart, parseSubIdFile, rangesOf, rootPair, type IdMapping,
} from '../../lib/id-mapping.js';
import type { Logger } from './log.js';

/**
 * `--userns-remap` (daemon.json "userns-remap"), as dockerd has it: resolves `default`, `user`,
 * `user:group`, `uid` or `uid:gid` to a user and a group with subordinate id ranges, creating the
 * `dockremap` user and its ranges for `default`, and lays out the daemon's data root for it
 * (`<data-root>/<uid>.<gid>`, traversable by the remapped root). Messages are dockerd's.
 */

const execFileAsync = promisify(execFile);

/** dockerd's names: `default` means the `dockremap` user and group. */
export const DEFAULT_REMAP_SPEC = 'default';
export const DEFAULT_REMAP_USER = 'dockremap';

export interface UsernsRemap {
  /** `user:group` as resolved (what dockerd writes back into its config). */
  user: string;
  group: string;
  mapping: IdMapping;
  /** The host ids of the containers' root. */
  root: { uid: number; gid: number };
}

interface Entry {
  name: string;
  id: number;
}

/** The user/group part of `--userns-remap`: each a name or a numeric id. */
export function parseRemapSpec(spec: string): { user: string; group?: string } {
  const parts = spec.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new InvalidArgumentError(`Invalid user/group specification in --userns-remap: ${JSON.stringify(spec)}`);
  }
  return parts.length === 2 ? { user: parts[0]!, group: parts[1]! } : { user: parts[0]! };
}

const isId = (s: string) => /^\d+$/.test(s) && Number(s) <= 0x7fffffff;

/** A passwd or group entry by name or number, through NSS (getent), as dockerd's lookup falls back to it. */
async function getent(database: 'passwd' | 'group', key: string): Promise<Entry | undefined> {
  try {
    const { stdout } = await execFileAsync('getent', [database, key]);
    const [name, , id] = stdout.split('\n')[0]!.split(':');
    return name && id !== undefined ? { name, id: Number(id) } : undefined;
  } catch (err) {
    if ((err as { code?: unknown }).code === 2) return undefined; // getent: key not found
    throw new SystemError(`looking up ${key} in the ${database} database: ${errorMessage(err)}`);
  }
}

const NO_USER = 'no matching entries in passwd file';
const NO_GROUP = 'no matching entries in group file';

/** dockerd's parseRemappedRoot: the user and group names, `dockremap` created for `default`. */
async function resolveNames(spec: string, log: Logger): Promise<{ user: Entry; group: Entry }> {
  const parsed = parseRemapSpec(spec);
  let user: Entry | undefined;
  let group: Entry | undefined;
  if (isId(parsed.user)) {
    user = await getent('passwd', parsed.user);
    if (!user) throw new InvalidArgumentError(`Uid ${parsed.user} has no entry in /etc/passwd: ${NO_USER}`);
    if (parsed.group === undefined) {
      group = await getent('group', parsed.user);
      if (!group) throw new InvalidArgumentError(`Gid ${parsed.user} has no entry in /etc/group: ${NO_GROUP}`);
    }
  } else {
    const lookupName = parsed.user === DEFAULT_REMAP_SPEC ? DEFAULT_REMAP_USER : parsed.user;
    user = await getent('passwd', lookupName);
    if (!user && parsed.user !== DEFAULT_REMAP_SPEC) {
      throw new InvalidArgumentError(`Error during uid lookup for ${JSON.stringify(lookupName)}: ${NO_USER}`);
    }
    if (!user) {
      await addRemapUser(DEFAULT_REMAP_USER, log).catch((err) => {
        throw new SystemError(`Error during ${JSON.stringify(DEFAULT_REMAP_USER)} user creation: ${errorMessage(err)}`);
      });
      user = await getent('passwd', DEFAULT_REMAP_USER);
      if (!user) throw new SystemError(`Error during ${JSON.stringify(DEFAULT_REMAP_USER)} user creation: not found after adduser`);
    }
    if (parsed.group === undefined) {
      group = await getent('group', lookupName);
      if (!group) throw new InvalidArgumentError(`Error during gid lookup for ${JSON.stringify(lookupName)}: ${NO_GROUP}`);
    }
  }
  if (parsed.group !== undefined) {
    group = await getent('group', parsed.group);
    if (!group && isId(parsed.group)) throw new InvalidArgumentError(`Gid ${parsed.group} has no entry in /etc/passwd: ${NO_GROUP}`);
    if (!group) throw new InvalidArgumentError(`Error during groupname lookup for ${JSON.stringify(parsed.group)}: ${NO_GROUP}`);
  }
  return { user, group: group! };
}

async function subIds(file: string): Promise<ReturnType<typeof parseSubIdFile>> {
  try {
    return parseSubIdFile(await readFile(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(cmd, args);
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.stdout || errorMessage(err)).trim()}`);
  }
}

/**
 * dockerd's AddNamespaceRangesUser: a system user and group (adduser, else useradd), then a range of
 * 65536 subordinate uids and gids each (usermod -v / -w) unless the distribution's tools made some.
 */
async function addRemapUser(name: string, log: Logger): Promise<void> {
  const adduser = await execFileAsync('sh', ['-c', 'command -v adduser']).then(() => true, () => false);
  if (adduser) {
    await run('adduser', ['--system', '--shell', '/bin/false', '--no-create-home', '--disabled-login', '--disabled-password', '--group', name]);
  } else {
    await run('useradd', ['-r', '-s', '/bin/false', name]);
  }
  for (const [file, flag] of [['/etc/subuid', '-v'], ['/etc/subgid', '-w']] as const) {
    const all = await subIds(file);
    if (all.some((r) => r.name === name)) continue;
    const start = nextRangeStart(all);
    await run('usermod', [flag, `${start}-${start + DEFAULT_RANGE_LENGTH - 1}`, name]);
    log.info(`User namespaces: added ${file} range ${start}:${DEFAULT_RANGE_LENGTH} for ${name}`);
  }
}

/**
 * Resolves the setting; undefined when remapping is off (`root` remaps nothing: dockerd warns and goes
 * on without user namespaces).
 */
export async function resolveUsernsRemap(spec: string, log: Logger): Promise<UsernsRemap | undefined> {
  const { user, group } = await resolveNames(spec, log);
  if (user.name === 'root') {
    log.warn('User namespaces: root cannot be remapped with itself; user namespaces are OFF');
    return undefined;
  }
  log.info(`User namespaces: ID ranges will be mapped to subuid/subgid ranges of: ${user.name}`);
  const uids = rangesOf(await subIds('/etc/subuid'), user.name, user.id);
  if (!uids.length) throw new InvalidArgumentError(`Can't create ID mappings: no subuid ranges found for user ${JSON.stringify(user.name)}`);
  const gids = rangesOf(await subIds('/etc/subgid'), group.name, group.id);
  if (!gids.length) throw new InvalidArgumentError(`Can't create ID mappings: no subgid ranges found for group ${JSON.stringify(group.name)}`);
  const mapping = { uids: mapsFromRanges(uids), gids: mapsFromRanges(gids) };
  return { user: user.name, group: group.name, mapping, root: rootPair(mapping) };
}

/** Can `uid:gid` pass through `path` (execute bit for other, owner or group; dockerd's canAccess)? */
async function canTraverse(path: string, uid: number, gid: number): Promise<boolean> {
  const st = await stat(path);
  const perm = st.mode & 0o777;
  return (perm & 0o001) !== 0 || (st.uid === uid && (perm & 0o100) !== 0) || (st.gid === gid && (perm & 0o010) !== 0);
}

/**
 * dockerd's setupDaemonRoot under remap: the data root 0711, then `<root>/<uid>.<gid>` 0710 owned by
 * root and the remapped root's group, which becomes the daemon's data root. Every directory above it
 * must let the remapped root pass, or no container could reach its root filesystem.
 */
export async function remappedDataRoot(dataRoot: string, root: { uid: number; gid: number }): Promise<string> {
  await mkdir(dataRoot, { recursive: true, mode: 0o711 });
  await chmod(dataRoot, 0o711);
  const dir = join(dataRoot, `${root.uid}.${root.gid}`);
  await mkdir(dir, { recursive: true, mode: 0o710 });
  await chown(dir, process.getuid?.() ?? 0, root.gid);
  await chmod(dir, 0o710);
  for (let p = dirname(dir); p !== '/' && p !== '.'; p = dirname(p)) {
    if (!(await canTraverse(p, root.uid, root.gid))) {
      throw new InvalidArgumentError(`a subdirectory in your graphroot path (${dir}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories`);
    }
  }
  return dir;
}

/**
 * Resolves `config.usernsRemap` into `config.remap` and moves `config.dataRoot` to the remapped root's
 * own directory, as dockerd does before it opens anything (images, containers and volumes of a remapped
 * daemon are owned by the remapped ids, so they are kept apart from those of an unmapped one).
 */
export async function applyUsernsRemap(config: { usernsRemap?: string; remap?: UsernsRemap; dataRoot: string }, log: Logger): Promise<void> {
  if (!config.usernsRemap) return;
  const remap = await resolveUsernsRemap(config.usernsRemap, log);
  if (!remap) return;
  config.remap = remap;
  config.dataRoot = await remappedDataRoot(config.dataRoot, remap.root);
  log.info(`User namespaces: data root ${config.dataRoot}`);
}
