// Bearer token auth as the Docker registry token specification describes: the client gets a JWT from
// the token server (the realm) and the registry checks it offline against rootcertbundle: signature
// (x5c chain to a root, or a root's libtrust kid), issuer, audience (service), time, and access claim.
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { RegistryError } from '../base/errors.js';
import { scopeString, type Access, type Authorizer } from './access.js';
import { libtrustKeyId, readCertificates } from './keys.js';

export interface TokenOptions {
  realm: string;
  service: string;
  issuer: string;
  rootcertbundle: string;
}

const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'EdDSA'];

export class TokenAuthorizer implements Authorizer {
  private readonly roots: X509Certificate[];
  private readonly rootsByKid = new Map<string, KeyObject>();

  constructor(private readonly options: TokenOptions) {
    this.roots = readCertificates(options.rootcertbundle);
    for (const cert of this.roots) this.rootsByKid.set(libtrustKeyId(cert.publicKey), cert.publicKey);
  }

  private challenge(access: Access[], error?: string): Record<string, string> {
    let value = `Bearer realm="${this.options.realm}",service="${this.options.service}"`;
    if (access.length > 0) value += `,scope="${scopeString(access)}"`;
    if (error) value += `,error="${error}"`;
    return { 'WWW-Authenticate': value };
  }

  /** The key that signed the token, trusted through rootcertbundle. */
  private signingKey(token: string): KeyObject {
    const header = decodeProtectedHeader(token);
    if (Array.isArray(header.x5c) && header.x5c.length > 0) {
      const chain = header.x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
      const now = new Date();
      for (const cert of chain) {
        if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) throw new Error('certificate outside its validity');
      }
      for (let i = 0; i + 1 < chain.length; i++) {
        if (!chain[i].verify(chain[i + 1].publicKey)) throw new Error('x5c chain is broken');
      }
      const top = chain[chain.length - 1];
      const trusted = this.roots.some((r) => r.fingerprint256 === top.fingerprint256 || (top.checkIssued(r) && top.verify(r.publicKey)));
      if (!trusted) throw new Error('x5c chain does not lead to a trusted root');
      return chain[0].publicKey;
    }
    if (header.kid && this.rootsByKid.has(header.kid)) return this.rootsByKid.get(header.kid)!;
    throw new Error('token names no trusted key');
  }

  async authorize(req: IncomingMessage, access: Access[]): Promise<string | undefined> {
    const header = req.headers.authorization;
    if (!header || !/^bearer /i.test(header)) {
      throw new RegistryError('UNAUTHORIZED').withHeaders(this.challenge(access));
    }
    const token = header.slice(7).trim();
    let claims: JWTPayload & { access?: Access[] };
    try {
      const key = this.signingKey(token);
      const verified = await jwtVerify(token, key, {
        issuer: this.options.issuer, audience: this.options.service, algorithms: ALGORITHMS, clockTolerance: 10,
      });
      claims = verified.payload as typeof claims;
    } catch (err) {
      throw new RegistryError('UNAUTHORIZED', `invalid token: ${(err as Error).message}`)
        .withHeaders(this.challenge(access, 'invalid_token'));
    }
    const granted = Array.isArray(claims.access) ? claims.access : [];
    for (const need of access) {
      const entries = granted.filter((g) => g.type === need.type && g.name === need.name);
      const actions = new Set(entries.flatMap((g) => g.actions ?? []));
      const missing = need.actions.filter((a) => !actions.has(a) && !actions.has('*'));
      if (missing.length === 0) continue;
      // A token issued for this resource without the action is a final no; a token issued for other
      // resources asks the client to fetch one for these.
      if (entries.length > 0) {
        throw new RegistryError('DENIED', `${missing.join(',')} access to ${need.type} ${need.name} is denied`, [need]);
      }
      throw new RegistryError('UNAUTHORIZED', 'token does not grant the requested access', [need])
        .withHeaders(this.challenge(access, 'insufficient_scope'));
    }
    return claims.sub || undefined;
  }
}
