// The host's device nodes, read for `--device` and for `--privileged` (one reader for both).
import { lstat, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** A device node created in the container (OCI linux.devices). */
export interface OciDevice {
  path: string;
  /** Character, block, or (only for --privileged, as runc's HostDevices) a fifo. */
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** Linux's dev_t encoding (glibc's gnu_dev_major / gnu_dev_minor). */
export function majorMinor(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

export interface DeviceScan {
  /** Take fifos too (runc's HostDevices does, for --privileged). */
  fifos?: boolean;
  /** Names of directories not to descend into. */
  skipDirs?: ReadonlySet<string>;
}

/** The device node at `path` (not followed if a link), or undefined when it is no device. */
export async function deviceAt(path: string, containerPath: string, scan: DeviceScan = {}): Promise<OciDevice | undefined> {
  const st = await lstat(path, { bigint: true });
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : scan.fifos && st.isFIFO() ? 'p' : undefined;
  if (!type) return undefined;
  return {
    path: containerPath, type, ...majorMinor(st.rdev),
    fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid),
  };
}

/** Every device below `dir` (symbolic links not followed), as `<containerDir>/<relative path>`. */
export async function devicesBelow(dir: string, containerDir: string, scan: DeviceScan = {}): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const host = join(dir, entry.name);
    const inside = posix.join(containerDir, entry.name);
    if (entry.isDirectory()) {
      if (!scan.skipDirs?.has(entry.name)) out.push(...await devicesBelow(host, inside, scan));
      continue;
    }
    if (!entry.isCharacterDevice() && !entry.isBlockDevice() && !(scan.fifos && entry.isFIFO())) continue;
    const d = await deviceAt(host, inside, scan);
    if (d) out.push(d);
  }
  return out;
}

/** Directories of /dev that hold no devices of the host (runc's HostDevices skips the same). */
const NOT_HOST_DEVICES = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every device node of the host, as Docker's --privileged gives them; /dev/console is the container's own. */
export async function hostDevices(): Promise<OciDevice[]> {
  const all = await devicesBelow('/dev', '/dev', { fifos: true, skipDirs: NOT_HOST_DEVICES });
  return all.filter((d) => d.path !== '/dev/console');
}
