/**
 * Docker's event model (EventMessage of the Engine API): what happened (`Action`) to which object
 * (`Type`, `Actor.ID`), with the object's attributes (a container's labels, name and image; a
 * network's name and type...), when (`time`, `timeNano`) and where (`scope`, always "local" here).
 */

/** The kinds of object berthd reports events for (Docker also has swarm kinds: service, node...). */
export type EventType = 'container' | 'image' | 'network' | 'volume' | 'daemon' | 'builder' | 'plugin';

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

/** One event as the bus holds it: in publish order (`seq`), stamped with a strictly rising time. */
export interface BusEvent {
  /** Rises by one per event, across daemon restarts (the journal carries it on). */
  seq: number;
  type: EventType;
  action: string;
  actor: EventActor;
  /** Nanoseconds since the epoch: above 2^53, so a bigint. */
  timeNano: bigint;
}

/** What a part of the daemon needs to report an event: the bus stamps it and hands it on. */
export interface EventPublisher {
  publish(type: EventType, action: string, actor: EventActor): void;
}

/** A publisher that drops everything (services opened without a bus: tests, tools). */
export const NO_EVENTS: EventPublisher = { publish() {} };

/**
 * The event as JSON on the wire, in dockerd's field order. Container and image events carry the old
 * `status`, `id` and `from` fields too, as dockerd sends them to every API version up to 1.51.
 * `timeNano` is written from the bigint, so no digit is rounded away.
 */
export function renderEvent(e: BusEvent): string {
  const legacy: Record<string, string> = {};
  if (e.type === 'container' || e.type === 'image') {
    legacy.status = e.action;
    legacy.id = e.actor.ID;
    const from = e.actor.Attributes.image;
    if (e.type === 'container' && from !== undefined) legacy.from = from;
  }
  const time = e.timeNano / 1_000_000_000n;
  const json = JSON.stringify({
    ...legacy,
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.actor.ID, Attributes: sortedAttributes(e.actor.Attributes) },
    scope: 'local',
    time: Number(time),
  });
  return `${json.slice(0, -1)},"timeNano":${e.timeNano}}`;
}

/** Attributes with their keys in order, as Go's JSON encoder writes a map. */
function sortedAttributes(attributes: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(attributes).sort()) out[key] = attributes[key];
  return out;
}

let lastStamp = 0n;

/**
 * Now in nanoseconds since the epoch (microsecond resolution), strictly after the last stamp this
 * process gave, so events are ordered by time as they are by publication.
 */
export function eventTimestamp(): bigint {
  let ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
  if (ns <= lastStamp) ns = lastStamp + 1n;
  lastStamp = ns;
  return ns;
}

/**
 * Docker's `since` / `until` query values (the CLI turns durations and dates into these): Unix seconds
 * with optional fraction, `1796608146.210805713`. InvalidArgument-worthy text gets Go's wording.
 */
export function parseEventTime(value: string): bigint | undefined {
  if (value === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (!m) return undefined;
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
