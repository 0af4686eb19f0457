// Docker's log drivers, by the names clients send and check. Underneath, conmon always writes one
// k8s-file log per container (attach reads it too); the driver name decides what Docker would let a
// user do with it: json-file, local and journald are read back by `docker logs`, none refuses reading.
// Clients such as Python's docker client read a container's output back only when the name is one of
// json-file, local or journald, so these are the names berthd shows.
import { InvalidArgumentError, NotImplementedError } from '../../lib/errors.js';

/** The driver a container gets when its create body names none (dockerd's default). */
export const DEFAULT_LOG_DRIVER = 'json-file';

/** The log options each driver honours; `labels`/`env` (and their -regex forms) feed `logs --details`. */
const ATTRIBUTE_OPTS = ['labels', 'labels-regex', 'env', 'env-regex'];
const ROTATION_OPTS = ['max-size', 'max-file', 'compress'];
const DRIVERS: Record<string, { honoured: string[]; known: string[] }> = {
  'json-file': { honoured: [...ATTRIBUTE_OPTS, ...ROTATION_OPTS], known: ['tag'] },
  local: { honoured: ROTATION_OPTS, known: [] },
  journald: { honoured: ATTRIBUTE_OPTS, known: ['tag'] },
  none: { honoured: [], known: [] },
};

/** The drivers `docker info` lists under Plugins.Log (dockerd leaves `none` out too). */
export const LOG_DRIVER_NAMES = Object.keys(DRIVERS).filter((d) => d !== 'none').sort();

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/**
 * Checks a create body's LogConfig and fills in the default driver. An unknown driver, an option the
 * driver does not know, or any option for `none` is refused with dockerd's message; an option dockerd
 * knows that berthd does not honour (rotation, compression, tags) is refused naming it.
 */
export function validateLogConfig(raw: { Type?: string; Config?: Record<string, string> | null } | null | undefined): LogConfig {
  const type = raw?.Type || DEFAULT_LOG_DRIVER;
  const config = { ...(raw?.Config ?? {}) };
  const driver = DRIVERS[type];
  if (!driver) throw new InvalidArgumentError(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  const opts = Object.keys(config);
  if (type === 'none' && opts.length) throw new InvalidArgumentError('invalid logging opts for driver none');
  for (const opt of opts) {
    // Rotated files are kept as they are: compression is refused by name (false is what berthd does).
    if (opt === 'compress' && /^(1|t|true)$/i.test(config[opt]!)) {
      throw new InvalidArgumentError(`log opt 'compress' of the ${type} log driver is not supported by berthd yet (rotated logs are kept uncompressed)`);
    }
    if (driver.honoured.includes(opt)) continue;
    if (driver.known.includes(opt)) throw new InvalidArgumentError(`log opt '${opt}' of the ${type} log driver is not supported by berthd yet`);
    throw new InvalidArgumentError(`unknown log opt '${opt}' for ${type} log driver`);
  }
  return { Type: type, Config: config };
}

/** Containers created before the drivers had names carry conmon's format name; they are json-file. */
function logDriverName(type: string): string {
  return type === 'k8s-file' ? DEFAULT_LOG_DRIVER : type;
}

/** LogConfig as inspect shows it (older records named by their format, shown by their driver). */
export function shownLogConfig(config: LogConfig): LogConfig {
  return { Type: logDriverName(config.Type), Config: config.Config ?? {} };
}

/** Refuses `docker logs` for a driver that keeps nothing to read (dockerd's 501). */
export function checkLogsReadable(config: LogConfig): void {
  if (logDriverName(config.Type) === 'none') throw new NotImplementedError('configured logging driver does not support reading');
}

/**
 * The attributes `docker logs --details` prints before each line: the labels and environment
 * variables the log options name (`labels=a,b`, `env=X`, or the -regex forms), sorted by key and
 * joined as dockerd joins them (`E=1,a=b`).
 */
export function logAttributes(config: LogConfig, labels: Record<string, string>, env: string[] | null): string {
  const attrs = new Map<string, string>();
  const pick = (names: string | undefined, regex: string | undefined, entries: [string, string][]): void => {
    const wanted = new Set((names ?? '').split(',').filter(Boolean));
    const re = regex ? new RegExp(regex) : undefined;
    for (const [k, v] of entries) if (wanted.has(k) || re?.test(k)) attrs.set(k, v);
  };
  const o = config.Config;
  pick(o.labels, o['labels-regex'], Object.entries(labels));
  pick(o.env, o['env-regex'], (env ?? []).filter((e) => e.includes('=')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return [...attrs.keys()].sort().map((k) => `${k}=${attrs.get(k)}`).join(',');
}

/**
 * The daemon's log options (`--log-opt`, daemon.json "log-opts") under a container's, as dockerd
 * merges them: only for a container of the default driver, only for keys it does not set itself.
 */
export function withDaemonLogOpts(config: LogConfig, daemonOpts: Record<string, string> | undefined): LogConfig {
  if (!daemonOpts || config.Type !== DEFAULT_LOG_DRIVER) return config;
  return { Type: config.Type, Config: { ...daemonOpts, ...config.Config } };
}

/** Checks the daemon's log options at start: names as a container's are checked; values at first use, as dockerd. */
export function checkDaemonLogOpts(opts: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(opts)) {
    if (!k || typeof v !== 'string') throw new InvalidArgumentError(`invalid log opt: ${k}=${String(v)}`);
  }
  return validateLogConfig({ Type: DEFAULT_LOG_DRIVER, Config: opts }).Config;
}
