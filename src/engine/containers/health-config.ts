// A container's health check as configured: Docker's HealthConfig from the create body (checked as
// dockerd checks it, before the image is looked up), merged with the image's HEALTHCHECK, and read
// with dockerd's defaults (moby daemon/health.go).
import { InvalidArgumentError } from '../../lib/errors.js';
import { formatGoDuration } from '../../lib/go-duration.js';
import type { HealthConfig } from '../images/image-config.js';

export type { HealthConfig };

const MS = 1e6;
/** Docker's container.MinimumDuration: any interval set must be at least this (1ms). */
const MINIMUM_NS = 1 * MS;

/** The timings a probe loop runs with, in milliseconds, with dockerd's defaults for unset fields. */
export interface HealthTimings {
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

const DURATIONS = ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const;

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;
}

/**
 * Checks `Config.Healthcheck` of a create body: JSON types in Go's words, then dockerd's
 * validateHealthCheck (durations under 1ms, negative retries). Returns it as `docker inspect` shows
 * it (Go's omitempty: zero fields left out), or undefined when absent.
 */
export function checkHealthcheck(raw: unknown): HealthConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const fail = (field: string, got: unknown, goType: string): never => {
    throw new InvalidArgumentError(`json: cannot unmarshal ${jsonType(got)} into Go struct field HealthConfig.Healthcheck.${field} of type ${goType}`);
  };
  const h = raw as Record<string, unknown>;
  const out: HealthConfig = {};
  if (h.Test !== undefined && h.Test !== null) {
    if (!Array.isArray(h.Test)) fail('Test', h.Test, '[]string');
    for (const word of h.Test as unknown[]) if (typeof word !== 'string') fail('Test', word, 'string');
    if ((h.Test as string[]).length) out.Test = [...(h.Test as string[])];
  }
  for (const field of DURATIONS) {
    const v = h[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(field, v, 'time.Duration');
    if (v !== 0 && (v as number) < MINIMUM_NS) {
      throw new InvalidArgumentError(`${field} in Healthcheck cannot be less than ${formatGoDuration(MINIMUM_NS)}`);
    }
    if (v !== 0) out[field] = v as number;
  }
  if (h.Retries !== undefined && h.Retries !== null) {
    if (typeof h.Retries !== 'number' || !Number.isInteger(h.Retries)) fail('Retries', h.Retries, 'int');
    if ((h.Retries as number) < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
    if (h.Retries !== 0) out.Retries = h.Retries as number;
  }
  return out;
}

/**
 * The image's HEALTHCHECK under the user's, as moby's merge: no user health check takes the image's
 * whole; otherwise each field the user left unset comes from the image.
 */
export function mergeHealthcheck(user: HealthConfig | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (!image) return user;
  if (!user) return structuredClone(image);
  const out: HealthConfig = { ...user };
  if (!out.Test?.length && image.Test?.length) out.Test = [...image.Test];
  for (const field of [...DURATIONS, 'Retries'] as const) {
    if (!out[field] && image[field]) out[field] = image[field];
  }
  return out;
}

/**
 * The command a probe runs, or undefined when there is no check: no Test, `NONE`, or a type dockerd
 * does not know (it logs and runs none). CMD-SHELL runs through the container's Shell or /bin/sh -c.
 */
export function probeCommand(health: HealthConfig | undefined, shell: string[] | undefined): string[] | undefined {
  const test = health?.Test;
  if (!test?.length) return undefined;
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return [...(shell?.length ? shell : ['/bin/sh', '-c']), ...test.slice(1)];
  return undefined;
}

/** dockerd's defaults: interval and timeout 30s, no start period, start interval 5s, 3 retries. */
export function healthTimings(health: HealthConfig | undefined): HealthTimings {
  const ms = (ns: number | undefined, fallback: number) => (ns ? ns / MS : fallback);
  return {
    intervalMs: ms(health?.Interval, 30_000),
    timeoutMs: ms(health?.Timeout, 30_000),
    startPeriodMs: ms(health?.StartPeriod, 0),
    startIntervalMs: ms(health?.StartInterval, 5_000),
    retries: health?.Retries && health.Retries > 0 ? health.Retries : 3,
  };
}
