/**
 * Docker's rules for sysctls and device permissions, shared by the engine (which checks a create
 * body) and the CLI (which checks its flags as the docker CLI does).
 */

/** Namespaced IPC sysctls Docker allows (moby opts.ValidateSysctl). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** A sysctl of the container's IPC namespace (refused when it shares the host's). */
export function isIpcSysctl(key: string): boolean {
  return IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.');
}

/** Docker's allowlist: the namespaced IPC keys, fs.mqueue.* and net.*; nothing host-wide. */
export function sysctlAllowed(key: string): boolean {
  return isIpcSysctl(key) || key.startsWith('net.');
}

/** Device cgroup permissions: some of r, w and m, each once at most (the docker CLI's validDeviceMode). */
export function validDeviceMode(mode: string): boolean {
  return /^[rwm]{1,3}$/.test(mode) && new Set(mode).size === mode.length;
}

/** `--device-cgroup-rule 'c 1:3 rwm'`: type, major, minor (-1 for `*`), access; undefined when malformed. */
export function parseDeviceRule(rule: string): { type: string; major: number; minor: number; access: string } | undefined {
  const m = /^([acb]) (\d+|\*):(\d+|\*) ([rwm]{1,3})$/.exec(rule);
  if (!m || !validDeviceMode(m[4]!)) return undefined;
  const num = (s: string) => (s === '*' ? -1 : Number(s));
  return { type: m[1]!, major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
}
