import { accessSync, constants } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { InvalidArgumentError, SystemError, orIfMissing } from '../../lib/errors.js';

/**
 * The OCI runtimes the daemon knows (dockerd's `--add-runtime name=path`, `--default-runtime`,
 * daemon.json `runtimes` and `default-runtime`) and the one place that finds their binaries: the
 * container runtime, exec sessions and health probes all take the binary from here.
 *
 * A container's runtime is chosen at create (HostConfig.Runtime, the default runtime when empty) and
 * recorded in the container's persist dir at each run (`recordChoice`), so that later commands of
 * that run (start, kill, delete, exec, probes) use the same binary, also after a daemon restart that
 * changed the configuration.
 */

/** How daemon.json describes one runtime (dockerd's names). */
export interface RuntimeConfig {
  path: string;
  runtimeArgs?: string[];
}

/** A runtime ready to run: its name, the binary, and the global options put before every command. */
export interface OciRuntime {
  name: string;
  path: string;
  args: string[];
}

/** dockerd's built-in runtime, which cannot be redefined. */
export const STOCK_RUNTIME = 'runc';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export class OciRuntimes {
  private readonly configured: Map<string, RuntimeConfig>;
  readonly defaultName: string;
  private readonly found = new Map<string, string>();

  /**
   * `runtimes`: the configured runtimes besides runc; `defaultName`: the default (runc when absent).
   * InvalidArgumentError, in dockerd's words, for a reserved or malformed name, a runtime without a
   * path, or a default that names no runtime.
   */
  constructor(runtimes: Record<string, RuntimeConfig> = {}, defaultName: string = STOCK_RUNTIME) {
    this.configured = new Map();
    for (const [name, config] of Object.entries(runtimes)) {
      if (name === STOCK_RUNTIME) throw new InvalidArgumentError(`runtime name '${name}' is reserved`);
      if (!NAME_PATTERN.test(name)) throw new InvalidArgumentError(`invalid runtime name: ${JSON.stringify(name)}`);
      if (!config || typeof config.path !== 'string' || !config.path) {
        throw new InvalidArgumentError(`runtime ${name}: a path is required`);
      }
      const args = config.runtimeArgs ?? [];
      if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
        throw new InvalidArgumentError(`runtime ${name}: runtimeArgs must be a list of strings`);
      }
      this.configured.set(name, { path: config.path, ...(args.length ? { runtimeArgs: [...args] } : {}) });
    }
    if (defaultName !== STOCK_RUNTIME && !this.configured.has(defaultName)) {
      throw new InvalidArgumentError(`specified default runtime '${defaultName}' does not exist`);
    }
    this.defaultName = defaultName;
  }

  /** The runtime of HostConfig.Runtime: the default when empty; InvalidArgumentError when unknown. */
  checkName(name: string | undefined | null): string {
    const wanted = name || this.defaultName;
    if (wanted !== STOCK_RUNTIME && !this.configured.has(wanted)) {
      throw new InvalidArgumentError(`unknown or invalid runtime name: ${wanted}`);
    }
    return wanted;
  }

  /** The runtime named `name` (the default when empty), its binary found; SystemError when it is missing. */
  resolve(name?: string): OciRuntime {
    const wanted = this.checkName(name);
    const config = this.configured.get(wanted);
    const path = this.found.get(wanted) ?? findExecutable(config?.path ?? STOCK_RUNTIME);
    this.found.set(wanted, path);
    return { name: wanted, path, args: [...(config?.runtimeArgs ?? [])] };
  }

  /** What `docker info` shows as Runtimes: runc and every configured runtime. */
  info(): Record<string, RuntimeConfig> {
    return { [STOCK_RUNTIME]: { path: STOCK_RUNTIME }, ...Object.fromEntries(this.configured) };
  }

  /** Writes the runtime a run of container `id` uses: `<exec-root>/persist/<id>/runtime.json` (the dir exists). */
  static async recordChoice(execRoot: string, id: string, runtime: OciRuntime): Promise<void> {
    await writeFile(choiceFile(execRoot, id), JSON.stringify(runtime));
  }

  /**
   * The runtime the current run of container `id` uses, as `recordChoice` wrote it; runc when nothing
   * was recorded (a container started before runtimes could be chosen, or one without runtime state).
   */
  async ofContainer(execRoot: string, id: string): Promise<OciRuntime> {
    const file = choiceFile(execRoot, id);
    const text = await orIfMissing(readFile(file, 'utf8'), undefined);
    if (text === undefined) return this.resolve(STOCK_RUNTIME);
    try {
      const r = JSON.parse(text) as OciRuntime;
      if (typeof r.name === 'string' && typeof r.path === 'string' && Array.isArray(r.args)) return r;
    } catch { /* reported below */ }
    throw new SystemError(`malformed runtime choice in ${file}`);
  }
}

function choiceFile(execRoot: string, id: string): string {
  return join(execRoot, 'persist', id, 'runtime.json');
}

/** Finds an executable: a path is taken as it is; a name on PATH plus the sbin directories (which a daemon's PATH may lack). */
export function findExecutable(name: string): string {
  if (isAbsolute(name)) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      throw new SystemError(`runtime binary ${name} is not an executable file`);
    }
  }
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* next */ }
  }
  throw new SystemError(`${name} not found in PATH: install it (Debian package ${name})`);
}

/** Parses `--add-runtime name=path` (dockerd's syntax). */
export function parseAddRuntime(text: string): [string, RuntimeConfig] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq).trim();
  const path = eq < 0 ? '' : text.slice(eq + 1).trim();
  if (!name || !path) throw new InvalidArgumentError(`invalid runtime argument: ${text}`);
  return [name, { path }];
}
