// Image references as Docker parses them (distribution/reference): `busybox` is
// `docker.io/library/busybox:latest`, `localhost:5000/team/app:1.0` keeps its registry, `name@sha256:...`
// pins a digest. Error messages are Docker's own, since clients and users match on them.
import { InvalidArgumentError } from './errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
export const NAME_TOTAL_LENGTH_MAX = 255;

const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_AND_PORT = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN_AND_PORT}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const IMAGE_ID_RE = /^sha256:[a-f0-9]{64}$/;

/** A parsed, fully qualified reference: `domain/path[:tag][@digest]`. */
export interface ImageReference {
  /** Registry host (and port): `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/busybox`, `team/app`. */
  path: string;
  tag?: string;
  digest?: string;
}

/** `docker.io/library/busybox` */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full string: `docker.io/library/busybox:latest`, `localhost:5000/app@sha256:...`. */
export function referenceString(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** The short form users see: `busybox:latest`, `team/app:1.0`, `localhost:5000/app:1`. */
export function familiarName(ref: ImageReference): string {
  let name = repositoryName(ref);
  if (ref.domain === DEFAULT_DOMAIN) {
    name = ref.path.startsWith(OFFICIAL_REPO_PREFIX) && ref.path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1
      ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
  }
  return name;
}

export function familiarString(ref: ImageReference): string {
  return familiarName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** Adds the `latest` tag to a name that has neither tag nor digest (Docker's TagNameOnly). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: DEFAULT_TAG };
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * Parses a reference the way `docker` does (ParseNormalizedNamed): adds docker.io and library/ where
 * implied, keeps tag and digest as given (no default tag). Throws InvalidArgumentError with Docker's
 * message.
 */
export function parseReference(text: string): ImageReference {
  if (IDENTIFIER_RE.test(text)) {
    throw new InvalidArgumentError(`invalid repository name (${text}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(text);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new InvalidArgumentError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const full = `${domain}/${remainder}`;
  const m = REFERENCE_RE.exec(full);
  if (!m) {
    if (text === '') throw new InvalidArgumentError('invalid reference format: repository name must have at least one component');
    throw new InvalidArgumentError('invalid reference format');
  }
  if (m[1].length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidArgumentError(`invalid reference format: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const slash = m[1].indexOf('/');
  const ref: ImageReference = { domain: m[1].slice(0, slash), path: m[1].slice(slash + 1) };
  if (m[2]) ref.tag = m[2];
  if (m[3]) ref.digest = validateDigest(m[3]);
  return ref;
}

function validateDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
  if (!(algorithm in lengths)) throw new InvalidArgumentError('unsupported digest algorithm');
  if (hex.length !== lengths[algorithm]) throw new InvalidArgumentError('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw new InvalidArgumentError('invalid checksum digest format');
  return digest;
}

/** What a user may name an image by: a reference or an image ID (Docker's ParseAnyReference). */
export type AnyReference = { kind: 'id'; id: string } | { kind: 'named'; ref: ImageReference };

/** A 64-hex string or `sha256:<64 hex>` is an image ID; anything else must parse as a reference. */
export function parseAnyReference(text: string): AnyReference {
  if (IDENTIFIER_RE.test(text)) return { kind: 'id', id: `sha256:${text}` };
  if (IMAGE_ID_RE.test(text)) return { kind: 'id', id: text };
  return { kind: 'named', ref: parseReference(text) };
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/**
 * Parses `repo` and `tag` as the tag and import endpoints receive them (`repo` may carry its own tag)
 * into a tagged reference, with Docker's refusals.
 */
export function parseTagTarget(repo: string, tag: string): ImageReference {
  let ref = parseReference(repo);
  if (ref.digest) throw new InvalidArgumentError('cannot import digest reference');
  if (tag) {
    if (!isValidTag(tag)) throw new InvalidArgumentError('invalid tag format');
    ref = { ...ref, tag };
  }
  ref = withDefaultTag(ref);
  if (ref.domain === DEFAULT_DOMAIN && ref.path === 'library/sha256') {
    throw new InvalidArgumentError('refusing to create an ambiguous tag using digest algorithm as name');
  }
  return ref;
}
