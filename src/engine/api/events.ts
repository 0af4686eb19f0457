import type { ServerResponse } from 'node:http';
import type { Engine } from '../services/engine.js';
import type { Route, RequestContext } from './router.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { EventFilter } from '../events/event-filter.js';
import { eventTimestamp, parseEventTime, renderEvent, type BusEvent } from '../events/event-types.js';
import { queryFilters } from './http.js';

export function routes(_engine: Engine): Route[] {
  return [{ method: 'GET', path: '/events', handler: getEvents }];
}

/**
 * GET /events?since=&until=&filters=: the events of the journal from `since` (all of it with
 * `until` alone), then live ones, one JSON object per line; the stream ends at `until` (at once when
 * `until` is past). Filter names dockerd does not know are ignored, as dockerd ignores them. A
 * subscriber that falls a whole buffer behind is cut off: the stream is broken off without its end,
 * so the client sees an error (dockerd instead drops events for it after 100 ms).
 */
async function getEvents(ctx: RequestContext): Promise<void> {
  const since = eventTime(ctx, 'since');
  const until = eventTime(ctx, 'until');
  if (since !== undefined && until !== undefined && until < since) {
    throw new InvalidArgumentError(`\`since\` time (${ctx.query.get('since')}) cannot be after \`until\` time (${ctx.query.get('until')})`);
  }
  const filter = new EventFilter(queryFilters(ctx, 'any'));
  const res = ctx.res!;
  const sub = ctx.engine.events.subscribe({ since, until, filter });
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const now = eventTimestamp();
  const onlyPast = until !== undefined && until <= now;
  const timer = until !== undefined && !onlyPast ? setTimeout(() => sub.close(), Number((until - now) / 1_000_000n) + 1) : undefined;
  res.on('close', () => sub.close());
  try {
    if (!(await send(res, await sub.replay()))) return;
    if (onlyPast) return;
    for (;;) {
      const batch = await sub.next();
      if (batch.length === 0) break;
      if (!(await send(res, batch))) return;
    }
    if (sub.error) {
      ctx.engine.log.warn(`GET /events: ${sub.error.message}`);
      res.destroy(sub.error);
    }
  } finally {
    clearTimeout(timer);
    sub.close();
    if (!res.destroyed) res.end();
  }
}

/** Writes events as one chunk; waits while the client lags. False when the client has gone. */
async function send(res: ServerResponse, events: BusEvent[]): Promise<boolean> {
  if (res.destroyed) return false;
  if (events.length === 0) return true;
  if (res.write(events.map((e) => renderEvent(e) + '\n').join(''))) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}

/** A `since` / `until` value: Unix seconds with an optional fraction, as the docker CLI sends them. */
function eventTime(ctx: RequestContext, name: 'since' | 'until'): bigint | undefined {
  const value = ctx.query.get(name) ?? '';
  if (value === '') return undefined;
  const t = parseEventTime(value);
  if (t === undefined) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${JSON.stringify(value.split('.')[0])}: invalid syntax`);
  return t;
}
