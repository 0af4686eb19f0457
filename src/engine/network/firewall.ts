import { iptablesRestore, iptablesSave } from './host-commands.js';
import { portRuns } from './port-runs.js';

/**
 * The daemon's iptables rules. Every rule lives in chains named for this daemon (`<tag>`, `<tag>-POST`,
 * `<tag>-FWD`), reached by one jump from each builtin chain, so several daemons (a user's and test
 * daemons) never touch each other's rules. The chains are regenerated whole from the daemon's state on
 * every change, in one `iptables-restore --noflush` call: what is applied is always exactly what the
 * state says, even after a crash.
 */

export interface FirewallNetwork {
  bridge: string;
  subnet: string;
  internal: boolean;
  /** Containers on this bridge may talk to each other (Docker's enable_icc). */
  icc: boolean;
}

export interface FirewallPort {
  bridge: string;
  proto: 'tcp' | 'udp' | 'sctp';
  /** '' or 0.0.0.0 for every address. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  /** A userland proxy answers this port on the host's loopback: loopback traffic is not DNATed. */
  proxied: boolean;
}

export interface FirewallState {
  networks: FirewallNetwork[];
  ports: FirewallPort[];
}

interface Chains {
  dnat: string;
  post: string;
  fwd: string;
}

/** The builtin chains that jump to ours, with the match that selects the traffic. */
function jumps(c: Chains): { table: 'nat' | 'filter'; chain: string; rule: string }[] {
  return [
    { table: 'nat', chain: 'PREROUTING', rule: `-m addrtype --dst-type LOCAL -j ${c.dnat}` },
    // Loopback too, for ports without a userland proxy: route_localnet lets DNATed 127.0.0.1 out.
    { table: 'nat', chain: 'OUTPUT', rule: `-m addrtype --dst-type LOCAL -j ${c.dnat}` },
    { table: 'nat', chain: 'POSTROUTING', rule: `-j ${c.post}` },
    { table: 'filter', chain: 'FORWARD', rule: `-j ${c.fwd}` },
  ];
}

export function chainNames(tag: string): Chains {
  return { dnat: tag, post: `${tag}-POST`, fwd: `${tag}-FWD` };
}

/** The rules of our chains for a state (pure; tested on its own). */
export function renderRules(tag: string, state: FirewallState): { nat: string[]; filter: string[] } {
  const c = chainNames(tag);
  const nat: string[] = [];
  const filter: string[] = [];
  const runs = portRuns(state.ports);
  for (const p of runs) {
    const loopbackOnly = p.hostIp.startsWith('127.');
    if (p.proxied && loopbackOnly) continue;
    const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `-d ${p.hostIp}/32 ` : p.proxied ? '! -d 127.0.0.0/8 ' : '';
    const to = p.lastPort > p.hostPort ? `--dport ${p.hostPort}:${p.lastPort} -j DNAT --to-destination ${p.containerIp}`
      : `--dport ${p.hostPort} -j DNAT --to-destination ${p.containerIp}:${p.containerPort}`;
    nat.push(`-A ${c.dnat} ${dst}-p ${p.proto} -m ${p.proto} ${to}`);
  }
  for (const n of state.networks) {
    // Connections from the host's loopback, DNATed to a container, must leave with a routable source.
    nat.push(`-A ${c.post} -s 127.0.0.0/8 -o ${n.bridge} -j MASQUERADE`);
    // Hairpin: a container reaching a published port of its own network through the host.
    nat.push(`-A ${c.post} -s ${n.subnet} -o ${n.bridge} -m conntrack --ctstate DNAT -j MASQUERADE`);
    if (!n.internal) nat.push(`-A ${c.post} -s ${n.subnet} ! -o ${n.bridge} -j MASQUERADE`);
  }
  for (const n of state.networks) {
    if (n.internal) {
      filter.push(`-A ${c.fwd} -i ${n.bridge} ! -o ${n.bridge} -j DROP`);
      filter.push(`-A ${c.fwd} -o ${n.bridge} ! -i ${n.bridge} -j DROP`);
    }
    for (const other of state.networks) {
      if (other.bridge !== n.bridge) filter.push(`-A ${c.fwd} -i ${n.bridge} -o ${other.bridge} -j DROP`);
    }
  }
  for (const n of state.networks) {
    filter.push(`-A ${c.fwd} -i ${n.bridge} -o ${n.bridge} -j ${n.icc ? 'ACCEPT' : 'DROP'}`);
    filter.push(`-A ${c.fwd} -o ${n.bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  }
  for (const p of runs) {
    const dport = p.lastPort > p.hostPort ? `${p.containerPort}:${p.lastPort}` : `${p.containerPort}`;
    filter.push(`-A ${c.fwd} -d ${p.containerIp}/32 ! -i ${p.bridge} -o ${p.bridge} -p ${p.proto} -m ${p.proto} --dport ${dport} -j ACCEPT`);
  }
  for (const n of state.networks) {
    if (!n.internal) filter.push(`-A ${c.fwd} -i ${n.bridge} ! -o ${n.bridge} -j ACCEPT`);
    // Whatever the host's FORWARD policy, nothing else reaches the containers from outside.
    filter.push(`-A ${c.fwd} -o ${n.bridge} -j DROP`);
  }
  return { nat, filter };
}

/** Finds the jump rules to our chains already in a builtin chain, as `-A ...` lines of iptables-save. */
function existingJumps(saved: string, targets: string[]): string[] {
  return saved.split('\n').filter((line) => {
    const m = /^-A (PREROUTING|OUTPUT|POSTROUTING|FORWARD) .*-j (\S+)\s*$/.exec(line);
    return m !== null && targets.includes(m[2]);
  });
}

function existingChains(saved: string, names: string[]): string[] {
  return saved.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]).filter((n) => names.includes(n));
}

export class Firewall {
  private readonly chains: Chains;

  constructor(readonly tag: string) {
    this.chains = chainNames(tag);
  }

  /**
   * Creates our chains (emptied if they exist: a crashed daemon's rules go), and makes sure each builtin
   * chain has exactly one jump to them. Then applies `state`.
   */
  async install(state: FirewallState): Promise<void> {
    const [nat, filter] = await Promise.all([iptablesSave('nat'), iptablesSave('filter')]);
    const c = this.chains;
    const doc: string[] = [];
    const rules = renderRules(this.tag, state);
    for (const table of ['nat', 'filter'] as const) {
      const saved = table === 'nat' ? nat : filter;
      doc.push(`*${table}`);
      doc.push(...(table === 'nat' ? [c.dnat, c.post] : [c.fwd]).map((name) => `:${name} - [0:0]`));
      doc.push(...existingJumps(saved, [c.dnat, c.post, c.fwd]).map((l) => l.replace(/^-A /, '-D ')));
      for (const j of jumps(c).filter((j) => j.table === table)) {
        doc.push(j.chain === 'FORWARD' || j.chain === 'POSTROUTING' ? `-I ${j.chain} 1 ${j.rule}` : `-A ${j.chain} ${j.rule}`);
      }
      doc.push(...rules[table], 'COMMIT');
    }
    await iptablesRestore(doc.join('\n') + '\n');
  }

  /** Replaces the content of our chains with the rules for `state`, in one transaction per table. */
  async apply(state: FirewallState): Promise<void> {
    const c = this.chains;
    const rules = renderRules(this.tag, state);
    const doc = [
      '*nat', `:${c.dnat} - [0:0]`, `:${c.post} - [0:0]`, ...rules.nat, 'COMMIT',
      '*filter', `:${c.fwd} - [0:0]`, ...rules.filter, 'COMMIT',
    ];
    await iptablesRestore(doc.join('\n') + '\n');
  }

  /** Removes our jumps and chains; leaves every other rule alone. */
  async remove(): Promise<void> {
    const [nat, filter] = await Promise.all([iptablesSave('nat'), iptablesSave('filter')]);
    const c = this.chains;
    const doc: string[] = [];
    for (const [table, saved, names] of [['nat', nat, [c.dnat, c.post]], ['filter', filter, [c.fwd]]] as const) {
      const present = existingChains(saved, [...names]);
      const jumpLines = existingJumps(saved, [c.dnat, c.post, c.fwd]);
      if (present.length === 0 && jumpLines.length === 0) continue;
      doc.push(`*${table}`, ...jumpLines.map((l) => l.replace(/^-A /, '-D ')));
      doc.push(...present.map((n) => `-F ${n}`), ...present.map((n) => `-X ${n}`), 'COMMIT');
    }
    if (doc.length) await iptablesRestore(doc.join('\n') + '\n');
  }
}
