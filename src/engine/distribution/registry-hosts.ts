// Where and how to reach a registry, decided the way dockerd decides it (registry/service_v2.go):
// HTTPS with the system CAs plus /etc/berth/certs.d/<host:port>/*.crt (client certs *.cert + *.key);
// registries that are "insecure" (listed in --insecure-registry by host:port or CIDR, or resolving to
// 127.0.0.0/8, as localhost does) get HTTPS without verification first and plain HTTP as fallback.
// docker.io goes to --registry-mirror entries first, then to registry-1.docker.io.
import { readdir, readFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type * as Undici from 'undici';
import { lazyModule } from '../../lib/lazy-module.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';

/** undici loads at the first registry request, not at daemon start. */
const undici = lazyModule<typeof Undici>('undici');

/** The default registry's name in references, and the host that actually serves it. */
export const DOCKER_IO = 'docker.io';
export const DOCKER_IO_HOST = 'registry-1.docker.io';
/** Docker's certs.d layout; BERTH_CERTS_D moves it (tests, rootless setups). */
export function certsDir(): string {
  return process.env.BERTH_CERTS_D ?? '/etc/berth/certs.d';
}

export interface RegistryEndpoint {
  /** Origin to send requests to, e.g. "https://localhost:5000". */
  origin: string;
  /** The registry's name in references ("docker.io", "localhost:5000"). */
  registry: string;
  mirror: boolean;
  /** TLS is not verified (an insecure registry reached over HTTPS). */
  insecureTls: boolean;
  dispatcher: Dispatcher;
}

export interface RegistryHostsOptions {
  insecureRegistries: readonly string[];
  registryMirrors: readonly string[];
}

/** The daemon's view of registries: which are insecure, which mirror docker.io, and a connection pool per origin. */
export class RegistryHosts {
  private readonly insecureNets = new BlockList();
  private readonly insecureHosts = new Set<string>();
  private readonly mirrors: URL[];
  private readonly agents = new Map<string, Promise<Dispatcher>>();

  /** `log` hears of failures that change no answer (a reply body that could not be drained). */
  constructor(options: RegistryHostsOptions, readonly log: WarningSink) {
    this.insecureNets.addSubnet('127.0.0.0', 8, 'ipv4');
    this.insecureNets.addAddress('::1', 'ipv6');
    for (const entry of options.insecureRegistries) this.addInsecure(entry);
    this.mirrors = options.registryMirrors.map(parseMirror);
  }

  private addInsecure(entry: string): void {
    const value = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    const slash = value.indexOf('/');
    if (slash > 0 && isIP(value.slice(0, slash))) {
      const family = isIP(value.slice(0, slash)) === 6 ? 'ipv6' : 'ipv4';
      const prefix = Number(value.slice(slash + 1));
      if (!Number.isInteger(prefix)) throw new InvalidArgumentError(`insecure registry ${entry} is not a valid CIDR`);
      this.insecureNets.addSubnet(value.slice(0, slash), prefix, family);
    } else {
      this.insecureHosts.add(value);
    }
  }

  /** Whether a registry (host or host:port) may be reached without verified TLS. */
  async isInsecure(registry: string): Promise<boolean> {
    if (this.insecureHosts.has(registry)) return true;
    const host = hostOf(registry);
    if (this.insecureHosts.has(host)) return true;
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else if (host === 'localhost') addresses = ['127.0.0.1'];
    else {
      try {
        addresses = (await lookup(host, { all: true })).map((a) => a.address);
      } catch {
        return false;
      }
    }
    return addresses.some((a) => this.insecureNets.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4'));
  }

  /**
   * Endpoints to try in order for a registry. `forPush` leaves mirrors out: they are read-only caches.
   */
  async endpoints(registry: string, forPush = false): Promise<RegistryEndpoint[]> {
    const out: RegistryEndpoint[] = [];
    if (registry === DOCKER_IO) {
      if (!forPush) {
        for (const mirror of this.mirrors) {
          const insecure = mirror.protocol === 'http:' || await this.isInsecure(mirror.host);
          out.push(await this.endpoint(mirror.origin, registry, true, insecure && mirror.protocol === 'https:'));
        }
      }
      out.push(await this.endpoint(`https://${DOCKER_IO_HOST}`, registry, false, false));
      return out;
    }
    const insecure = await this.isInsecure(registry);
    out.push(await this.endpoint(`https://${registry}`, registry, false, insecure));
    if (insecure) out.push(await this.endpoint(`http://${registry}`, registry, false, false));
    return out;
  }

  /** A dispatcher for some other origin the registry sends us to (a token realm), with that host's TLS rules. */
  async dispatcherFor(origin: string): Promise<Dispatcher> {
    const url = new URL(origin);
    const insecure = url.protocol === 'https:' && await this.isInsecure(url.host);
    return this.agent(url.origin, url.host, insecure);
  }

  private async endpoint(origin: string, registry: string, mirror: boolean, insecureTls: boolean): Promise<RegistryEndpoint> {
    const host = new URL(origin).host;
    return { origin, registry, mirror, insecureTls, dispatcher: await this.agent(origin, host, insecureTls) };
  }

  private agent(origin: string, host: string, insecureTls: boolean): Promise<Dispatcher> {
    const key = `${origin} ${insecureTls}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = makeAgent(origin, host, insecureTls);
      agent.catch(() => this.agents.delete(key));
      this.agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => bestEffort(this.log, 'closing a registry connection pool', async () => (await a).close())));
  }
}

async function makeAgent(origin: string, host: string, insecureTls: boolean): Promise<Dispatcher> {
  const { Agent } = undici();
  if (!origin.startsWith('https:')) return new Agent({ connections: 16 });
  const tls = await loadCertsDir(host);
  return new Agent({
    connections: 16,
    connect: {
      rejectUnauthorized: !insecureTls,
      ca: tls.ca.length ? [...rootCertificates, ...tls.ca] : undefined,
      cert: tls.cert,
      key: tls.key,
    },
  });
}

/** Docker's certs.d/<host:port>/: every *.crt is a CA; a *.cert with the *.key of the same name is a client certificate. */
export async function loadCertsDir(host: string): Promise<{ ca: string[]; cert?: string; key?: string }> {
  const dir = join(certsDir(), host.replace(/\//g, '_'));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { ca: [] };
  }
  const ca: string[] = [];
  let cert: string | undefined;
  let key: string | undefined;
  for (const name of names.sort()) {
    if (name.endsWith('.crt')) ca.push(await readFile(join(dir, name), 'utf8'));
    else if (name.endsWith('.cert') && !cert) {
      const keyName = name.slice(0, -'.cert'.length) + '.key';
      if (!names.includes(keyName)) throw new InvalidArgumentError(`missing key ${keyName} for client certificate ${name} in ${dir}`);
      cert = await readFile(join(dir, name), 'utf8');
      key = await readFile(join(dir, keyName), 'utf8');
    }
  }
  return { ca, cert, key };
}

function parseMirror(value: string): URL {
  let url: URL;
  try {
    url = new URL(value.includes('://') ? value : `https://${value}`);
  } catch {
    throw new InvalidArgumentError(`invalid mirror: ${value} is not a valid URI`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`invalid mirror: unsupported scheme "${url.protocol.slice(0, -1)}" in "${value}"`);
  if (url.pathname !== '/' && url.pathname !== '') throw new InvalidArgumentError(`invalid mirror: path, query, or fragment at end of the URI "${value}"`);
  return url;
}

/** The host part of "host", "host:port" or "[v6]:port". */
export function hostOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colon = registry.lastIndexOf(':');
  return colon > 0 && registry.indexOf(':') === colon ? registry.slice(0, colon) : registry;
}
