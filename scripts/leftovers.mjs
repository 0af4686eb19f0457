// What Berth's tests could leave on a host: links, mounts, firewall chains, namespaces, monitor and
// proxy processes, cgroups and temp dirs. run-tests.mjs takes this before and after a run and names anything new.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

function lines(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  } catch {
    return [];
  }
}

export function snapshot() {
  const items = new Set();
  for (const l of lines('ip', ['-o', 'link'])) {
    const name = l.split(': ')[1]?.split('@')[0];
    if (name && /^(berth|vb)/.test(name)) items.add(`link ${name}`);
  }
  for (const l of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const point = l.split(' ')[1];
    if (point && point.includes('/berth-')) items.add(`mount ${point}`);
  }
  for (const table of ['filter', 'nat']) {
    for (const l of lines('iptables-save', ['-t', table])) if (/^:BERTH/.test(l)) items.add(`chain ${table} ${l.split(' ')[0].slice(1)}`);
  }
  for (const l of lines('ip', ['netns', 'list'])) if (l.includes('berth')) items.add(`netns ${l.split(' ')[0]}`);
  for (const l of lines('pgrep', ['-af', 'conmon'])) {
    if (l.includes('/berth-')) items.add(`process ${l.split(' ').slice(0, 2).join(' ')}`);
  }
  // berthd's userland proxy (src/engine/network/userland-proxy.ts), named after the daemon's exec root.
  for (const l of lines('pgrep', ['-af', 'berth-port-proxy'])) {
    const m = / \S*berth-port-proxy (\S*\/berth-\S*)$/.exec(l);
    if (m) items.add(`process ${l.split(' ')[0]} berth-port-proxy ${m[1]}`);
  }
  for (const name of readdirSync(tmpdir())) if (name.startsWith('berth-')) items.add(`dir ${tmpdir()}/${name}`);
  // Containers' cgroups (runc's cgroupsPath /berth/<id>), in the v1 pids hierarchy or the v2 tree.
  for (const root of ['/sys/fs/cgroup/pids/berth', '/sys/fs/cgroup/berth']) {
    let names = [];
    try { names = readdirSync(root); } catch { continue; }
    for (const name of names) if (/^[0-9a-f]{64}$/.test(name)) items.add(`cgroup ${root}/${name}`);
  }
  return items;
}

export function newSince(before, after) {
  return [...after].filter((x) => !before.has(x)).sort();
}
