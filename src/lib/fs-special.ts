// File system operations Node has no API for: device nodes, fifos and extended attributes. They run the
// coreutils `mknod` and the `setfattr` of Debian's `attr` package; both are rare in layers (whiteouts,
// opaque directories), so a process per call costs little.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SystemError } from './errors.js';

const execFileAsync = promisify(execFile);

export type NodeType = 'char' | 'block' | 'fifo';

/** Creates a device node or fifo at `path` (which must not exist). */
export async function mknod(path: string, type: NodeType, mode: number, major = 0, minor = 0): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), '--', path];
  if (type === 'fifo') args.push('p');
  else args.push(type === 'char' ? 'c' : 'b', String(major), String(minor));
  await runTool('mknod', args);
}

/** Sets an extended attribute on `path` itself (a symlink is not followed). */
export async function setXattr(path: string, name: string, value: Uint8Array): Promise<void> {
  await runTool('setfattr', ['-h', '-n', name, '-v', `0x${Buffer.from(value).toString('hex')}`, '--', path]);
}

async function runTool(cmd: string, args: string[]): Promise<void> {
  try {
    await execFileAsync(cmd, args);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new SystemError(`${cmd} not found: install it (Debian: ${cmd === 'setfattr' ? 'attr' : 'coreutils'})`);
    throw new SystemError(`${cmd} ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}
