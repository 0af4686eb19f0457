/**
 * What a viewer reads with the secrets taken out. Env is where passwords and tokens are handed to
 * containers (`-e DB_PASSWORD=...`), so a viewer sees every variable's name but not its value;
 * registry credentials are never stored by the daemon (each pull or push brings its own in
 * X-Registry-Auth), the one place one can sit is a mirror URL with user:password in /info.
 * Checked and found without secrets: the container list, exec inspect (no Env), /system/df (summaries),
 * events (names, images, labels, exit codes), logs and top (what the container prints or runs, which
 * a viewer is meant to read).
 */

export const MASK = '<masked>';

type Json = Record<string, unknown>;

/** `NAME=value` -> `NAME=<masked>`; a bare `NAME` (inherited from the client) stays as it is. */
export function maskEnv(env: unknown): unknown {
  if (!Array.isArray(env)) return env;
  return env.map((e) => (typeof e === 'string' && e.includes('=') ? `${e.slice(0, e.indexOf('='))}=${MASK}` : e));
}

/** https://user:secret@mirror.example -> https://<masked>@mirror.example */
export function maskUserinfo(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]+@/i, `$1${MASK}@`);
}

function withConfigEnvMasked(body: Json, key: string): Json {
  const config = body[key];
  if (!config || typeof config !== 'object') return body;
  return { ...body, [key]: { ...(config as Json), Env: maskEnv((config as Json).Env) } };
}

/** Container and image inspect: Config.Env (and an image's ContainerConfig.Env). */
function inspectRedaction(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  return withConfigEnvMasked(withConfigEnvMasked(body as Json, 'Config'), 'ContainerConfig');
}

/** /info: registry mirrors with credentials in their URL. */
function infoRedaction(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const info = body as Json;
  const registry = info.RegistryConfig as Json | undefined;
  if (!registry || !Array.isArray(registry.Mirrors)) return body;
  return { ...info, RegistryConfig: { ...registry, Mirrors: registry.Mirrors.map(maskUserinfo) } };
}

const REDACTIONS: Record<string, (body: unknown) => unknown> = {
  'GET /containers/{id}/json': inspectRedaction,
  'GET /images/{name:.*}/json': inspectRedaction,
  'GET /info': infoRedaction,
};

/** The redaction a viewer's reply to this route goes through, if any. */
export function viewerRedaction(method: string, path: string): ((body: unknown) => unknown) | undefined {
  return REDACTIONS[`${method} ${path}`];
}
