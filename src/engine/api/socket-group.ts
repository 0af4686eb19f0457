import { readFile, chown } from 'node:fs/promises';
import type { Logger } from '../base/log.js';
import { InvalidArgumentError } from '../../lib/errors.js';

/** The group name or number `-G/--group` gives, as a gid from /etc/group; undefined when no such group. */
export async function groupId(group: string, groupFile = '/etc/group'): Promise<number | undefined> {
  if (/^\d+$/.test(group)) return Number(group);
  const text = await readFile(groupFile, 'utf8');
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

/**
 * Gives a unix socket to the `-G/--group` group (mode 0660), as dockerd does: its members can drive
 * the daemon, and without `authorization` roles that is root on this machine. The default group,
 * "docker", may be missing (a debug line, as dockerd); a group named with -G must exist.
 */
export async function setSocketGroup(path: string, group: string, log: Logger): Promise<void> {
  if (!group) return;
  const gid = await groupId(group);
  if (gid === undefined) {
    if (group === 'docker') {
      log.debug(`could not change group ${path} to docker: group docker not found`);
      return;
    }
    throw new InvalidArgumentError(`group ${group} not found (-G/--group names the group of the API socket)`);
  }
  await chown(path, process.getuid?.() ?? 0, gid);
}
