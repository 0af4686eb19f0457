// Who may do what in the hub. Each user owns the namespace of their name: alice pushes (and deletes)
// alice/* and edits those repositories' descriptions; admins (hub.admins) push anywhere, edit anything
// and mark repositories official. A namespace-less or library/ repository belongs to the admins.
import { hubName } from './hub-store.js';

export class HubPolicy {
  private readonly admins: ReadonlySet<string>;

  constructor(admins: readonly string[]) {
    this.admins = new Set(admins);
  }

  isAdmin(user: string | undefined): boolean {
    return user !== undefined && this.admins.has(user);
  }

  /** The user whose namespace the repository is in, or undefined for a namespace-less or library/ one. */
  ownerOf(repository: string): string | undefined {
    if (!repository.includes('/')) return undefined;
    const { namespace } = hubName(repository);
    return namespace === 'library' ? undefined : namespace;
  }

  /** Push, delete, and change the description: the namespace's owner and admins. */
  mayWrite(user: string | undefined, repository: string): boolean {
    if (user === undefined || user === '') return false;
    return this.isAdmin(user) || this.ownerOf(repository) === user;
  }

  /** Mark or unmark official: admins only. */
  mayMarkOfficial(user: string | undefined): boolean {
    return this.isAdmin(user);
  }
}
