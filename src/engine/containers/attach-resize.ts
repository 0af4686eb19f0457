import { open } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, SystemError } from '../../lib/errors.js';

/**
 * Terminal sizes of POST /containers/{id}/resize and /exec/{id}/resize. Docker parses them as unsigned
 * 16-bit numbers (`strconv.ParseUint(v, 10, 16)`), so a negative or absurd size is refused with Go's
 * own words instead of reaching the terminal.
 */
export function parseTtySize(query: URLSearchParams): { height: number; width: number } {
  return { height: parseUint16(query.get('h') ?? ''), width: parseUint16(query.get('w') ?? '') };
}

function parseUint16(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`);
  const n = Number(value);
  if (n > 0xffff) throw new InvalidArgumentError(`strconv.ParseUint: parsing ${JSON.stringify(value)}: value out of range`);
  return n;
}

/**
 * Resizes the terminal conmon holds for a process, through its control fifo in `dir` (`1 <rows>
 * <cols>\n`). A process without a terminal has nothing to resize; as in Docker that is not an error.
 * `notRunning` is the error to throw when conmon is gone (nobody reads the fifo).
 */
export async function resizeTerminal(dir: string, tty: boolean, size: { height: number; width: number }, notRunning: () => Error): Promise<void> {
  if (!tty) return;
  let fh;
  try {
    // Non-blocking: opening a fifo nobody reads fails with ENXIO instead of hanging.
    fh = await open(join(dir, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO' || code === 'ENOENT') throw notRunning();
    throw new SystemError(`cannot resize the terminal: ${(err as Error).message}`);
  }
  try {
    await fh.write(`1 ${size.height} ${size.width}\n`);
  } finally {
    await fh.close();
  }
}

export function containerNotRunning(id: string): ConflictError {
  return new ConflictError(`Container ${id} is not running`);
}
