/**
 * A job that brings something outside in line with the state as it is when the job starts (the
 * firewall, regenerated whole from the daemon's state): runs one at a time, and the calls made while
 * it runs share one more run after it. Every caller's promise settles with a run that started after
 * its call, so it sees the change the caller made before calling; a burst of N calls costs at most
 * two runs instead of N, and two runs never overtake each other (an older state never lands last).
 */
export class CoalescedJob {
  /** The run that has been asked for and has not started yet (callers join it). */
  private pending?: Promise<void>;
  /** The last run started or asked for (a new one starts after it has settled). */
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly job: () => Promise<void>) {}

  /** Resolves or rejects as the first run that starts after this call does. */
  run(): Promise<void> {
    if (this.pending) return this.pending;
    const run = this.last.then(() => {
      this.pending = undefined;
      return this.job();
    });
    this.pending = run;
    this.last = run.then(noop, noop);
    return run;
  }
}

function noop(): void {}
