/**
 * go-units' HumanDuration of `ms` milliseconds, which `docker ps` uses for "Up 3 seconds" and
 * "Exited (0) 2 minutes ago" (the engine's Status) and the CLI for "3 seconds ago": the same
 * thresholds and words, so the strings match Docker's exactly.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hoursExact = ms / 3_600_000;
  // Go's math.Round rounds half away from zero, as Math.round does for positive numbers.
  const hours = Math.round(hoursExact);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(hoursExact) / 24 / 365)} years`;
}
