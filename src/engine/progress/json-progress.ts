// Docker's JSON progress messages (moby pkg/jsonmessage), the stream that `docker pull` and `docker push`
// draw their per-layer progress bars from. One JSON object per line:
//   {"status":"Pulling fs layer","progressDetail":{},"id":"23a386d9c0b1"}
//   {"status":"Downloading","progressDetail":{"current":36445,"total":1031456},"progress":"[=>   ]  36.45kB/1.031MB","id":"..."}
//   {"errorDetail":{"message":"..."},"error":"..."}
import type { ServerResponse } from 'node:http';

export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number; start?: number };
  progress?: string;
  error?: string;
  errorDetail?: { message: string };
  aux?: unknown;
}

/** Where pull and push report what they do. */
export interface ProgressOutput {
  write(message: JsonMessage): void;
  /** Whether anything was written yet (before that, an error can still become an HTTP status). */
  readonly started: boolean;
}

/** Progress updates of one id are sent at most this often, so a fast download is not slowed by its own messages. */
const UPDATE_INTERVAL_MS = 100;

/** Reports status lines and throttled byte progress for layers. */
export class ProgressReporter {
  private readonly lastUpdate = new Map<string, number>();
  constructor(readonly out: ProgressOutput) {}

  /** A line that belongs to no layer ("Pulling from library/busybox", "Digest: sha256:..."). */
  message(status: string, id?: string): void {
    this.out.write(id === undefined ? { status } : { status, id });
  }

  /** A layer's new state ("Pulling fs layer", "Pull complete", "Pushed"). */
  layer(id: string, status: string): void {
    this.lastUpdate.delete(id);
    this.out.write({ status, progressDetail: {}, id });
  }

  /** Bytes done of a layer's download, extraction or upload; throttled unless `force`. */
  bytes(id: string, action: string, current: number, total: number, force = false): void {
    const now = Date.now();
    if (!force && now - (this.lastUpdate.get(id) ?? 0) < UPDATE_INTERVAL_MS && current < total) return;
    this.lastUpdate.set(id, now);
    this.out.write({ status: action, progressDetail: { current, total }, progress: progressBar(current, total), id });
  }

  aux(value: unknown): void {
    this.out.write({ progressDetail: {}, aux: value });
  }

  error(message: string): void {
    this.out.write({ errorDetail: { message }, error: message });
  }
}

/** The short id Docker shows for a layer: the first 12 hex digits of a digest. */
export function shortId(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/** go-units HumanSize: decimal units, 4 significant digits ("36.45kB", "1.031MB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let n = bytes;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  let text = n.toPrecision(4);
  if (text.includes('.') && !text.includes('e')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text + units[i];
}

/** JSONProgress.String() at a wide terminal: a 50-column bar and the byte counts. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return current > 0 ? humanSize(current).padStart(8) : '';
  const filled = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const counts = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return `[${'='.repeat(filled)}>${' '.repeat(50 - filled)}] ${counts}`;
}

/**
 * Progress written as a chunked application/json reply. The 200 and its headers go out with the first
 * message, so a failure before that can still answer with a proper HTTP error status.
 */
export class HttpProgressOutput implements ProgressOutput {
  private begun = false;
  constructor(private readonly res: ServerResponse) {}

  get started(): boolean {
    return this.begun;
  }

  write(message: JsonMessage): void {
    if (!this.begun) {
      this.begun = true;
      this.res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    if (!this.res.destroyed) this.res.write(JSON.stringify(message) + '\r\n');
  }
}

/** Collects messages in memory (tests, and callers inside the daemon that only want the outcome). */
export class MemoryProgressOutput implements ProgressOutput {
  readonly messages: JsonMessage[] = [];
  get started(): boolean {
    return this.messages.length > 0;
  }
  write(message: JsonMessage): void {
    this.messages.push(message);
  }
}
