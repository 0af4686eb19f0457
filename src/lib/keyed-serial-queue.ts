import { SerialQueue } from './serial-queue.js';

/**
 * One SerialQueue per key, for resources that each need their changes serialised but are many and
 * short-lived (a metadata file per layer): jobs of one key run one at a time, in order; jobs of
 * different keys run freely. A key's queue is dropped once its last job has settled.
 */
export class KeyedSerialQueue {
  private readonly queues = new Map<string, { queue: SerialQueue; jobs: number }>();

  /** Runs `job` after every job queued for `key` before it has settled; resolves or rejects as `job` does. */
  async run<T>(key: string, job: () => Promise<T> | T): Promise<T> {
    let entry = this.queues.get(key);
    if (!entry) {
      entry = { queue: new SerialQueue(), jobs: 0 };
      this.queues.set(key, entry);
    }
    entry.jobs++;
    try {
      return await entry.queue.run(job);
    } finally {
      if (--entry.jobs === 0) this.queues.delete(key);
    }
  }

  /** Resolves once every job queued so far, of every key, has settled. */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()].map((entry) => entry.queue.idle()));
  }

  /** How many keys have jobs queued or running. */
  get size(): number {
    return this.queues.size;
  }
}
