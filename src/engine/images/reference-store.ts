import { readJsonIfExists, writeJsonAtomic } from '../../lib/atomic-file.js';
import { parseReference, referenceString, type ImageReference } from '../../lib/image-reference.js';

interface ReferenceFile {
  /** Full reference (`docker.io/library/busybox:latest` or `...@sha256:...`) -> image ID. */
  references: Record<string, string>;
  /** Image ID -> when a tag last pointed at it (ImageInspect's Metadata.LastTagTime). */
  lastTagTime: Record<string, string>;
}

/**
 * Tags and digest references of images, in one JSON file rewritten atomically on every change (the file
 * is small: one line per reference). A reference names exactly one image; an image has any number.
 */
export class ReferenceStore {
  /** Writes run one after another, each with the state of its start, so an older one never lands last. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string, private readonly data: ReferenceFile) {}

  static async open(path: string): Promise<ReferenceStore> {
    const data = (await readJsonIfExists<ReferenceFile>(path)) ?? { references: {}, lastTagTime: {} };
    data.lastTagTime ??= {};
    return new ReferenceStore(path, data);
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

  private save(): Promise<void> {
    const write = this.saving.then(() => writeJsonAtomic(this.path, this.data));
    this.saving = write.catch(() => {});
    return write;
  }
}
