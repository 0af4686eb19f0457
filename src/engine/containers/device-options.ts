import { realpath, stat } from 'node:fs/promises';
import { InvalidArgumentError, errorMessage } from '../../lib/errors.js';
import { parseDeviceRule, validDeviceMode } from '../../lib/isolation-rules.js';
import type { DeviceGrant, OciDeviceRule } from '../runtime/oci-namespaces.js';
import { deviceAt, devicesBelow } from '../runtime/host-devices.js';

/** HostConfig.Devices[]: `--device host[:container[:rwm]]` as the docker CLI sends it. */
export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

/** Checks HostConfig.Devices at create, with the docker CLI's words (dockerd 20.10 checks nothing). */
export function checkDeviceMappings(devices: unknown[]): DeviceMapping[] {
  return devices.map((raw) => {
    const d = (raw ?? {}) as Partial<DeviceMapping>;
    if (typeof d.PathOnHost !== 'string' || !d.PathOnHost.startsWith('/')) {
      throw new InvalidArgumentError(`${String(d.PathOnHost ?? '')} is not an absolute path`);
    }
    if (d.PathInContainer && (typeof d.PathInContainer !== 'string' || !d.PathInContainer.startsWith('/'))) {
      throw new InvalidArgumentError(`${String(d.PathInContainer)} is not an absolute path`);
    }
    if (d.CgroupPermissions && (typeof d.CgroupPermissions !== 'string' || !validDeviceMode(d.CgroupPermissions))) {
      throw new InvalidArgumentError(`bad mode specified: ${String(d.CgroupPermissions)}`);
    }
    return { PathOnHost: d.PathOnHost, PathInContainer: d.PathInContainer || d.PathOnHost, CgroupPermissions: d.CgroupPermissions || 'rwm' };
  });
}

/** `--device-cgroup-rule 'c 1:3 rwm'` as an OCI rule; InvalidArgumentError with dockerd's words. */
export function parseDeviceCgroupRule(rule: string): OciDeviceRule {
  const r = parseDeviceRule(rule);
  if (!r) throw new InvalidArgumentError(`invalid device cgroup rule format: '${rule}'`);
  return r.type === 'a' ? { allow: true, type: 'a', access: r.access } : { allow: true, ...r };
}

/**
 * The host's devices a container asks for, read when it starts (as dockerd does): a device node, or a
 * directory whose every device is added below the container path. A missing path or another kind of
 * file is InvalidArgumentError in dockerd's words.
 */
export async function grantDevices(mappings: DeviceMapping[]): Promise<DeviceGrant[]> {
  const grants: DeviceGrant[] = [];
  for (const m of mappings) {
    const fail = (why: string) => new InvalidArgumentError(`error gathering device information while adding custom device "${m.PathOnHost}": ${why}`);
    const inside = m.PathInContainer || m.PathOnHost;
    const access = m.CgroupPermissions || 'rwm';
    // A symbolic link (/dev/stdout, /dev/disk/by-id/...) names the device or directory it points to.
    let real: string;
    let isDir: boolean;
    try {
      real = await realpath(m.PathOnHost);
      isDir = (await stat(real)).isDirectory();
    } catch (err) {
      throw fail((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : errorMessage(err));
    }
    if (isDir) {
      for (const device of await devicesBelow(real, inside)) grants.push({ device, access });
      continue;
    }
    const device = await deviceAt(real, inside);
    if (!device) throw fail('not a device node');
    grants.push({ device, access });
  }
  return grants;
}
