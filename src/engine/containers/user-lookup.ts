import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/root-path.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/**
 * Resolves Config.User (`name`, `uid`, `name:group`, `uid:gid`...) against the container's own
 * /etc/passwd and /etc/group, as Docker does (runc's user package rules): a numeric uid need not
 * exist; a name must. Supplementary groups are the user's memberships plus HostConfig.GroupAdd.
 */
export async function resolveUser(rootfs: string, spec: string, groupAdd: string[] = []): Promise<ResolvedUser> {
  const passwd = parsePasswd(await readOptional(rootfs, '/etc/passwd'));
  const groups = parseGroup(await readOptional(rootfs, '/etc/group'));
  const [userPart, groupPart] = splitOnce(spec, ':');
  let user: PasswdEntry | undefined;
  let uid: number;
  let gid = 0;
  let home = '/';
  if (userPart === '') {
    user = passwd.find((p) => p.uid === 0);
    uid = 0;
  } else if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    user = passwd.find((p) => p.uid === uid);
  } else {
    user = passwd.find((p) => p.name === userPart);
    if (!user) throw new InvalidArgumentError(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = user.uid;
  }
  if (user) {
    gid = user.gid;
    home = user.home;
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new InvalidArgumentError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  const additional = new Set<number>();
  if (user && groupPart === undefined) {
    for (const g of groups) if (g.members.includes(user.name) && g.gid !== gid) additional.add(g.gid);
  }
  for (const extra of groupAdd) {
    if (/^\d+$/.test(extra)) additional.add(Number(extra));
    else {
      const g = groups.find((x) => x.name === extra);
      if (!g) throw new InvalidArgumentError(`Unable to find group ${extra}: no matching entries in group file`);
      additional.add(g.gid);
    }
  }
  return { uid, gid, additionalGids: [...additional], home };
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

/** A file of the root filesystem (its links followed inside it, as runc does); empty when unreadable. */
async function readOptional(rootfs: string, path: string): Promise<string> {
  try {
    return await readFile(await resolveInRoot(rootfs, path), 'utf8');
  } catch {
    return '';
  }
}

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], uid, gid, home: f[5] || '/' });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}
