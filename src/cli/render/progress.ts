/**
 * docker's rendering of a JSON message stream (pull, push, load, build, import): moby's
 * jsonmessage.DisplayJSONMessagesStream. On a terminal every layer keeps one line that is rewritten
 * in place (cursor up, clear line, status and progress bar, cursor down); elsewhere progress updates
 * are dropped and only status lines remain.
 */
import type { Writable } from 'node:stream';
import { CliError } from '../base/errors.js';
import { humanSize } from '../base/units.js';

export interface JsonProgress {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

export interface JsonMessage {
  id?: string;
  status?: string;
  progress?: string;
  progressDetail?: JsonProgress;
  stream?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: unknown;
}

/** An error message in the stream; `code` is the daemon's errorDetail.code (a failed RUN's status). */
export class JsonStreamError extends CliError {
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

/** Go's time.Duration String() for whole seconds: "0s", "45s", "1m5s", "2h0m3s". */
export function goDuration(seconds: number): string {
  const s = Math.max(0, Math.trunc(seconds));
  const h = Math.trunc(s / 3600);
  const m = Math.trunc((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

/** moby JSONProgress.String(): "[=====>      ]  1.2MB/10MB 3s" (bar only on terminals wider than 110). */
export function progressString(p: JsonProgress, width: number, nowSeconds = Date.now() / 1000): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  const size = (n: number): string => humanSize(n, 4);
  if (total <= 0) return p.units ? `${current} ${p.units}` : size(current).padStart(8);
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (width > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(50 - percentage, 0))}] `;
  let numbers = '';
  if (!p.hidecounts) {
    if (!p.units) numbers = current > total ? size(current).padStart(8) : `${size(current).padStart(8)}/${size(total)}`;
    else numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  }
  let left = '';
  if (current > 0 && (p.start ?? 0) > 0 && percentage < 50 && width > 50) {
    const perEntry = (nowSeconds - p.start!) / current;
    left = ` ${goDuration((total - current) * perEntry)}`;
  }
  return bar + numbers + left;
}

export interface DisplayOptions {
  isTerminal: boolean;
  /** Terminal width (docker uses 200 when it cannot tell). */
  width?: number;
  onAux?: (msg: JsonMessage) => void;
}

/** Renders messages one by one, keeping the per-layer line positions between calls. */
export class JsonMessageDisplay {
  private ids = new Map<string, number>();
  private readonly width: number;

  constructor(private readonly out: Writable, private readonly opts: DisplayOptions) {
    this.width = opts.width ?? 200;
  }

  handle(jm: JsonMessage): void {
    if (jm.aux !== undefined) {
      this.opts.onAux?.(jm);
      return;
    }
    const tty = this.opts.isTerminal;
    let diff = 0;
    let text = '';
    if (jm.id && (jm.progressDetail !== undefined || jm.progress)) {
      let line = this.ids.get(jm.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(jm.id, line);
        if (tty) text += '\n';
      }
      diff = this.ids.size - line;
      if (tty && diff > 0) text += `\x1b[${diff}A`;
    } else {
      // a line that is not layer progress ends the layer block: later updates start a new one
      this.ids = new Map();
    }
    if (jm.error !== undefined || jm.errorDetail !== undefined) {
      if (text) this.out.write(text);
      if (jm.errorDetail?.code === 401) throw new CliError('authentication is required');
      throw new JsonStreamError(jm.errorDetail?.message ?? jm.error ?? 'unknown error', jm.errorDetail?.code);
    }
    text += this.display(jm);
    if (jm.id && tty && diff > 0) text += `\x1b[${diff}B`;
    if (text) this.out.write(text);
  }

  private display(jm: JsonMessage): string {
    const tty = this.opts.isTerminal;
    let s = '';
    let endl = '';
    const progress = jm.progressDetail ? progressString(jm.progressDetail, this.width) : '';
    if (tty && !jm.stream && jm.progressDetail !== undefined) {
      endl = '\r';
      s += '\x1b[2K\r';
    } else if (jm.progressDetail !== undefined && progress !== '') {
      return ''; // no progress bars without a terminal
    }
    if (jm.id) s += `${jm.id}: `;
    if (jm.from) s += `(from ${jm.from}) `;
    if (jm.progressDetail !== undefined && tty) s += `${jm.status ?? ''} ${progress}${endl}`;
    else if (jm.progress) s += `${jm.status ?? ''} ${jm.progress}${endl}`;
    else if (jm.stream) s += `${jm.stream}${endl}`;
    else s += `${jm.status ?? ''}${endl}\n`;
    return s;
  }
}

/** Reads newline-delimited JSON messages from a response and displays them; resolves with them all. */
export async function displayJsonMessages(body: AsyncIterable<unknown>, out: Writable, opts: DisplayOptions): Promise<JsonMessage[]> {
  const display = new JsonMessageDisplay(out, opts);
  const all: JsonMessage[] = [];
  let pending = '';
  const handle = (line: string): void => {
    if (!line.trim()) return;
    const msg = JSON.parse(line) as JsonMessage;
    all.push(msg);
    display.handle(msg);
  };
  for await (const chunk of body) {
    pending += (chunk as Buffer).toString('utf8');
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const l of lines) handle(l);
  }
  handle(pending);
  return all;
}

/** The options for our stdout: a terminal gets progress bars sized to it. */
export function terminalOptions(out: NodeJS.WriteStream = process.stdout): DisplayOptions {
  return { isTerminal: out.isTTY === true, width: out.isTTY ? out.columns || 200 : 200 };
}
