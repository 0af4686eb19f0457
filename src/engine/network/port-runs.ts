/** What tells published ports apart for the firewall (a FirewallPort). */
interface RunPort {
  bridge: string;
  proto: string;
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  proxied: boolean;
}

/** Published ports of one rule: `hostPort`..`lastPort`, each to the same port number in the container. */
export type PortRun<P extends RunPort> = P & { lastPort: number };

/**
 * The published ports as runs for the firewall: ports that go to the same container, protocol and host
 * address, each to the same port number inside (`-p 20000-20999:20000-20999`), and follow each other,
 * become one run, so a range of 1,000 ports is one DNAT rule (`--dport 20000:20999`, the destination
 * port kept) and one ACCEPT rule, not 2,000 rules. Any other port is a run of its own. Order: as given,
 * each run where its first port was.
 */
export function portRuns<P extends RunPort>(ports: P[]): PortRun<P>[] {
  const runs: PortRun<P>[] = [];
  const open = new Map<string, PortRun<P>>();
  for (const p of ports) {
    const group = `${p.bridge} ${p.proto} ${p.hostIp} ${p.containerIp} ${p.proxied}`;
    const run = open.get(group);
    if (run && p.hostPort === p.containerPort && run.hostPort === run.containerPort && p.hostPort === run.lastPort + 1) {
      run.lastPort = p.hostPort;
      continue;
    }
    const next = { ...p, lastPort: p.hostPort };
    runs.push(next);
    open.set(group, next);
  }
  return runs;
}
