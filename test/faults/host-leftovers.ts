// What a container's runs leave on the host, as a person would look for it: mounts, cgroups, its
// veth, its monitor process, runc's state, the daemon's firewall rules. Fault tests assert that a
// failed create, start or remove leaves none of it.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hostVethName } from '../../src/engine/network/plumbing.js';
import { chainTag } from '../../src/engine/network/network-ids.js';
import type { TestDaemon } from '../helpers/daemon.js';

const execFileAsync = promisify(execFile);

async function lines(cmd: string, args: string[]): Promise<string[]> {
  try {
    return (await execFileAsync(cmd, args)).stdout.split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** The daemon's own firewall rules (its chains are named for its exec root), one line each. */
export async function firewallRules(daemon: TestDaemon): Promise<string[]> {
  const tag = chainTag(daemon.execRoot);
  const out: string[] = [];
  for (const table of ['filter', 'nat']) {
    for (const l of await lines('iptables-save', ['-t', table])) if (l.includes(tag) && !l.startsWith('#')) out.push(`${table}: ${l}`);
  }
  return out.sort();
}

/**
 * Everything of container `id` still on the host, besides its record: mounts (rootfs overlay, shm),
 * cgroups in any hierarchy, the veth of its endpoint on `networkId`, a conmon, runc's state, and
 * firewall rules that were not there in `rulesBefore`. (Its network namespace is anonymous: it lives
 * only while a process of the container or a mount holds it, which the cgroup and mount checks cover.)
 */
export async function leftoversOf(daemon: TestDaemon, id: string, networkId: string, rulesBefore: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const l of (await readFile('/proc/mounts', 'utf8')).split('\n')) {
    const point = l.split(' ')[1];
    if (point?.includes(id)) found.push(`mount ${point}`);
  }
  for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', hierarchy, 'berth', id);
    if (existsSync(dir)) found.push(`cgroup ${dir}`);
  }
  const veth = hostVethName(id, networkId);
  if ((await lines('ip', ['-o', 'link'])).some((l) => l.split(': ')[1]?.split('@')[0] === veth)) found.push(`link ${veth}`);
  for (const l of await lines('pgrep', ['-af', 'conmon'])) if (l.includes(id)) found.push(`process ${l.slice(0, 60)}`);
  for (const l of await lines('ip', ['netns', 'list'])) if (l.includes(id.slice(0, 12))) found.push(`netns ${l}`);
  if (existsSync(join(daemon.execRoot, 'runc', id))) found.push(`runc state ${join(daemon.execRoot, 'runc', id)}`);
  const before = new Set(rulesBefore);
  for (const rule of await firewallRules(daemon)) if (!before.has(rule)) found.push(`rule ${rule}`);
  return found;
}
