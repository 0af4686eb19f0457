// The parts of config.yml that start work in the background of a serving registry, read as
// distribution reads them: `storage.maintenance.uploadpurging` (on by default) and
// `health.storagedriver`. Durations are Go's ("168h", "10s").
import { parseGoDuration } from '../../lib/go-duration.js';

export interface UploadPurgingConfig {
  enabled: boolean;
  /** Uploads idle for this long are deleted (`age`, default 168h). */
  ageMs: number;
  /** The text of `age`, for the log. */
  age: string;
  /** Between two purges (`interval`, default 24h). */
  intervalMs: number;
  /** Log what would be deleted, delete nothing. */
  dryRun: boolean;
}

export interface HealthConfig {
  /** `health.storagedriver`: the storage is checked every intervalMs; threshold failures in a row make the registry answer 503. */
  storageDriver?: { intervalMs: number; threshold: number };
}

type Tree = Record<string, unknown>;

/** A refusal of a value; config.ts turns it into its ConfigError. */
export class BackgroundConfigError extends Error {}

/** `section.key` as a Go duration in milliseconds, `fallback` when unset; positive unless `allowZero`. */
export function durationMs(section: Tree, key: string, where: string, fallback: number, allowZero = false): number {
  const value = section[key];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string') throw new BackgroundConfigError(`${where}.${key} must be a duration such as 10s or 24h, not ${JSON.stringify(value)}`);
  let ns: number;
  try { ns = parseGoDuration(value); } catch (err) { throw new BackgroundConfigError(`${where}.${key}: ${(err as Error).message}`); }
  if (ns < 0 || (ns === 0 && !allowZero)) throw new BackgroundConfigError(`${where}.${key} must be positive, not ${value}`);
  return ns / 1e6;
}

function section(value: unknown, where: string): Tree {
  if (value === undefined || value === null || value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BackgroundConfigError(`${where} must be a section`);
  return value as Tree;
}

function flag(s: Tree, key: string, where: string, fallback: boolean): boolean {
  const v = s[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new BackgroundConfigError(`${where}.${key} must be true or false, not ${JSON.stringify(v)}`);
  return v;
}

/** `storage.maintenance.uploadpurging`, with distribution's defaults: enabled, age 168h, interval 24h, no dry run. */
export function parseUploadPurging(value: unknown): UploadPurgingConfig {
  const where = 'storage.maintenance.uploadpurging';
  const s = section(value, where);
  const age = typeof s.age === 'string' && s.age !== '' ? s.age : '168h';
  return {
    enabled: flag(s, 'enabled', where, true),
    ageMs: durationMs(s, 'age', where, 168 * 3600_000),
    age,
    intervalMs: durationMs(s, 'interval', where, 24 * 3600_000),
    dryRun: flag(s, 'dryrun', where, false),
  };
}

/** `health.storagedriver` (enabled, interval default 10s, threshold default 1 failure). */
export function parseHealth(value: unknown): HealthConfig {
  const health = section(value, 'health');
  const where = 'health.storagedriver';
  const s = section(health.storagedriver, where);
  if (!flag(s, 'enabled', where, false)) return {};
  const threshold = s.threshold ?? 0;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 0) {
    throw new BackgroundConfigError(`${where}.threshold must be a whole number, not ${JSON.stringify(s.threshold)}`);
  }
  return { storageDriver: { intervalMs: durationMs(s, 'interval', where, 10_000), threshold: Math.max(1, threshold) } };
}
