import type { ContainerServices } from './container-services.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { labelMatches } from '../../lib/label-filter.js';
import type { Container } from './container.js';
import { stateName } from './container-state.js';
import { healthFilterValue } from './health-rules.js';

/** The filters `docker ps` accepts. */
export const LIST_FILTERS = [
  'ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network',
  'publish', 'since', 'status', 'volume',
] as const;

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

export interface ListOptions {
  all: boolean;
  limit?: number;
  filters: Map<string, string[]>;
}

/**
 * GET /containers/json's selection: newest first; running ones only unless `all` (or a limit, or a
 * status/exited filter that asks for others); then Docker's filters, values of one filter OR-ed,
 * different filters AND-ed. Name and ID values are regular expressions, as in Docker.
 */
export function selectContainers(engine: ContainerServices, containers: Container[], opts: ListOptions): Container[] {
  const f = opts.filters;
  for (const v of f.get('status') ?? []) if (!STATUSES.includes(v)) throw new InvalidArgumentError(`Invalid filter 'status=${v}'`);
  for (const v of f.get('health') ?? []) if (!HEALTH.includes(v)) throw new InvalidArgumentError(`Unrecognised filter value for health: ${v}`);
  const exited = (f.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`Invalid filter 'exited=${v}'`);
    return Number(v);
  });
  const before = f.get('before')?.map((ref) => engine.containers.get(ref));
  const since = f.get('since')?.map((ref) => engine.containers.get(ref));
  const ancestors = new Set<string>();
  for (const ref of f.get('ancestor') ?? []) {
    try {
      const id = engine.images.resolveId(ref);
      ancestors.add(id);
      for (const child of descendants(engine, id)) ancestors.add(child);
    } catch {
      // An unknown image matches no container (Docker logs and goes on).
    }
  }
  const wantsStopped = opts.all || opts.limit !== undefined || f.has('exited')
    || (f.get('status') ?? []).some((s) => s !== 'running');

  const sorted = [...containers].sort((a, b) => Date.parse(b.record.created) - Date.parse(a.record.created) || (a.id < b.id ? 1 : -1));
  const out: Container[] = [];
  for (const c of sorted) {
    const r = c.record;
    const state = stateName(r.state);
    if (!wantsStopped && state !== 'running' && state !== 'paused' && state !== 'restarting') continue;
    if (before && !before.every((b) => Date.parse(r.created) < Date.parse(b.record.created))) continue;
    if (since && !since.every((s) => Date.parse(r.created) > Date.parse(s.record.created))) continue;
    if (f.has('id') && !matchAny(f.get('id')!, r.id)) continue;
    // With or without the slash, as dockerd matches (`name=^web$` and `name=^/web$` both find /web).
    if (f.has('name') && !matchAny(f.get('name')!, r.name) && !matchAny(f.get('name')!, r.name.slice(1))) continue;
    if (f.has('status') && !f.get('status')!.includes(state)) continue;
    if (exited.length && (state !== 'exited' || !exited.includes(r.state.exitCode))) continue;
    if (f.has('label') && !f.get('label')!.every((l) => labelMatches(r.config.Labels ?? {}, l))) continue;
    if (f.has('ancestor') && !ancestors.has(r.image) && !f.get('ancestor')!.includes(r.config.Image)) continue;
    if (f.has('health') && !f.get('health')!.includes(healthFilterValue(r.state.health))) continue;
    if (f.has('is-task') && f.get('is-task')!.includes('true')) continue;
    if (f.has('volume') && !f.get('volume')!.some((v) => r.mounts.some((m) => m.Name === v || m.Destination === v || m.Source === v))) continue;
    if (f.has('network') && !networkMatches(engine, c, f.get('network')!)) continue;
    if (f.has('expose') && !portMatches(Object.keys(r.config.ExposedPorts ?? {}), f.get('expose')!)) continue;
    if (f.has('publish') && !portMatches(publishedPorts(engine, c), f.get('publish')!)) continue;
    out.push(c);
    if (opts.limit !== undefined && opts.limit > 0 && out.length >= opts.limit) break;
  }
  return out;
}

/** Docker's Args.Match: an exact value, or the value as an (unanchored) regular expression. */
function matchAny(patterns: string[], value: string): boolean {
  return patterns.some((p) => {
    if (p === value) return true;
    try {
      return new RegExp(p).test(value);
    } catch {
      return false;
    }
  });
}

function descendants(engine: ContainerServices, id: string): string[] {
  const out: string[] = [];
  const queue = [id];
  while (queue.length) {
    for (const child of engine.images.children(queue.shift()!)) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function networkMatches(engine: ContainerServices, c: Container, wanted: string[]): boolean {
  const nets = engine.network.containerNetworks(c.id);
  const mode = c.record.hostConfig.NetworkMode;
  return wanted.some((w) => nets.some((n) => n.name === w || n.id === w || n.id.startsWith(w)) || mode === w);
}

function publishedPorts(engine: ContainerServices, c: Container): string[] {
  return engine.network.portSummary(c.id).filter((p) => p.PublicPort).map((p) => `${p.PublicPort}/${p.Type}`);
}

/** `80`, `80/tcp` or a range `8000-8080/tcp` against port keys like `80/tcp`. */
function portMatches(keys: string[], wanted: string[]): boolean {
  return wanted.some((w) => {
    const [range, proto = 'tcp'] = w.split('/');
    const [lo, hi = lo] = range.split('-').map(Number);
    return keys.some((k) => {
      const [p, kproto = 'tcp'] = k.split('/');
      return kproto === proto && Number(p) >= lo && Number(p) <= hi;
    });
  });
}

