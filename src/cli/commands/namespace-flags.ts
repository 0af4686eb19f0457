/**
 * `run`/`create` flags for namespaces and isolation (--pid, --ipc, --uts, --userns, --cgroupns,
 * --shm-size, --sysctl, --device, --device-cgroup-rule, --oom-score-adj, --cgroup-parent,
 * --annotation, --runtime) -> HostConfig fields, checked as the docker CLI checks them.
 */
import type { Command } from 'commander';
import { parseDeviceRule, sysctlAllowed, validDeviceMode } from '../../lib/isolation-rules.js';
import { CliError } from '../base/errors.js';
import { collect, intFlag, keyValues, ramInBytes } from './flags.js';

export interface NamespaceFlags {
  pid?: string;
  ipc?: string;
  uts?: string;
  userns?: string;
  cgroupns?: string;
  shmSize?: string;
  sysctl: string[];
  device: string[];
  deviceCgroupRule: string[];
  oomScoreAdj?: string;
  cgroupParent?: string;
  annotation: string[];
  runtime?: string;
}

export function addNamespaceFlags(cmd: Command): Command {
  return cmd
    .option('--pid <string>', 'PID namespace to use')
    .option('--ipc <string>', 'IPC mode to use')
    .option('--uts <string>', 'UTS namespace to use')
    .option('--userns <string>', 'User namespace to use')
    .option('--cgroupns <string>', 'Cgroup namespace to use (host|private)')
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('--sysctl <map>', 'Sysctl options', collect, [])
    .option('--device <list>', 'Add a host device to the container', collect, [])
    .option('--device-cgroup-rule <list>', 'Add a rule to the cgroup allowed devices list', collect, [])
    .option('--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)")
    .option('--cgroup-parent <string>', 'Optional parent cgroup for the container')
    .option('--annotation <map>', 'Add an annotation to the container (passed through to the OCI runtime)', collect, [])
    .option('--runtime <string>', 'Runtime to use for this container');
}

const fail = (message: string) => new CliError(message, 125);

function invalid(value: string, flag: string, why: string): CliError {
  return fail(`invalid argument "${value}" for "${flag}" flag: ${why}`);
}

function checkSysctl(entry: string): void {
  const [key, ...rest] = entry.split('=');
  const allowed = rest.length > 0 && sysctlAllowed(key!);
  if (!allowed) throw invalid(entry, '--sysctl', `sysctl '${entry}' is not allowed`);
}

/** `host[:container][:rwm]` as the docker CLI's parseLinuxDevice reads it. */
function parseDevice(spec: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = spec.split(':');
  if (parts.length > 3) throw fail(`bad format for path: ${spec}`);
  let [src, dst, mode] = parts as [string, string | undefined, string | undefined];
  if (parts.length === 2 && validDeviceMode(dst!)) [dst, mode] = [undefined, dst];
  if (mode !== undefined && !validDeviceMode(mode)) throw fail(`bad mode specified: ${mode}`);
  for (const path of [src, dst]) {
    if (path !== undefined && !path.startsWith('/')) throw fail(`${path} is not an absolute path`);
  }
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: mode || 'rwm' };
}

function checkMode(value: string | undefined, flag: string, what: string, valid: (v: string) => boolean): void {
  if (value !== undefined && !valid(value)) throw fail(`${flag}: invalid ${what} mode`);
}

/** The HostConfig fields these flags set (only those given, as the docker CLI sends them). */
export function namespaceHostConfig(f: NamespaceFlags): Record<string, unknown> {
  const joinable = (v: string) => v === '' || v === 'host' || (v.startsWith('container:') && v.length > 'container:'.length);
  checkMode(f.pid, '--pid', 'PID', joinable);
  checkMode(f.uts, '--uts', 'UTS', (v) => v === '' || v === 'host');
  checkMode(f.userns, '--userns', 'USER', (v) => v === '' || v === 'host');
  checkMode(f.cgroupns, '--cgroupns', 'CGROUP', (v) => ['', 'host', 'private'].includes(v));
  f.sysctl.forEach(checkSysctl);
  for (const rule of f.deviceCgroupRule) {
    if (!parseDeviceRule(rule)) throw invalid(rule, '--device-cgroup-rule', `invalid device cgroup format '${rule}'`);
  }
  let shm: number | undefined;
  if (f.shmSize !== undefined) {
    if (f.shmSize.trim().startsWith('-')) throw invalid(f.shmSize, '--shm-size', `invalid size: '${f.shmSize}'`);
    shm = ramInBytes('--shm-size', f.shmSize);
  }
  const annotations = keyValues(f.annotation);
  return {
    ...(f.pid ? { PidMode: f.pid } : {}),
    ...(f.ipc ? { IpcMode: f.ipc } : {}),
    ...(f.uts ? { UTSMode: f.uts } : {}),
    ...(f.userns ? { UsernsMode: f.userns } : {}),
    ...(f.cgroupns ? { CgroupnsMode: f.cgroupns } : {}),
    ...(shm !== undefined ? { ShmSize: shm } : {}),
    ...(f.sysctl.length ? { Sysctls: keyValues(f.sysctl) } : {}),
    ...(f.device.length ? { Devices: f.device.map(parseDevice) } : {}),
    ...(f.deviceCgroupRule.length ? { DeviceCgroupRules: f.deviceCgroupRule } : {}),
    ...(f.oomScoreAdj !== undefined ? { OomScoreAdj: intFlag('--oom-score-adj', f.oomScoreAdj, 125) } : {}),
    ...(f.cgroupParent ? { CgroupParent: f.cgroupParent } : {}),
    ...(Object.keys(annotations).length ? { Annotations: annotations } : {}),
    ...(f.runtime ? { Runtime: f.runtime } : {}),
  };
}
