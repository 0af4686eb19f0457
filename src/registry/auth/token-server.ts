// berth-registry's own token server (GET /token), the "authorization service" of the token
// specification: it authenticates the client (Basic, against an htpasswd file; anonymous without
// credentials), intersects the requested scopes with its ACL, and signs a JWT with its key, carrying
// its certificate in x5c so registries that trust the certificate's root accept it.
import { createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { SignJWT } from 'jose';
import { RegistryError } from '../base/errors.js';
import type { AclEntry } from '../base/config.js';
import { basicCredentials, parseScope, type Access } from './access.js';
import type { HtpasswdFile } from './htpasswd.js';
import { libtrustKeyId } from './keys.js';

export interface TokenServerOptions {
  issuer: string;
  service: string;
  keyPath: string;
  certificatePath: string;
  expiration: number;
  acl: AclEntry[];
  users?: HtpasswdFile;
  /** Narrows what the ACL grants (the hub's namespaces): the actions `account` keeps on `resource`. */
  restrict?: (account: string, resource: Access, actions: string[]) => string[];
}

/** Glob match where '*' matches any run of characters (including '/'). */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(value);
}

export class TokenServer {
  private readonly key: KeyObject;
  private readonly alg: string;
  private readonly x5c: string[];
  private readonly kid: string;

  constructor(private readonly options: TokenServerOptions) {
    this.key = createPrivateKey(readFileSync(options.keyPath));
    const certs = (readFileSync(options.certificatePath, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [])
      .map((pem) => new X509Certificate(pem));
    if (certs.length === 0) throw new Error(`${options.certificatePath}: no certificate`);
    this.x5c = certs.map((c) => c.raw.toString('base64'));
    this.kid = libtrustKeyId(certs[0].publicKey);
    const type = this.key.asymmetricKeyType;
    const curve = this.key.asymmetricKeyDetails?.namedCurve;
    this.alg = type === 'ec' ? (curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256')
      : type === 'ed25519' ? 'EdDSA' : 'RS256';
  }

  /** Actions the ACL grants `account` ("" when anonymous) on a resource. */
  granted(account: string, resource: Access): string[] {
    const actions = this.grantedByAcl(account, resource);
    return this.options.restrict ? this.options.restrict(account, resource, actions) : actions;
  }

  private grantedByAcl(account: string, resource: Access): string[] {
    if (this.options.acl.length === 0) {
      // Without an ACL: signed-in users may do everything, anonymous users nothing.
      return account ? resource.actions : [];
    }
    const out = new Set<string>();
    for (const entry of this.options.acl) {
      const who = entry.account;
      const matchesAccount = who === account || (who === '*' && account !== '') || (who === '' && account === '' ) || who === '**';
      if (!matchesAccount) continue;
      const pattern = entry.name.replaceAll('${account}', account);
      const name = resource.type === 'registry' ? `registry:${resource.name}` : resource.name;
      if (!globMatch(pattern, name)) continue;
      for (const a of entry.actions) out.add(a);
    }
    return resource.actions.filter((a) => out.has(a) || out.has('*'));
  }

  /** Handles GET /token?service=...&scope=...; throws UNAUTHORIZED on bad credentials. */
  async issue(req: IncomingMessage, query: URLSearchParams): Promise<Record<string, unknown>> {
    const creds = basicCredentials(req);
    let account = '';
    if (creds) {
      if (!this.options.users || !(await this.options.users.verify(creds.user, creds.password))) {
        throw new RegistryError('UNAUTHORIZED', 'invalid username or password');
      }
      account = creds.user;
    }
    const service = query.get('service');
    if (service && service !== this.options.service) {
      throw new RegistryError('DENIED', `this token server serves ${this.options.service}, not ${service}`);
    }
    const access: Access[] = [];
    for (const raw of query.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean)) {
      const scope = parseScope(raw);
      if (!scope) continue;
      const actions = this.granted(account, scope);
      if (scope.type === 'repository' || scope.type === 'registry') access.push({ type: scope.type, name: scope.name, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: this.alg, typ: 'JWT', kid: this.kid, x5c: this.x5c })
      .setIssuer(this.options.issuer)
      .setSubject(account)
      .setAudience(this.options.service)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + this.options.expiration)
      .setJti(randomBytes(16).toString('hex'))
      .sign(this.key);
    return { token, access_token: token, expires_in: this.options.expiration, issued_at: new Date(now * 1000).toISOString() };
  }
}
