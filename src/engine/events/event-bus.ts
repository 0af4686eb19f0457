import { UnavailableError } from '../../lib/errors.js';
import type { Logger } from '../base/log.js';
import { EventFilter } from './event-filter.js';
import { EventJournal, type JournalLimits } from './event-journal.js';
import { eventTimestamp, type BusEvent, type EventActor, type EventPublisher, type EventType } from './event-types.js';

/** Live events a subscriber may have waiting before it is cut off (dockerd's per-subscriber buffer). */
export const SUBSCRIBER_BUFFER = 1024;

export interface SubscribeOptions {
  /** Nanoseconds since the epoch: replay events from then on (with `until` alone: the whole journal). */
  since?: bigint;
  /** Nanoseconds since the epoch: replay and deliver nothing after it (the caller ends the stream). */
  until?: bigint;
  filter?: EventFilter;
  /** Default SUBSCRIBER_BUFFER. */
  buffer?: number;
}

/** The error a subscriber gets when it fell more than its buffer behind. */
export class SlowSubscriberError extends UnavailableError {
  constructor(buffer: number) {
    super(`event subscriber fell ${buffer} events behind and was cut off`);
  }
}

/**
 * The daemon's event bus: every publisher (containers, images, networks, volumes) reports here; the
 * bus stamps each event (seq, time), queues it for the journal and hands it to every live subscriber
 * whose filter takes it. Publishing never waits: a subscriber has a buffer of its own, and one that
 * falls a whole buffer behind is cut off with SlowSubscriberError (it never slows the daemon nor the
 * other subscribers). Replay and live delivery meet without a gap or a duplicate: a subscription
 * starts at a seq, replay gives what came before it, live what came from it on.
 */
export class EventBus implements EventPublisher {
  private readonly subscribers = new Set<Subscription>();
  private nextSeq: number;

  constructor(private readonly journal: EventJournal | undefined, private readonly log: Logger) {
    this.nextSeq = (journal?.lastSeq ?? 0) + 1;
  }

  /** The daemon's bus, with its journal in `dir` (`<data-root>/events`). */
  static async open(dir: string, log: Logger, limits?: JournalLimits): Promise<EventBus> {
    return new EventBus(await EventJournal.open(dir, log, limits), log);
  }

  publish(type: EventType, action: string, actor: EventActor): void {
    const e: BusEvent = { seq: this.nextSeq++, type, action, actor, timeNano: eventTimestamp() };
    this.journal?.append(e);
    for (const s of this.subscribers) s.offer(e);
  }

  /** Starts a subscription: live events are kept from now on; `replay()` gives the earlier ones. */
  subscribe(options: SubscribeOptions = {}): Subscription {
    const s = new Subscription(this, options, this.nextSeq, this.journal?.unwritten() ?? []);
    this.subscribers.add(s);
    return s;
  }

  /** How many subscribers are live (for tests and `docker info`-like reports). */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** @internal */
  async replay(s: Subscription, startSeq: number, unwritten: BusEvent[]): Promise<BusEvent[]> {
    if (!this.journal) return unwritten.filter((e) => s.wants(e));
    const fromDisk = await this.journal.read(startSeq, (e) => s.wants(e));
    const seen = new Set(fromDisk.map((e) => e.seq));
    const out = fromDisk.concat(unwritten.filter((e) => e.seq < startSeq && !seen.has(e.seq) && s.wants(e)));
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** @internal */
  remove(s: Subscription): void {
    this.subscribers.delete(s);
  }

  /** Ends every subscription and writes what the journal holds. */
  async close(): Promise<void> {
    for (const s of [...this.subscribers]) s.close();
    await this.journal?.close();
  }

  /** @internal */
  warn(message: string): void {
    this.log.warn(message);
  }
}

/**
 * One subscriber: replay first (`replay()`), then live events as they come (`next()`), until it is
 * closed by its owner, by the bus's close, or by falling behind (`error`).
 */
export class Subscription {
  private queue: BusEvent[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  /** Set when the subscriber was cut off for falling behind. */
  error: Error | undefined;
  private readonly filter: EventFilter;
  private readonly buffer: number;

  constructor(
    private readonly bus: EventBus,
    private readonly options: SubscribeOptions,
    private readonly startSeq: number,
    private readonly unwritten: BusEvent[],
  ) {
    this.filter = options.filter ?? new EventFilter();
    this.buffer = options.buffer ?? SUBSCRIBER_BUFFER;
  }

  /** Whether the subscription's filter and time range take `e`. */
  wants(e: BusEvent): boolean {
    if (this.options.since !== undefined && e.timeNano < this.options.since) return false;
    if (this.options.until !== undefined && e.timeNano > this.options.until) return false;
    return this.filter.matches(e);
  }

  /**
   * The events before the subscription began that its range and filter take, oldest first; none
   * when neither `since` nor `until` was given (as dockerd).
   */
  async replay(): Promise<BusEvent[]> {
    if (this.options.since === undefined && this.options.until === undefined) return [];
    return this.bus.replay(this, this.startSeq, this.unwritten);
  }

  /** @internal The bus offers each live event. */
  offer(e: BusEvent): void {
    if (this.closed || !this.wants(e)) return;
    if (this.queue.length >= this.buffer) {
      this.error = new SlowSubscriberError(this.buffer);
      this.bus.warn(this.error.message);
      this.close();
      return;
    }
    this.queue.push(e);
    this.wake?.();
  }

  /**
   * Waits for live events and takes all that are waiting, oldest first; an empty batch means the
   * subscription is closed (see `error`).
   */
  async next(): Promise<BusEvent[]> {
    while (this.queue.length === 0 && !this.closed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    const batch = this.queue;
    this.queue = [];
    return this.closed && this.error ? [] : batch;
  }

  /** Stops delivery; a pending `next()` resolves with an empty batch. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bus.remove(this);
    this.wake?.();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
