// Who is asking: the hub's users are the registry's. With htpasswd auth, Basic credentials against its
// file; with token auth, a Bearer token the registry trusts (its `sub`), or Basic credentials against
// the users of berth-registry's own token server (what `docker search` sends). Without auth there are
// no users: reads are open and what needs a user (stars, edits) is refused.
import type { IncomingMessage } from 'node:http';
import { RegistryError } from '../base/errors.js';
import { basicCredentials, type Authorizer } from '../auth/access.js';
import type { HtpasswdFile } from '../auth/htpasswd.js';

export interface HubIdentityOptions {
  /** The registry's authorizer; undefined when the registry has no auth. */
  authorizer?: Authorizer;
  /** The password file of the registry's users (htpasswd auth, or the token server's users). */
  users?: HtpasswdFile;
  /** Basic credentials are checked by the authorizer itself (htpasswd auth). */
  basicIsNative: boolean;
}

export class HubIdentity {
  constructor(private readonly options: HubIdentityOptions) {}

  /** Whether the registry has users at all. */
  get enabled(): boolean {
    return this.options.authorizer !== undefined;
  }

  /**
   * The signed-in user of a request. Without auth: undefined. With auth, a request without valid
   * credentials gets RegistryError UNAUTHORIZED carrying the registry's challenge.
   */
  async identify(req: IncomingMessage): Promise<string | undefined> {
    const { authorizer, users, basicIsNative } = this.options;
    if (!authorizer) return undefined;
    const basic = basicCredentials(req);
    if (basic && !basicIsNative) {
      if (users && await users.verify(basic.user, basic.password)) return basic.user;
      throw new RegistryError('UNAUTHORIZED', 'invalid username or password');
    }
    const user = await authorizer.authorize(req, []);
    if (!user) throw new RegistryError('UNAUTHORIZED', 'a signed-in user is required');
    return user;
  }

  /** Checks a user's password (a sign-in form). False when the registry has no password file. */
  async verifyPassword(user: string, password: string): Promise<boolean> {
    return this.options.users ? this.options.users.verify(user, password) : false;
  }
}
