import { InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { findByIdPrefix } from '../../lib/id-prefix.js';
import type { NetworkRecord } from './network-store.js';

/** Looking networks up, as the other parts of networking need it. */
export interface NetworkLookup {
  /** By full id only (ids kept in container records). */
  byId(id: string): NetworkRecord | undefined;
  /** By full id, name, or unique id prefix; throws Docker's not-found or ambiguous error. */
  get(idOrName: string): NetworkRecord;
  list(): NetworkRecord[];
  /** The default bridge (`bridge`), unless the daemon runs without one (`--bridge none`). */
  defaultBridge(): NetworkRecord | undefined;
}

/** The daemon's networks in memory, in the order they were added (what `network ls` lists). */
export class NetworkRegistry implements NetworkLookup {
  private readonly networks = new Map<string, NetworkRecord>();

  /** Adds a network, or replaces the one with its id (keeping its place). */
  set(n: NetworkRecord): void {
    this.networks.set(n.id, n);
  }

  delete(id: string): void {
    this.networks.delete(id);
  }

  byId(id: string): NetworkRecord | undefined {
    return this.networks.get(id);
  }

  /** Finds a network by full id, name, or unique id prefix (Docker's order). */
  get(idOrName: string): NetworkRecord {
    const found = this.networks.get(idOrName) ?? this.list().find((n) => n.name === idOrName)
      ?? findByIdPrefix(this.networks, idOrName, (matches) =>
        new InvalidArgumentError(`network ${idOrName} is ambiguous (${matches} matches found based on ID prefix)`));
    if (!found) throw new NotFoundError(`network ${idOrName} not found`);
    return found;
  }

  /** As `get`, but undefined when nothing matches (an ambiguous prefix still throws). */
  find(idOrName: string): NetworkRecord | undefined {
    try {
      return this.get(idOrName);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  list(): NetworkRecord[] {
    return [...this.networks.values()];
  }

  /** One of `bridge`, `host` and `none` as the daemon made it (a user network cannot take these names). */
  predefined(name: string): NetworkRecord | undefined {
    return this.list().find((n) => n.name === name && n.predefined);
  }

  defaultBridge(): NetworkRecord | undefined {
    return this.list().find((n) => n.isDefault);
  }
}
