/**
 * `berth tls init` and `berth tls client`: mutual TLS for berthd in one command (Berth's own; docker
 * has none). init makes a CA, a server certificate and a client certificate and puts them where
 * berthd (/etc/berth/tls) and the docker CLI (~/.docker) look without flags, or all in one directory
 * with the docker CLI's names; client issues another client certificate from the same CA, whose CN is
 * the identity daemon.json's `authorization` gives a role (`"viewer": ["cn:alice"]`).
 */
import type { Command } from 'commander';
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { checkCommonName, issueCertificate, makeCa, subjectAltNames } from '../base/tls-certificates.js';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import { collect } from './flags.js';

/** Where berthd looks for its CA, certificate and key when --tlsverify names none (engine/api/tcp-policy.ts). */
export const DAEMON_TLS_DIR = '/etc/berth/tls';

interface InitOptions {
  hostname: string[];
  ip: string[];
  out?: string;
  name: string;
  force?: boolean;
}

interface ClientOptions {
  out?: string;
  caDir: string;
  force?: boolean;
}

/** Each file made, by its role, and where it goes. */
type Placement = Record<'caCert' | 'caKey' | 'serverCert' | 'serverKey' | 'clientCa' | 'clientCert' | 'clientKey', string>;

function placement(out: string | undefined): Placement {
  const daemon = out ?? DAEMON_TLS_DIR;
  const client = out ?? join(process.env.DOCKER_CERT_PATH || join(homedir(), '.docker'));
  return {
    caCert: join(daemon, 'ca.pem'), caKey: join(daemon, 'ca-key.pem'),
    serverCert: join(daemon, 'server-cert.pem'), serverKey: join(daemon, 'server-key.pem'),
    clientCa: join(client, 'ca.pem'), clientCert: join(client, 'cert.pem'), clientKey: join(client, 'key.pem'),
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Refuses before anything is written when a file is there already (unless --force). */
async function refuseExisting(paths: string[], force: boolean | undefined): Promise<void> {
  if (force) return;
  const taken = [];
  for (const p of new Set(paths)) if (await exists(p)) taken.push(p);
  if (taken.length) throw new CliError(`refusing to overwrite ${taken.join(', ')} (give --force to replace them)`);
}

/** Makes the files in a scratch directory, then moves each into place (atomically, keeping 0600 keys). */
async function produce(files: Record<string, { to: string; mode: number }>, make: (scratch: string) => Promise<void>): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'berth-tls-'));
  try {
    await make(scratch);
    for (const [name, { to, mode }] of Object.entries(files)) {
      await writeFileAtomic(to, await readFile(join(scratch, name)), { mode, dirMode: 0o755 });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export async function runTlsInit(cli: Cli, flags: InitOptions): Promise<void> {
  const name = checkCommonName(flags.name);
  const host = hostname();
  const dnsNames = [...flags.hostname, 'localhost', ...(host ? [host] : [])];
  const ips = [...flags.ip, '127.0.0.1', '::1'];
  const altNames = subjectAltNames(dnsNames, ips);
  const to = placement(flags.out);
  await refuseExisting(Object.values(to), flags.force);
  if (flags.out) await mkdir(flags.out, { recursive: true, mode: 0o700 });
  await produce({
    'ca.pem': { to: to.caCert, mode: 0o644 }, 'ca-key.pem': { to: to.caKey, mode: 0o600 },
    'server-cert.pem': { to: to.serverCert, mode: 0o644 }, 'server-key.pem': { to: to.serverKey, mode: 0o600 },
    'ca-copy.pem': { to: to.clientCa, mode: 0o644 }, 'cert.pem': { to: to.clientCert, mode: 0o644 }, 'key.pem': { to: to.clientKey, mode: 0o600 },
  }, async (dir) => {
    const ca = { cert: join(dir, 'ca.pem'), key: join(dir, 'ca-key.pem') };
    await makeCa(ca, `Berth CA ${host || 'berthd'}`);
    await issueCertificate(ca, { cert: join(dir, 'server-cert.pem'), key: join(dir, 'server-key.pem') }, dnsNames[0]!, { kind: 'server', altNames });
    await issueCertificate(ca, { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }, name, { kind: 'client' });
    await writeFileAtomic(join(dir, 'ca-copy.pem'), await readFile(ca.cert), { durable: false });
  });
  await cli.out([
    `CA:                 ${to.caCert} (its key ${to.caKey} signs every certificate: keep it safe)`,
    `server certificate: ${to.serverCert}, key ${to.serverKey}`,
    `                    for ${altNames.replace(/DNS:|IP:/g, '').split(',').join(', ')}`,
    `client certificate: ${to.clientCert}, key ${to.clientKey}, CA ${to.clientCa} (CN=${name})`,
    '',
    `Start the daemon:   berthd --tlsverify -H tcp://0.0.0.0:2376${flags.out ? ` --tlscacert ${to.caCert} --tlscert ${to.serverCert} --tlskey ${to.serverKey}` : ''}`,
    `Connect:            ${flags.out ? `DOCKER_CERT_PATH=${flags.out} ` : ''}docker --tlsverify -H tcp://${flags.hostname[0] ?? flags.ip[0] ?? host}:2376 ps`,
    `More clients:       berth tls client NAME${flags.out ? ` --ca-dir ${flags.out}` : ''} --out DIR`,
    '',
  ].join('\n'));
}

export async function runTlsClient(cli: Cli, rawName: string, flags: ClientOptions): Promise<void> {
  const name = checkCommonName(rawName);
  const out = flags.out ?? name;
  const ca = { cert: join(flags.caDir, 'ca.pem'), key: join(flags.caDir, 'ca-key.pem') };
  for (const p of [ca.cert, ca.key]) {
    if (!(await exists(p))) throw new CliError(`no CA at ${flags.caDir} (${p} is missing): run \`berth tls init\` first, or give --ca-dir`);
  }
  const to = { ca: join(out, 'ca.pem'), cert: join(out, 'cert.pem'), key: join(out, 'key.pem') };
  await refuseExisting(Object.values(to), flags.force);
  await mkdir(out, { recursive: true, mode: 0o700 });
  await produce({
    'cert.pem': { to: to.cert, mode: 0o644 }, 'key.pem': { to: to.key, mode: 0o600 }, 'ca.pem': { to: to.ca, mode: 0o644 },
  }, async (dir) => {
    await issueCertificate(ca, { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }, name, { kind: 'client' });
    await writeFileAtomic(join(dir, 'ca.pem'), await readFile(ca.cert), { durable: false });
  });
  await cli.out(`client certificate for CN=${name}: ${to.cert}, key ${to.key}, CA ${to.ca}\n`
    + `Use it with:        DOCKER_CERT_PATH=${out} docker --tlsverify -H tcp://HOST:2376 ...\n`
    + `Give it a role in daemon.json: "authorization": {"viewer": ["cn:${name}"]}\n`);
}

export function registerTlsCommands(program: Command, cli: Cli): void {
  const tls = program.command('tls').description('Make certificates for mutual TLS between berthd and its clients');
  tls.command('init')
    .description('Make a CA, a server certificate and a client certificate')
    .usage('[OPTIONS]')
    .option('--hostname <name>', 'a DNS name clients use to reach the daemon (repeatable; localhost and this host\'s name are always in)', collect, [])
    .option('--ip <address>', 'an IP address clients use to reach the daemon (repeatable; 127.0.0.1 and ::1 are always in)', collect, [])
    .option('--out <dir>', 'write every file to DIR with the docker CLI\'s names instead of /etc/berth/tls and ~/.docker')
    .option('--name <cn>', 'the client certificate\'s subject CN', 'admin')
    .option('-f, --force', 'replace files that exist')
    .action((flags: InitOptions) => runTlsInit(cli, flags));
  tls.command('client')
    .description('Issue a client certificate (subject CN = NAME) from the CA of `berth tls init`')
    .usage('[OPTIONS] NAME')
    .argument('<name>')
    .option('--out <dir>', 'where to write ca.pem, cert.pem and key.pem (default ./NAME)')
    .option('--ca-dir <dir>', 'where the CA (ca.pem, ca-key.pem) is', DAEMON_TLS_DIR)
    .option('-f, --force', 'replace files that exist')
    .action((name: string, flags: ClientOptions) => runTlsClient(cli, name, flags));
}
