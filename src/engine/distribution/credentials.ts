// Registry credentials as Docker clients send them: the AuthConfig JSON of POST /auth, and the same JSON
// base64url-encoded in the X-Registry-Auth header of pull and push.
import { InvalidArgumentError } from '../../lib/errors.js';

export interface AuthConfig {
  username?: string;
  password?: string;
  /** "user:password" base64-encoded, as config.json stores it. */
  auth?: string;
  email?: string;
  serveraddress?: string;
  /** A refresh token from an earlier login (OAuth2 grant_type=refresh_token). */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
}

/** Decodes X-Registry-Auth. Absent or empty means anonymous; a header that does not decode is refused, as dockerd does. */
export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgumentError('invalid X-Registry-Auth header: not base64-encoded JSON');
  }
  return normaliseAuthConfig(parsed);
}

/** Checks an AuthConfig's fields and fills username/password from `auth` when only that is given. */
export function normaliseAuthConfig(value: unknown): AuthConfig {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidArgumentError('invalid registry credentials: not a JSON object');
  const out: AuthConfig = {};
  for (const key of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined || field === null || field === '') continue;
    if (typeof field !== 'string') throw new InvalidArgumentError(`invalid registry credentials: ${key} must be a string`);
    out[key] = field;
  }
  if (out.auth && !out.username) {
    const decoded = Buffer.from(out.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InvalidArgumentError('invalid registry credentials: auth is not base64 of user:password');
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1);
  }
  return out;
}

export function hasCredentials(auth: AuthConfig): boolean {
  return Boolean((auth.username && auth.password !== undefined) || auth.identitytoken || auth.registrytoken);
}
