/**
 * `run`/`create` health-check flags -> Config.Healthcheck, as the docker CLI builds it (cli/command/
 * container/opts.go): durations in Go's syntax, nothing negative, `--no-healthcheck` alone.
 */
import type { Command } from 'commander';
import { parseGoDuration } from '../../lib/go-duration.js';
import { CliError } from '../base/errors.js';
import { intFlag } from './flags.js';

export interface HealthFlags {
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  healthcheck?: boolean;
}

/** Declares the flags (commander's `--no-healthcheck` sets `healthcheck: false`). */
export function addHealthFlags(cmd: Command): Command {
  return cmd
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)')
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy')
    .option('--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)')
    .option('--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)')
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)')
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK');
}

function duration(flag: string, value: string | undefined): number {
  if (value === undefined) return 0;
  try {
    return parseGoDuration(value);
  } catch (err) {
    throw new CliError(`invalid argument "${value}" for "--${flag}" flag: ${(err as Error).message}`, 125);
  }
}

/** The create body's `Healthcheck` field, or nothing when no health flag was given. */
export function healthcheckBody(flags: HealthFlags): { Healthcheck?: Record<string, unknown> } {
  const interval = duration('health-interval', flags.healthInterval);
  const timeout = duration('health-timeout', flags.healthTimeout);
  const startPeriod = duration('health-start-period', flags.healthStartPeriod);
  const startInterval = duration('health-start-interval', flags.healthStartInterval);
  const retries = flags.healthRetries === undefined ? 0 : intFlag('--health-retries', flags.healthRetries, 125);
  const cmd = flags.healthCmd ?? '';
  const any = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (flags.healthcheck === false) {
    if (any) throw new CliError('--no-healthcheck conflicts with --health-* options', 125);
    return { Healthcheck: { Test: ['NONE'] } };
  }
  if (!any) return {};
  const negative: [string, number][] = [
    ['--health-interval', interval], ['--health-timeout', timeout], ['--health-retries', retries],
    ['--health-start-period', startPeriod], ['--health-start-interval', startInterval],
  ];
  for (const [flag, value] of negative) if (value < 0) throw new CliError(`${flag} cannot be negative`, 125);
  const body: Record<string, unknown> = {};
  if (cmd) body.Test = ['CMD-SHELL', cmd];
  if (interval) body.Interval = interval;
  if (timeout) body.Timeout = timeout;
  if (startPeriod) body.StartPeriod = startPeriod;
  if (startInterval) body.StartInterval = startInterval;
  if (retries) body.Retries = retries;
  return { Healthcheck: body };
}
