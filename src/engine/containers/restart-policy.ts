import { InvalidArgumentError } from '../../lib/errors.js';
import type { RestartPolicy } from './container-types.js';

const NAMES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

/** Validates HostConfig.RestartPolicy with Docker's messages; returns it normalised. */
export function validateRestartPolicy(raw: { Name?: unknown; MaximumRetryCount?: unknown } | null | undefined): RestartPolicy {
  const name = (raw?.Name ?? '') as string;
  const max = (raw?.MaximumRetryCount ?? 0) as number;
  if (!NAMES.includes(name)) throw new InvalidArgumentError(`invalid restart policy '${name}'`);
  if (name === 'on-failure') {
    if (max < 0) throw new InvalidArgumentError('maximum retry count cannot be negative');
  } else if (max !== 0) {
    throw new InvalidArgumentError(`maximum retry count cannot be used with restart policy '${name}'`);
  }
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: max };
}
