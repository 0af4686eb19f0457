/**
 * Template values as docker's formatter sees them (decoded JSON and formatter contexts): truth, and
 * Go's `%v` printing, including how a JSON null prints for the typed field it stands for.
 */
import { formatFloatV } from '../../base/units.js';

export type Value = unknown;

/** Values that are their own JSON text for `{{json .}}` (an event as the daemon sent it). */
export interface RawJson {
  toRawJSON(): string;
}

/** Values that render themselves for `{{json .}}` (docker's formatter contexts). */
export interface JsonMarshaler {
  toGoJSON(): unknown;
}

export function isMap(v: Value): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

export function truth(v: Value): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v) && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length > 0;
  return true;
}

/** Go's `%v` of a decoded JSON value. */
export function printValue(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatFloatV(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(printValue).join(' ')}]`;
  if (isMap(v)) {
    if (typeof (v as { toString?: unknown }).toString === 'function' && Object.getPrototypeOf(v) !== Object.prototype) {
      return String(v);
    }
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${printValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

/**
 * docker formats inspect output from typed structs, where a JSON null is an empty slice or map (or a
 * nil pointer): print it as Go would print that zero value.
 */
const MAP_FIELDS = new Set(['Labels', 'Volumes', 'ExposedPorts', 'PortBindings', 'Ports', 'Networks', 'Options',
  'DriverOpts', 'Config', 'Sysctls', 'StorageOpt', 'Tmpfs', 'Annotations', 'Data']);
const POINTER_FIELDS = new Set(['Health', 'IPAMConfig', 'RootFS', 'GraphDriver', 'Metadata', 'Descriptor']);

export function printNull(field: string | undefined): string {
  if (field && MAP_FIELDS.has(field)) return 'map[]';
  if (field && POINTER_FIELDS.has(field)) return '<nil>';
  return field ? '[]' : '<nil>';
}
