// Content digests as OCI names them: "<algorithm>:<hex>", with sha256 and sha512 supported.
import { createHash, type Hash } from 'node:crypto';

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** The digest as a string, "<algorithm>:<hex>". */
  digest: string;
}

/** Thrown when a string is not a well-formed digest of a supported algorithm. */
export class InvalidDigestError extends Error {
  constructor(readonly value: string, reason: string) {
    super(`invalid digest ${JSON.stringify(value.slice(0, 200))}: ${reason}`);
    this.name = 'InvalidDigestError';
  }
}

export function isSupportedAlgorithm(name: string): name is DigestAlgorithm {
  return name === 'sha256' || name === 'sha512';
}

/** Parses and validates a digest; throws InvalidDigestError. */
export function parseDigest(value: string): ParsedDigest {
  const m = DIGEST_RE.exec(value);
  if (!m) throw new InvalidDigestError(value, 'not of the form algorithm:hex');
  const [, algorithm, hex] = m;
  if (!isSupportedAlgorithm(algorithm)) throw new InvalidDigestError(value, `unsupported algorithm ${algorithm}`);
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    throw new InvalidDigestError(value, `${algorithm} needs ${HEX_LENGTH[algorithm]} lowercase hex characters`);
  }
  return { algorithm, hex, digest: value };
}

export function isDigest(value: string): boolean {
  try { parseDigest(value); return true; } catch { return false; }
}

/** A running digest over streamed bytes. */
export class Digester {
  private readonly hash: Hash;
  private bytes = 0;
  constructor(readonly algorithm: DigestAlgorithm = 'sha256', from?: Hash, size = 0) {
    this.hash = from ?? createHash(algorithm);
    this.bytes = size;
  }
  update(chunk: Uint8Array): void { this.hash.update(chunk); this.bytes += chunk.length; }
  get size(): number { return this.bytes; }
  /** The digest so far; the digester stays usable. */
  digest(): string { return `${this.algorithm}:${this.hash.copy().digest('hex')}`; }
  copy(): Digester { return new Digester(this.algorithm, this.hash.copy(), this.bytes); }
}

export function digestOf(data: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
