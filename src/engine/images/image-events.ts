import { NotFoundError } from '../../lib/errors.js';
import type { EventPublisher } from '../events/event-types.js';

/**
 * Image events as dockerd reports them: `tag` (name: the new reference), `untag` and `delete` (name:
 * the image ID, as dockerd 20.10 gives it), `import`, `load`, `save` (the image ID as actor and name),
 * `pull` and `push` (the reference, familiar form, as actor and name). Attributes: the image's labels
 * and `name`.
 */
/** What the events need of the image store: an image by reference, and its config's labels. */
export interface ImageLookup {
  resolveId(ref: string): string;
  get(imageId: string): { config: { config?: { Labels?: Record<string, string> } } };
}

export type ImageAction = 'tag' | 'untag' | 'delete' | 'import' | 'load' | 'save' | 'pull' | 'push';

/**
 * Publishes `action` for `id` (an image ID, or a reference for pull and push). The labels come from
 * the image `id` names, when there still is one (a deleted image's are given by the caller).
 */
export function publishImageEvent(
  store: ImageLookup, events: EventPublisher, action: ImageAction, id: string,
  name = id, labels = labelsOf(store, id),
): void {
  events.publish('image', action, { ID: id, Attributes: { ...labels, name } });
}

export function labelsOf(store: ImageLookup, ref: string): Record<string, string> {
  try {
    return store.get(store.resolveId(ref)).config.config?.Labels ?? {};
  } catch (err) {
    if (err instanceof NotFoundError) return {};
    throw err;
  }
}
