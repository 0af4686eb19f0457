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
  return normaliseAuthConfig(decodeHeaderJson(header, 'X-Registry-Auth'));
}

/** X-Registry-Config of POST /build: base64 JSON of registry -> AuthConfig (Docker Hub under `https://index.docker.io/v1/`). */
export function decodeRegistryConfig(header: string | string[] | undefined): Record<string, AuthConfig> {
  const parsed = decodeHeaderJson(header, 'X-Registry-Config');
  const out: Record<string, AuthConfig> = {};
  if (parsed && typeof parsed === 'object') {
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) out[k] = normaliseAuthConfig(v);
  }
  return out;
}

/** The JSON in a base64 (standard or URL alphabet) header; undefined when the header is absent or empty. */
function decodeHeaderJson(header: string | string[] | undefined, name: string): unknown {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  try {
    return JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw new InvalidArgumentError(`invalid ${name} header: not base64-encoded JSON`);
  }
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
