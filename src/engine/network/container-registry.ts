import { NotFoundError } from '../../lib/errors.js';
import { findByIdPrefix } from '../../lib/id-prefix.js';
import type { ContainerNetworkRecord, NetworkRecord } from './network-store.js';

/** Looking containers up, as the other parts of networking need it. */
export interface ContainerLookup {
  /** By full id only. */
  byId(id: string): ContainerNetworkRecord | undefined;
  /** By full id, name (a leading slash allowed) or unique id prefix; throws `No such container`. */
  get(idOrName: string): ContainerNetworkRecord;
  values(): Iterable<ContainerNetworkRecord>;
}

/** What networking knows of each container, by id, in the order they were registered. */
export class ContainerRegistry implements ContainerLookup {
  private readonly containers = new Map<string, ContainerNetworkRecord>();

  set(c: ContainerNetworkRecord): void {
    this.containers.set(c.id, c);
  }

  delete(id: string): void {
    this.containers.delete(id);
  }

  has(id: string): boolean {
    return this.containers.has(id);
  }

  byId(id: string): ContainerNetworkRecord | undefined {
    return this.containers.get(id);
  }

  get(idOrName: string): ContainerNetworkRecord {
    const name = idOrName.replace(/^\//, '');
    const notFound = () => new NotFoundError(`No such container: ${idOrName}`);
    const found = this.containers.get(name) ?? this.list().find((c) => c.name === name)
      // An ambiguous prefix names no container here, as for a prefix that matches none.
      ?? findByIdPrefix(this.containers, name, notFound);
    if (!found) throw notFound();
    return found;
  }

  values(): IterableIterator<ContainerNetworkRecord> {
    return this.containers.values();
  }

  list(): ContainerNetworkRecord[] {
    return [...this.containers.values()];
  }

  /** Containers attached to a network, running or not. */
  members(n: NetworkRecord): ContainerNetworkRecord[] {
    return this.list().filter((c) => c.networks[n.id] !== undefined);
  }

  /** Whether any container still runs (its endpoints must outlive a daemon restart). */
  anyRunning(): boolean {
    return this.list().some((c) => c.pid !== undefined);
  }
}
