/**
 * Runs one side-by-side benchmark: `npm run bench -- NAME [args]`. Each benchmark is also a script of
 * its own (`node --import tsx bench/FILE.ts [args]`); this only names them.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BENCHMARKS: Record<string, { file: string; args: string }> = {
  engine: { file: 'engine.ts', args: '[runs=30] [containers=500]: run --rm, daemon and conmon memory, ps -a, seccomp cost; `engine seccomp [runs=10]`: that alone' },
  runtime: { file: 'runtime-bench.ts', args: '[runs=30]: conmon+runc cycle beside a shell-driven one and runc run' },
  interactive: { file: 'interactive-bench.ts', args: '[echoes=300] [execs=20]: echo round trip, exec, 100 MB of output' },
  network: { file: 'network-bench.ts', args: '[runs=20]: run --rm on the bridge, published-port throughput, DNS latency' },
  ports: { file: 'ports-bench.ts', args: '[throughput-runs=3] [connections=300]: ranges of 500 and 1,000 published ports, throughput and connection latency' },
  distribution: { file: 'pull-push-bench.ts', args: '[rounds=3]: pull and push of 3 x 100 MiB through a local registry' },
  events: { file: 'events-bench.ts', args: '[rate=1000] [seconds=10] [subscribers=10]: event fan-out, loss and delivery latency' },
  registry: { file: 'registry-bench.ts', args: '[rounds=7] [requests=20000]: berth-registry beside distribution 2.8' },
  'registry-gc': { file: 'registry-gc-bench.ts', args: '[blobs=1000] [rounds=3] [seconds=15]: GC sweep rate on radosgw beside distribution 2.8, push latency during GC' },
  'hub-search': { file: 'hub-search-bench.ts', args: '[repositories=100000] [tags-per-repository=10] [requests=1000]: hub search and repository API at scale, cold start, idle RSS' },
  'peer-credentials': { file: 'peer-credentials-bench.ts', args: '[connections=2000] [lookups=50]: cost of a unix client\'s uid/gid per connection (addon, ss lookup)' },
  logs: { file: 'logs-bench.ts', args: '[lines=1000000] [runs=5] [follow-seconds=10] [rate=50000]: logs --tail 100000, --since in the middle, CPU of logs -f' },
  scale: { file: 'scale-bench.ts', args: '[part=all|idle|floor|concurrent|many] [containers=1000] [runs=20]: idle RSS, run floor, 50/100 concurrent runs, 1,000 running containers' },
  health: { file: 'health-bench.ts', args: '[containers=100] [window-seconds=15]: CPU while 100 containers are probed every second' },
};

const [name, ...args] = process.argv.slice(2);
const bench = name ? BENCHMARKS[name] : undefined;
if (!bench) {
  console.error('usage: npm run bench -- NAME [args]\n');
  for (const [n, b] of Object.entries(BENCHMARKS)) console.error(`  ${n.padEnd(13)} ${b.args}`);
  process.exit(2);
}
const file = join(import.meta.dirname, bench.file);
const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
