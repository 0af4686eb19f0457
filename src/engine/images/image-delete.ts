// `docker rmi` with Docker's rules (moby daemon/images/image_delete.go): removing one of several names
// only untags; an image in use by a container is kept unless forced, and never deleted under a running
// container; deleting by ID an image with names in several repositories needs force.
import { ConflictError } from '../../lib/errors.js';
import {
  familiarString, parseReference, repositoryName, withDefaultTag, type ImageReference,
} from '../../lib/image-reference.js';
import { shortId, type ImageStore } from './image-store.js';

export type DeleteRecord = { Untagged: string } | { Deleted: string };

const CHILD = 1;
const RUNNING = 2;
const REFERENCED = 4;
const STOPPED = 8;
const HARD = CHILD | RUNNING;
const SOFT = REFERENCED | STOPPED;

class ImageDeleteConflict extends ConflictError {
  constructor(imageId: string, readonly hard: boolean, readonly used: boolean, reason: string) {
    super(`conflict: unable to delete ${shortId(imageId)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${reason}`);
  }
}

/** Removes an image or one of its names; returns what was untagged and deleted, in Docker's order. */
export async function deleteImage(store: ImageStore, name: string, options: { force: boolean; prune: boolean }): Promise<DeleteRecord[]> {
  const { force, prune } = options;
  const imageId = store.resolveId(name);
  const records: DeleteRecord[] = [];
  let refs = store.refs.referencesOf(imageId);
  let removedRepositoryRef = false;

  if (!isImageIdPrefix(imageId, name)) {
    // A name was given: that name goes first.
    if (!force && isSingleReference(refs)) {
      const user = store.usage(imageId)[0];
      if (user) {
        throw new ConflictError(`conflict: unable to remove repository reference "${name}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(imageId)}`);
      }
    }
    const ref = withDefaultTag(parseReference(name));
    await store.refs.remove(ref);
    untagged(store, records, imageId, ref);
    refs = store.refs.referencesOf(imageId);
    // The last tag of a repository takes that repository's digest references with it.
    if (!ref.digest && !refs.some((r) => !r.digest && repositoryName(r) === repositoryName(ref))) {
      for (const r of refs.filter((r) => r.digest && repositoryName(r) === repositoryName(ref))) {
        await store.refs.remove(r);
        untagged(store, records, imageId, r);
      }
      refs = store.refs.referencesOf(imageId);
    }
    if (refs.length > 0) return records;
    removedRepositoryRef = true;
  } else if (isSingleReference(refs)) {
    // By ID, with all names in one repository: they go with the image.
    const conflict = checkConflict(store, imageId, force ? HARD : HARD | (SOFT & ~REFERENCED));
    if (conflict) throw conflict;
    for (const r of refs) {
      await store.refs.remove(r);
      untagged(store, records, imageId, r);
    }
  }

  const conflict = checkConflict(store, imageId, force ? HARD : HARD | SOFT);
  if (conflict) {
    // The untag already done is the whole effect when the image is still named or still in use.
    if (removedRepositoryRef && (store.refs.referencesOf(imageId).length > 0 || conflict.used)) return records;
    throw conflict;
  }
  await deleteWithRefs(store, imageId, records, force, prune);
  return records;
}

/** Deletes the image and its names; with `prune`, then its parents that nothing else holds. */
async function deleteWithRefs(store: ImageStore, imageId: string, records: DeleteRecord[], force: boolean, prune: boolean): Promise<void> {
  for (const r of store.refs.referencesOf(imageId)) untagged(store, records, imageId, r);
  const parent = store.get(imageId).parent;
  // Forced past a stopped container: the container keeps its layers until it is removed.
  const removedLayers = await store.deleteImage(imageId, force && store.usage(imageId).length > 0);
  records.push({ Deleted: imageId });
  for (const l of removedLayers) records.push({ Deleted: l });
  if (!prune || !parent || !store.has(parent)) return;
  // Parents go quietly, never by force: any conflict (a name, a container, another child) keeps them.
  if (checkConflict(store, parent, HARD | SOFT)) return;
  await deleteWithRefs(store, parent, records, false, true);
}

/** Records an untagged name and reports it (dockerd names the image by its ID in the event). */
function untagged(store: ImageStore, records: DeleteRecord[], imageId: string, ref: ImageReference): void {
  records.push({ Untagged: familiarString(ref) });
  store.publishEvent('untag', imageId);
}

function checkConflict(store: ImageStore, imageId: string, mask: number): ImageDeleteConflict | undefined {
  if (mask & CHILD && store.children(imageId).length > 0) {
    return new ImageDeleteConflict(imageId, true, false, 'image has dependent child images');
  }
  const users = store.usage(imageId);
  const running = users.find((u) => u.running);
  if (mask & RUNNING && running) {
    return new ImageDeleteConflict(imageId, true, true, `image is being used by running container ${shortId(running.id)}`);
  }
  if (mask & REFERENCED && store.refs.referencesOf(imageId).length > 0) {
    return new ImageDeleteConflict(imageId, false, false, 'image is referenced in multiple repositories');
  }
  const stopped = users.find((u) => !u.running);
  if (mask & STOPPED && stopped) {
    return new ImageDeleteConflict(imageId, false, true, `image is being used by stopped container ${shortId(stopped.id)}`);
  }
  return undefined;
}

function isImageIdPrefix(imageId: string, name: string): boolean {
  return imageId.startsWith(name) || imageId.slice(imageId.indexOf(':') + 1).startsWith(name);
}

/** One tag at most, and digest references only of that tag's repository. */
function isSingleReference(refs: ImageReference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const tags = refs.filter((r) => !r.digest);
  if (tags.length > 1) return false;
  const digestRepos = new Set(refs.filter((r) => r.digest).map(repositoryName));
  const single = tags[0] ?? refs[0];
  return digestRepos.size === 1 && digestRepos.has(repositoryName(single));
}
