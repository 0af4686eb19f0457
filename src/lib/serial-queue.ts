/**
 * Runs async jobs one at a time, in the order they were queued. A job that fails fails only its own
 * caller: the queue goes on with the next one. This is the one lock of Berth's code; a resource that
 * needs its changes serialised (a container, the network state, a metadata file) holds a SerialQueue.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `job` after every job queued before it has settled; resolves or rejects as `job` does. */
  run<T>(job: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(job, job);
    // The queue only orders jobs; each caller sees (and handles) its own job's failure.
    this.tail = result.then(noop, noop);
    return result;
  }

  /** Resolves once every job queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(noop, noop);
  }
}

function noop(): void {}
