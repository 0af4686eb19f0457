// Basic authentication against an htpasswd file of bcrypt entries (`htpasswd -B`), like distribution's
// htpasswd auth: every authenticated user may do everything. The file is re-read when it changes.
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';
import { RegistryError } from '../base/errors.js';
import { basicCredentials, type Access, type Authorizer } from './access.js';

export class HtpasswdFile {
  private entries = new Map<string, string>();
  private mtimeMs = -1;
  private checkedAt = 0;
  /** Successful checks, so that bcrypt runs once per user and password, not once per request. */
  private verified = new Map<string, string>();
  readonly warnings: string[] = [];

  constructor(readonly path: string) {
    this.reload();
  }

  private reload(): void {
    const st = statSync(this.path);
    if (st.mtimeMs === this.mtimeMs) return;
    const entries = new Map<string, string>();
    for (const [i, raw] of readFileSync(this.path, 'utf8').split('\n').entries()) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !/^\$2[aby]\$\d\d\$/.test(hash)) {
        this.warnings.push(`${this.path}:${i + 1}: not a bcrypt entry (use htpasswd -B), ignored`);
        continue;
      }
      entries.set(user, hash);
    }
    this.entries = entries;
    this.verified = new Map();
    this.mtimeMs = st.mtimeMs;
  }

  /** Whether the password is right for the user. */
  async verify(user: string, password: string): Promise<boolean> {
    if (Date.now() - this.checkedAt > 1000) {
      this.checkedAt = Date.now();
      try { this.reload(); } catch { /* keep the entries we have if the file is briefly missing */ }
    }
    const hash = this.entries.get(user);
    if (!hash) return false;
    const key = createHash('sha256').update(`${user}\0${password}`).digest('hex');
    if (this.verified.get(key) === hash) return true;
    const ok = await bcrypt.compare(password, hash.replace(/^\$2y\$/, '$2b$'));
    if (ok) this.verified.set(key, hash);
    return ok;
  }
}

export class HtpasswdAuthorizer implements Authorizer {
  constructor(private readonly realm: string, private readonly file: HtpasswdFile) {}

  async authorize(req: IncomingMessage, _access: Access[]): Promise<string | undefined> {
    const creds = basicCredentials(req);
    if (creds && await this.file.verify(creds.user, creds.password)) return creds.user;
    throw new RegistryError('UNAUTHORIZED', creds ? 'invalid username or password' : undefined)
      .withHeaders({ 'WWW-Authenticate': `Basic realm="${this.realm}",charset="UTF-8"` });
  }
}
