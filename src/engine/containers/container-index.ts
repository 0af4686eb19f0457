import { ConflictError, InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { findByIdPrefix } from '../../lib/id-prefix.js';
import type { Container } from './container.js';
import { randomName } from './names.js';

/**
 * The containers of the engine by ID, and their names (`/name` -> ID). A name is taken the moment a
 * create or rename asks for it, before anything is written, so two requests cannot both get it.
 */
export class ContainerIndex {
  private readonly byId = new Map<string, Container>();
  private readonly names = new Map<string, string>();

  /** Adds a container whose name is already reserved (create) or known (daemon start). */
  add(c: Container): void {
    this.byId.set(c.id, c);
    this.names.set(c.record.name, c.id);
  }

  /** Drops a removed container and its name. */
  delete(c: Container): void {
    this.byId.delete(c.id);
    this.releaseName(c.record.name, c.id);
  }

  /**
   * Finds a container as Docker does: full ID, then name (with or without the slash), then a unique ID
   * prefix. NotFoundError `No such container: x`; an ambiguous prefix is InvalidArgumentError.
   */
  get(ref: string): Container {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.names.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.byId.get(byName)!;
    if (/^[a-f0-9]+$/.test(ref)) {
      const found = findByIdPrefix(this.byId, ref,
        () => new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`));
      if (found) return found;
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  all(): Container[] {
    return [...this.byId.values()];
  }

  /** Takes `wanted` (with its slash), or a generated name, for `id`; ConflictError when it is taken. */
  reserve(id: string, wanted: string | undefined): string {
    if (wanted) {
      this.claim(wanted, id);
      return wanted;
    }
    for (let retry = 0; ; retry++) {
      const name = `/${randomName(retry > 5 ? retry : 0)}`;
      if (!this.names.has(name)) {
        this.names.set(name, id);
        return name;
      }
    }
  }

  /** Takes `name` for `id`; ConflictError with Docker's message when another container holds it. */
  claim(name: string, id: string): void {
    const holder = this.names.get(name);
    if (holder) throw nameConflict(name, holder);
    this.names.set(name, id);
  }

  /** Gives `name` back, if `id` holds it. */
  releaseName(name: string, id: string): void {
    if (this.names.get(name) === id) this.names.delete(name);
  }
}

export function nameConflict(name: string, holder: string): ConflictError {
  return new ConflictError(`Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
}
