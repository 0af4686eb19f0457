import { parseReference, referenceString, type ImageReference } from '../../lib/image-reference.js';
import { RecordDocument } from '../store/record-document.js';
import type { StoreLog } from '../store/record-file.js';

export interface ReferenceFile {
  /** Full reference (`docker.io/library/busybox:latest` or `...@sha256:...`) -> image ID. */
  references: Record<string, string>;
  /** Image ID -> when a tag last pointed at it (ImageInspect's Metadata.LastTagTime). */
  lastTagTime: Record<string, string>;
}

/** The references' document (`<image root>/repositories.json`). */
export function referenceDocument(path: string, log: StoreLog): RecordDocument<ReferenceFile> {
  return new RecordDocument<ReferenceFile>({
    kind: 'image references', version: 1, path, log,
    migrate: (stored) => {
      const file = stored as Partial<ReferenceFile>;
      if (typeof file.references !== 'object' || file.references === null) throw new Error('no references');
      // Files of the first versions had no lastTagTime.
      return { references: file.references, lastTagTime: file.lastTagTime ?? {} };
    },
  });
}

/**
 * Tags and digest references of images, in one JSON document rewritten durably on every change (the
 * file is small: one line per reference). A reference names exactly one image; an image has any number.
 * A damaged document is reported and moved aside (RecordDocument): the images stay, untagged, where
 * dockerd would refuse to start over a bad repositories.json.
 */
export class ReferenceStore {
  private constructor(private readonly document: RecordDocument<ReferenceFile>, private readonly data: ReferenceFile) {}

  static async open(path: string, log: StoreLog): Promise<ReferenceStore> {
    const document = referenceDocument(path, log);
    const data = (await document.load()) ?? { references: {}, lastTagTime: {} };
    return new ReferenceStore(document, data);
  }

  /** Resolves once every tag change so far is on disk (at shutdown). */
  idle(): Promise<void> {
    return this.document.idle();
  }

  get(ref: ImageReference): string | undefined {
    return this.data.references[referenceString(ref)];
  }

  /** References to an image, sorted by their full string as Docker sorts them. */
  referencesOf(imageId: string): ImageReference[] {
    return Object.keys(this.data.references).filter((r) => this.data.references[r] === imageId).sort()
      .map((r) => parseReference(r));
  }

  lastTagTime(imageId: string): string | undefined {
    return this.data.lastTagTime[imageId];
  }

  /** Points `ref` at `imageId` (moving it from another image if needed). */
  async add(ref: ImageReference, imageId: string): Promise<void> {
    this.data.references[referenceString(ref)] = imageId;
    if (ref.tag) this.data.lastTagTime[imageId] = new Date().toISOString();
    await this.save();
  }

  /** Removes one reference; returns the image it named, if any. */
  async remove(ref: ImageReference): Promise<string | undefined> {
    const key = referenceString(ref);
    const id = this.data.references[key];
    if (id === undefined) return undefined;
    delete this.data.references[key];
    await this.save();
    return id;
  }

  /** Forgets everything about an image that is being deleted. */
  async forgetImage(imageId: string): Promise<void> {
    for (const [key, id] of Object.entries(this.data.references)) if (id === imageId) delete this.data.references[key];
    delete this.data.lastTagTime[imageId];
    await this.save();
  }

  /** Saves the state as it is now; saves land in the order they were called. */
  private save(): Promise<void> {
    return this.document.save(this.data);
  }
}
