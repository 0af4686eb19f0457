// ARG: build arguments with Docker's rules. `--build-arg` values win over a declaration's default; an
// ARG before the first FROM (a meta argument) serves FROM lines and can be imported into a stage by
// declaring it again without a default; the proxy arguments are predefined (usable in RUN without a
// declaration, kept out of the image's history); given arguments nobody declared get a warning.
import { processWord } from '../images/config-changes.js';

export const PREDEFINED_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

export class BuildArgs {
  private readonly meta = new Map<string, string | undefined>();
  private readonly referenced = new Set<string>();

  constructor(private readonly given: Record<string, string | null>) {}

  private givenValue(name: string): string | undefined {
    const v = this.given[name];
    return v === null || v === undefined ? undefined : v;
  }

  /** `ARG name[=default]` before the first FROM. */
  declareMeta(name: string, rawDefault: string | undefined): void {
    this.referenced.add(name);
    const fallback = rawDefault === undefined ? undefined : processWord(rawDefault, this.metaVars());
    this.meta.set(name, this.givenValue(name) ?? fallback);
  }

  /** `KEY=value` of the meta arguments with a value, for FROM lines. */
  metaVars(): string[] {
    return [...this.meta].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  }

  /** A new stage's view: nothing declared yet. */
  stage(): StageArgs {
    return new StageArgs(this);
  }

  /** The value an in-stage `ARG name[=default]` gets (`defaultValue` already expanded). */
  resolve(name: string, defaultValue: string | undefined): string | undefined {
    this.referenced.add(name);
    return this.givenValue(name) ?? defaultValue ?? (this.meta.has(name) ? this.meta.get(name) : undefined);
  }

  /** Given predefined arguments: RUN sees them without a declaration. */
  predefinedGiven(): [string, string][] {
    return Object.keys(this.given).filter((k) => PREDEFINED_ARGS.has(k) && this.givenValue(k) !== undefined)
      .map((k) => [k, this.givenValue(k)!]);
  }

  /** `[Warning] One or more build-args [A B] were not consumed`, or '' when all were. */
  unusedWarning(): string {
    const unused = Object.keys(this.given).filter((k) => !this.referenced.has(k) && !PREDEFINED_ARGS.has(k)).sort();
    return unused.length ? `[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n` : '';
  }
}

/** The arguments one stage declared, in declaration order. */
export class StageArgs {
  private readonly declared = new Map<string, string | undefined>();

  constructor(private readonly all: BuildArgs) {}

  declare(name: string, defaultValue: string | undefined): void {
    this.declared.delete(name);
    this.declared.set(name, this.all.resolve(name, defaultValue));
  }

  /**
   * `KEY=value` of declared arguments with a value whose key the environment does not set (ENV wins over
   * ARG), and of given predefined ones: what RUN's environment adds and what expansion sees.
   */
  vars(env: string[]): string[] {
    const envKeys = new Set(env.map((e) => e.split('=')[0]));
    const out = new Map<string, string>();
    for (const [k, v] of this.all.predefinedGiven()) if (!envKeys.has(k)) out.set(k, v);
    for (const [k, v] of this.declared) if (v !== undefined && !envKeys.has(k)) out.set(k, v);
    return [...out].map(([k, v]) => `${k}=${v}`);
  }

  /** The subset of `vars` that goes into a RUN step's history (`|1 A=b /bin/sh -c ...`): declared ones. */
  historyVars(env: string[]): string[] {
    return this.vars(env).filter((kv) => this.declared.has(kv.split('=')[0])).sort();
  }
}
