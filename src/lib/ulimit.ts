/**
 * Docker's ulimits (go-units): `--ulimit name=soft[:hard]` on the CLI, `--default-ulimit` on the daemon,
 * `{"Name", "Soft", "Hard"}` in HostConfig.Ulimits and daemon.json. -1 means unlimited.
 */
import { InvalidArgumentError } from './errors.js';

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** go-units' names, each with the row of /proc/<pid>/limits that shows it. */
export const ULIMIT_ROWS: Record<string, string> = {
  core: 'Max core file size', cpu: 'Max cpu time', data: 'Max data size', fsize: 'Max file size',
  locks: 'Max file locks', memlock: 'Max locked memory', msgqueue: 'Max msgqueue size', nice: 'Max nice priority',
  nofile: 'Max open files', nproc: 'Max processes', rss: 'Max resident set', rtprio: 'Max realtime priority',
  rttime: 'Max realtime timeout', sigpending: 'Max pending signals', stack: 'Max stack size',
};

/** Refuses an unknown name or a soft limit above the hard one, in go-units' words. */
export function checkUlimit(u: Ulimit): void {
  if (!(u.Name in ULIMIT_ROWS)) throw new InvalidArgumentError(`invalid ulimit type: ${u.Name}`);
  const unlimited = (n: number) => n === -1;
  if (!unlimited(u.Hard) && (unlimited(u.Soft) || u.Soft > u.Hard)) {
    throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
}

/** `name=soft[:hard]` (go-units ParseUlimit); a missing hard limit equals the soft one. */
export function parseUlimit(text: string): Ulimit {
  const eq = text.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError(`invalid ulimit argument: ${text}`);
  const name = text.slice(0, eq);
  const values = text.slice(eq + 1).split(':');
  if (values.length > 2) throw new InvalidArgumentError(`too many limit value arguments - ${text.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const [soft, hard] = values.map((v) => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`strconv.ParseInt: parsing "${v}": invalid syntax`);
    return Number(v);
  });
  const u = { Name: name, Soft: soft!, Hard: hard ?? soft! };
  checkUlimit(u);
  return u;
}
