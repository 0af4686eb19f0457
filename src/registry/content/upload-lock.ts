// The lock of one blob upload, held in storage so that every registry sharing that storage (replicas
// behind a load balancer, processes on one directory) lets one request at a time write to or close an
// upload: `_uploads/<id>/lock`, created only when absent (link() on the filesystem, If-None-Match: *
// on S3). It names its holder. A lock left by a holder that died is taken over: at once when the
// holder was a process of this machine that is gone (a registry killed and restarted, whose client
// resumes the upload), otherwise once the holder has not renewed it for LEASE_MS (holders renew it
// every RENEW_MS while they hold it).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { PathNotFoundError, RegistryError } from '../base/errors.js';
import { registryLog } from '../base/log.js';
import { bestEffort } from '../../lib/best-effort.js';
import type { StorageDriver } from '../storage/driver.js';
import { layout } from './layout.js';

export const LEASE_MS = 2 * 60_000;
const RENEW_MS = 20_000;

interface Holder {
  token: string;
  host: string;
  boot: string;
  pid: number;
  /** The holder process's start time (clock ticks after boot): tells it from a later process with its pid. */
  started: string;
}

function readOr(path: string, fallback: string): string {
  try { return readFileSync(path, 'utf8').trim(); } catch { return fallback; }
}

/** Field 22 of /proc/<pid>/stat, the process's start time; undefined when there is no such process. */
function processStart(pid: number): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`, '');
  return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] : undefined;
}

const self = {
  host: hostname(),
  boot: readOr('/proc/sys/kernel/random/boot_id', ''),
  pid: process.pid,
  started: processStart(process.pid) ?? '',
};

/** Whether the holder was a process of this machine (same host name and boot) that no longer runs. */
function holderIsGone(holder: Holder): boolean {
  return holder.host === self.host && holder.boot !== '' && holder.boot === self.boot && processStart(holder.pid) !== holder.started;
}

export class UploadLock {
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly driver: StorageDriver, private readonly path: string, private readonly content: Buffer,
    private readonly token: string, what: string) {
    this.timer = setInterval(() => {
      void bestEffort(registryLog, `renewing the lock of ${what}`, () => this.driver.putContent(this.path, this.content));
    }, RENEW_MS);
    this.timer.unref();
  }

  /** Takes the lock of upload `id`; BLOB_UPLOAD_INVALID while another living request holds it. */
  static async acquire(driver: StorageDriver, name: string, id: string): Promise<UploadLock> {
    const path = layout.uploadLock(name, id);
    const token = randomUUID();
    const content = Buffer.from(JSON.stringify({ token, ...self } satisfies Holder));
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await driver.putContentExclusive(path, content)) return new UploadLock(driver, path, content, token, `upload ${id} of ${name}`);
      let modTime: Date;
      let holder: Holder | undefined;
      try {
        modTime = (await driver.stat(path)).modTime;
        holder = parseHolder(await driver.getContent(path, 4096));
      } catch (err) {
        if (err instanceof PathNotFoundError) continue; // released meanwhile: try again
        throw err;
      }
      const gone = holder !== undefined && holderIsGone(holder);
      if (!gone && Date.now() - modTime.getTime() < LEASE_MS) break;
      registryLog.warn(`taking over the lock of upload ${id} of ${name}: ${gone ? `its holder (pid ${holder!.pid}) is gone` : `not renewed since ${modTime.toISOString()}`}`);
      await deleteIfPresent(driver, path);
    }
    throw new RegistryError('BLOB_UPLOAD_INVALID', 'another request is writing to this upload', { name, id });
  }

  /** Releases the lock if it is still this one's (a finished upload took it away with its directory). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    let holder: Holder | undefined;
    try { holder = parseHolder(await this.driver.getContent(this.path, 4096)); } catch (err) {
      if (err instanceof PathNotFoundError) return;
      throw err;
    }
    if (holder?.token === this.token) await deleteIfPresent(this.driver, this.path);
  }
}

function parseHolder(content: Buffer): Holder | undefined {
  try {
    const h = JSON.parse(content.toString('utf8')) as Holder;
    return typeof h?.token === 'string' && typeof h.pid === 'number' ? h : undefined;
  } catch {
    return undefined; // not a lock this version wrote: it expires with its lease
  }
}

async function deleteIfPresent(driver: StorageDriver, path: string): Promise<void> {
  try { await driver.delete(path); } catch (err) {
    if (!(err instanceof PathNotFoundError)) throw err;
  }
}
