/**
 * A small certificate authority for mutual TLS between berthd and its clients, made with openssl
 * (Debian's; no ASN.1 of our own): a CA, server certificates with the names and addresses clients
 * dial (subjectAltName), client certificates whose subject CN is the identity berthd's roles name
 * (`cn:alice`). Keys are ECDSA P-256, written 0600.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CliError } from './errors.js';

const execFileAsync = promisify(execFile);

/** Ten years for the CA, 825 days for the certificates it signs (the most clients such as browsers accept). */
const CA_DAYS = 3650;
const CERT_DAYS = 825;

export interface CaFiles {
  cert: string;
  key: string;
}

export interface KeyPairFiles {
  cert: string;
  key: string;
}

/** A subject's CN: printable, no slashes or equals (they would change the subject openssl parses). */
export function checkCommonName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/.test(name)) {
    throw new CliError(`invalid certificate name "${name}": use letters, digits, space, ".", "_", "@" or "-" (at most 64)`);
  }
  return name;
}

/** subjectAltName for a server: DNS names and IP addresses, each once. */
export function subjectAltNames(hostnames: string[], ips: string[]): string {
  for (const ip of ips) if (!isIP(ip)) throw new CliError(`invalid IP address "${ip}" for --ip`);
  for (const h of hostnames) if (!/^[A-Za-z0-9*]([A-Za-z0-9.*-]{0,252})$/.test(h)) throw new CliError(`invalid host name "${h}" for --hostname`);
  return [...new Set(hostnames.map((h) => `DNS:${h}`)), ...new Set(ips.map((ip) => `IP:${ip}`))].join(',');
}

function config(altNames: string): string {
  return [
    '[req]', 'distinguished_name = dn', 'prompt = no', '[dn]',
    '[ca_ext]', 'basicConstraints = critical,CA:TRUE,pathlen:0', 'keyUsage = critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier = hash',
    '[server_ext]', 'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage = serverAuth', 'authorityKeyIdentifier = keyid', ...(altNames ? [`subjectAltName = ${altNames}`] : []),
    '[client_ext]', 'basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature',
    'extendedKeyUsage = clientAuth', 'authorityKeyIdentifier = keyid', '',
  ].join('\n');
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new CliError('openssl is not installed (apt-get install openssl)');
    throw new CliError(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc'];

/** Runs `step` with a scratch directory holding the openssl config, removed afterwards. */
async function inScratch<T>(altNames: string, step: (dir: string, cnf: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-tls-'));
  try {
    const cnf = join(dir, 'openssl.cnf');
    await writeFile(cnf, config(altNames), { mode: 0o600 });
    return await step(dir, cnf);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Makes a self-signed CA into `out` (cert and key paths, which must be free). */
export async function makeCa(out: CaFiles, name: string): Promise<void> {
  await inScratch('', async (_dir, cnf) => {
    await openssl(['req', '-x509', '-new', ...EC_KEY, '-keyout', out.key, '-out', out.cert, '-days', String(CA_DAYS),
      '-config', cnf, '-extensions', 'ca_ext', '-subj', `/CN=${name}`]);
  });
  await chmod(out.key, 0o600);
  await chmod(out.cert, 0o644);
}

/** Issues a key and a certificate signed by `ca`: a server's (with its names) or a client's. */
export async function issueCertificate(
  ca: CaFiles, out: KeyPairFiles, commonName: string, usage: { kind: 'server'; altNames: string } | { kind: 'client' },
): Promise<void> {
  await inScratch(usage.kind === 'server' ? usage.altNames : '', async (dir, cnf) => {
    const csr = join(dir, 'request.csr');
    await openssl(['req', '-new', ...EC_KEY, '-keyout', out.key, '-out', csr, '-config', cnf, '-subj', `/CN=${commonName}`]);
    await chmod(out.key, 0o600);
    await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', String(CERT_DAYS), '-extfile', cnf, '-extensions', `${usage.kind}_ext`, '-out', out.cert]);
  });
  await chmod(out.cert, 0o644);
}
