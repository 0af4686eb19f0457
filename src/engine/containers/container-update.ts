/**
 * POST /containers/{id}/update (`docker update`): new limits and restart policy for a container, with
 * dockerd's rules (daemon/update.go, container_unix.go UpdateContainer). A running container's cgroups
 * change at once (the runtime's update); every container's record keeps the new values, so inspect
 * shows them and the next start applies them.
 */
import { ConflictError, InvalidArgumentError, NotFoundError, SystemError, errorMessage } from '../../lib/errors.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { Container } from './container.js';
import type { ContainerStore } from './container-store.js';
import type { HostConfig, RestartPolicy } from './container-types.js';
import { checkFields, HOST_CONFIG_FIELDS } from './create-body.js';
import { isSet } from './create-support.js';
import { hostResourceFacts } from './host-resources.js';
import { checkResources, runtimeResources } from './resource-options.js';
import { validateRestartPolicy } from './restart-policy.js';

/** What `docker update` changes; a zero value leaves the field as it is. */
const UPDATABLE = [
  'BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime',
  'CpusetCpus', 'CpusetMems', 'Memory', 'MemorySwap', 'MemoryReservation', 'PidsLimit',
] as const;

/**
 * Fields of UpdateConfig (the Resources of HostConfig) that dockerd accepts and then ignores: a set
 * value is refused here, naming the field.
 */
const FIXED_AT_CREATE = [
  'CgroupParent', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemory', 'KernelMemoryTCP',
  'MemorySwappiness', 'OomKillDisable', 'Ulimits', 'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth',
];

export interface UpdateRequest {
  resources: Partial<Record<(typeof UPDATABLE)[number], number | string | null>>;
  /** Left out when the body has none or an empty name (no change). */
  restartPolicy?: RestartPolicy;
}

/** Parses an UpdateConfig body: field types in Go's words, fields an update cannot change refused. */
export function parseUpdateBody(body: unknown): UpdateRequest {
  if (body === undefined || body === null) return { resources: {} };
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError(`json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type container.UpdateConfig`);
  }
  const raw = body as Record<string, unknown>;
  const fields = Object.fromEntries(Object.entries(HOST_CONFIG_FIELDS).filter(([k]) => (UPDATABLE as readonly string[]).includes(k)));
  checkFields(raw, { ...fields, RestartPolicy: 'object' }, 'UpdateConfig');
  for (const field of FIXED_AT_CREATE) {
    if (isSet(field, raw[field])) {
      throw new InvalidArgumentError(`UpdateConfig.${field} is refused: docker update cannot change it; it is fixed when the container is created`);
    }
  }
  const resources: UpdateRequest['resources'] = {};
  for (const field of UPDATABLE) if (raw[field] !== undefined) resources[field] = raw[field] as number | string | null;
  const policy = raw.RestartPolicy as { Name?: unknown; MaximumRetryCount?: unknown } | undefined;
  if (policy) checkFields(policy as Record<string, unknown>, { Name: 'string', MaximumRetryCount: 'int' }, 'UpdateConfig.RestartPolicy');
  const restartPolicy = policy && policy.Name ? validateRestartPolicy(policy) : undefined;
  return { resources, ...(restartPolicy ? { restartPolicy } : {}) };
}

/**
 * Applies an update to a container (under its lock): checks it as dockerd does, merges it into the
 * record, sets the live cgroups of a running container, saves the record. On any failure the record
 * is left as it was. Returns dockerd's warnings.
 */
export async function updateContainer(runtime: ContainerRuntime, store: ContainerStore, c: Container, body: unknown): Promise<{ Warnings: string[] }> {
  const update = parseUpdateBody(body);
  const host = hostResourceFacts();
  const warnings = checkResources(update.resources, host, true);
  return c.locked(async () => {
    if (c.removed) throw new NotFoundError(`No such container: ${c.id}`);
    const cannot = (message: string) => `Cannot update container ${c.id}: ${message}`;
    if (c.state.removing || c.state.dead) throw new ConflictError(cannot('container is marked for removal and cannot be "update"'));
    const before = c.record.hostConfig;
    const merged = mergeUpdate(before, update, (message) => new ConflictError(cannot(message)));
    // The merged limits must hold together too (a reservation above a lowered memory limit...).
    checkResources(merged, host, true);
    c.record.hostConfig = merged;
    try {
      if (c.state.running && !c.state.restarting) {
        try {
          await runtime.update(c.id, await runtimeResources(merged));
        } catch (err) {
          if (err instanceof InvalidArgumentError || err instanceof NotFoundError) throw err;
          throw new SystemError(cannot(errorMessage(err)), { cause: err });
        }
      }
      await store.save(c.record);
    } catch (err) {
      c.record.hostConfig = before;
      throw err;
    }
    return { Warnings: warnings };
  });
}

/** container_unix.go UpdateContainer: the update over the current HostConfig, with dockerd's conflicts. */
function mergeUpdate(current: HostConfig, update: UpdateRequest, conflict: (message: string) => Error): HostConfig {
  const r = update.resources;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const cur = (field: string) => n(current[field]);
  if (n(r.NanoCpus) > 0 && cur('CpuPeriod') > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (n(r.NanoCpus) > 0 && cur('CpuQuota') > 0) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (n(r.CpuPeriod) > 0 && cur('NanoCpus') > 0) throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (n(r.CpuQuota) > 0 && cur('NanoCpus') > 0) throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  if (n(r.Memory) !== 0 && cur('MemorySwap') > 0 && n(r.Memory) > cur('MemorySwap') && n(r.MemorySwap) === 0) {
    throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
  }
  const out: HostConfig = { ...current };
  for (const field of UPDATABLE) {
    const v = r[field];
    if (field === 'PidsLimit') {
      // Both 0 and -1 ask for no limit, recorded as 0 (as dockerd records it).
      if (typeof v === 'number') out.PidsLimit = v > 0 ? v : 0;
    } else if (v !== undefined && v !== null && v !== 0 && v !== '') {
      (out as Record<string, unknown>)[field] = v;
    }
  }
  if (update.restartPolicy) {
    if (current.AutoRemove && update.restartPolicy.Name !== 'no') {
      throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    }
    out.RestartPolicy = update.restartPolicy;
  }
  return out;
}
