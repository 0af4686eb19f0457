/**
 * berth's client configuration directory and its config.json, in docker's layout: `auths` (see
 * auth-config.ts), `currentContext` (see contexts.ts) and any key docker writes, kept as found.
 * Location: the directory of the global `--config` flag, else $BERTH_CONFIG, else ~/.berth; the file
 * is config.json inside it. berth never reads or writes docker's own ~/.docker unless pointed at it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../base/errors.js';

export interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  currentContext?: string;
  [key: string]: unknown;
}

export function configDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.BERTH_CONFIG || join(homedir(), '.berth');
}

export function configPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(flag, env), 'config.json');
}

export function loadConfigFile(path: string): ConfigFile {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`loading config file: ${path}: ${(err as Error).message}`);
  }
}

export function saveConfigFile(path: string, config: ConfigFile): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
