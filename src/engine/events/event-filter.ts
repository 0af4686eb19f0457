import { labelMatches } from '../../lib/label-filter.js';
import { familiarName, parseReference } from '../../lib/image-reference.js';
import type { BusEvent, EventType } from './event-types.js';

/**
 * Docker's event filters, applied as dockerd applies them (moby daemon/events/filter.go): several
 * values of one filter match if any matches; different filters must all match; `label` values must
 * all match (each `key` or `key=value` among the actor's attributes). A filter name dockerd does not
 * know is ignored, as dockerd ignores it.
 *
 * - `type`, `scope`: exact.
 * - `event`: exact on the action, or a prefix when a value is `exec_create`, `exec_start` or
 *   `health_status` (whose actions carry a suffix: `exec_start: sh -c true`, `health_status: healthy`).
 * - `container`, `network`, `volume`, `daemon`, `plugin`: an event of that type whose actor ID or name
 *   starts with the value; events of other types never match.
 * - `image`: the actor ID or its `image` attribute (a container's) or `name` attribute (an image's),
 *   each also without its tag (`busybox` matches `busybox:latest`).
 */
export class EventFilter {
  constructor(private readonly filters: ReadonlyMap<string, readonly string[]> = new Map()) {}

  matches(e: BusEvent): boolean {
    return this.matchAction(e.action)
      && this.exact('type', e.type)
      && this.exact('scope', 'local')
      && this.byName(e, 'daemon')
      && this.byName(e, 'container')
      && this.byName(e, 'plugin')
      && this.byName(e, 'volume')
      && this.byName(e, 'network')
      && this.matchImage(e)
      && this.matchLabels(e.actor.Attributes);
  }

  private values(name: string): readonly string[] | undefined {
    const values = this.filters.get(name);
    return values && values.length > 0 ? values : undefined;
  }

  private exact(name: string, value: string): boolean {
    const wanted = this.values(name);
    return !wanted || wanted.includes(value);
  }

  /** Go's filters.FuzzyMatch: equal, or the value starts with a wanted prefix. */
  private fuzzy(name: string, value: string | undefined): boolean {
    const wanted = this.values(name);
    if (!wanted) return true;
    return value !== undefined && wanted.some((w) => value === w || value.startsWith(w));
  }

  private matchAction(action: string): boolean {
    const wanted = this.values('event');
    if (wanted?.some((w) => w === 'health_status' || w === 'exec_create' || w === 'exec_start')) {
      return this.fuzzy('event', action);
    }
    return this.exact('event', action);
  }

  private byName(e: BusEvent, type: EventType): boolean {
    if (!this.values(type)) return true;
    if (e.type !== type) return false;
    return this.fuzzy(type, e.actor.ID) || this.fuzzy(type, e.actor.Attributes.name);
  }

  private matchImage(e: BusEvent): boolean {
    if (!this.values('image')) return true;
    const name = e.actor.Attributes[e.type === 'image' ? 'name' : 'image'] ?? '';
    return [e.actor.ID, name, stripTag(e.actor.ID), stripTag(name)].some((v) => this.exact('image', v));
  }

  private matchLabels(attributes: Record<string, string>): boolean {
    const wanted = this.values('label');
    if (!wanted) return true;
    return wanted.every((w) => labelMatches(attributes, w));
  }
}

/** An image name without its tag (`busybox:1` -> `busybox`); anything that is no reference, as it is. */
function stripTag(image: string): string {
  if (!image) return image;
  try {
    return familiarName(parseReference(image));
  } catch {
    return image;
  }
}
