import { InvalidArgumentError } from '../../lib/errors.js';
import type { ImageRuntimeConfig } from '../images/image-config.js';
import type { ContainerConfig } from './container-types.js';
import { mergeHealthcheck } from './health-config.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const envKey = (e: string) => e.split('=')[0];

/**
 * Fills the container's Config from its image as Docker does at create: image Env entries whose key
 * the user did not set, Labels, ExposedPorts and Volumes merged; User, WorkingDir, StopSignal when not
 * given; the image's Cmd only when the user set neither Cmd nor Entrypoint (so `--entrypoint` drops
 * the image's Cmd). Then Entrypoint `[""]` means none, and a config with no command is refused.
 */
export function mergeImageConfig(config: ContainerConfig, image: ImageRuntimeConfig | undefined): void {
  const img = image ?? {};
  if (!config.User) config.User = img.User ?? '';
  if (img.ExposedPorts) config.ExposedPorts = { ...img.ExposedPorts, ...(config.ExposedPorts ?? {}) };
  if (!config.Env || config.Env.length === 0) config.Env = img.Env ? [...img.Env] : config.Env;
  else {
    const keys = new Set(config.Env.map(envKey));
    for (const e of img.Env ?? []) if (!keys.has(envKey(e))) config.Env.push(e);
  }
  config.Labels = { ...(img.Labels ?? {}), ...config.Labels };
  if (!config.Entrypoint || config.Entrypoint.length === 0) {
    if (!config.Cmd || config.Cmd.length === 0) {
      config.Cmd = img.Cmd ? [...img.Cmd] : config.Cmd;
      if (img.ArgsEscaped) config.ArgsEscaped = true;
    }
    if (!config.Entrypoint) config.Entrypoint = img.Entrypoint ? [...img.Entrypoint] : null;
  }
  if (!config.WorkingDir) config.WorkingDir = img.WorkingDir ?? '';
  if (img.Volumes && Object.keys(img.Volumes).length) config.Volumes = { ...img.Volumes, ...(config.Volumes ?? {}) };
  if (!config.StopSignal && img.StopSignal) config.StopSignal = img.StopSignal;
  const healthcheck = mergeHealthcheck(config.Healthcheck, img.Healthcheck);
  if (healthcheck) config.Healthcheck = healthcheck;
  if (config.Entrypoint && config.Entrypoint.length === 1 && config.Entrypoint[0] === '') config.Entrypoint = null;
  if ((!config.Entrypoint || config.Entrypoint.length === 0) && (!config.Cmd || config.Cmd.length === 0)) {
    throw new InvalidArgumentError('No command specified');
  }
}

/** The process to run: Docker's Path and Args (entrypoint first, then the command). */
export function entrypointAndArgs(config: ContainerConfig): { path: string; args: string[] } {
  const entrypoint = config.Entrypoint ?? [];
  const cmd = config.Cmd ?? [];
  if (entrypoint.length) return { path: entrypoint[0], args: [...entrypoint.slice(1), ...cmd] };
  return { path: cmd[0], args: cmd.slice(1) };
}

/**
 * The process environment: PATH, HOSTNAME (and TERM with a TTY), then link variables, then the
 * container's Env replacing entries with the same key or appended, as Docker's daemon does.
 */
export function runtimeEnv(config: ContainerConfig, hostname: string, extra: string[] = []): string[] {
  const env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`];
  if (config.Tty) env.push('TERM=xterm');
  env.push(...extra);
  for (const e of config.Env ?? []) {
    const key = envKey(e);
    const i = env.findIndex((x) => envKey(x) === key);
    if (!e.includes('=')) {
      // A bare KEY in Env removes it (Docker's ReplaceOrAppendEnvValues).
      if (i >= 0) env.splice(i, 1);
      continue;
    }
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  return env;
}
