import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import type dnsPacket from 'dns-packet';
import { lazyModule } from '../../lib/lazy-module.js';
import { errorMessage } from '../../lib/errors.js';

/** The DNS codec loads with the first user-defined network, not at daemon start. */
const packets = lazyModule<typeof dnsPacket>('dns-packet');

/**
 * The embedded DNS of user-defined networks: one UDP server on each such network's gateway address
 * (the nameserver in its containers' resolv.conf). The asking container is known by its source
 * address; names it may see resolve to addresses on a network it shares with the target. Other
 * names with a dot are forwarded to upstream resolvers; single-label names that match no container
 * get NXDOMAIN here, so container names never leak to the outside DNS.
 */

/** Answers `name` for the container at `sourceIp`: addresses, or undefined when the name is not ours. */
export type NameLookup = (sourceIp: string, name: string) => { addresses: string[]; upstream: string[] } | { addresses: undefined; upstream: string[] };

const TTL = 600;
/** Response codes, in the low four bits of the header flags. */
const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;
const FORWARD_TIMEOUT_MS = 5000;

/** Where a server reports what goes wrong with single packets: debug only, a container may send anything. */
export interface DebugSink {
  debug(message: string): void;
}

export class DnsServer {
  private socket?: Socket;

  constructor(readonly address: string, private readonly lookup: NameLookup, private readonly log: DebugSink) {}

  async start(): Promise<void> {
    const socket = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.address, port: 53, exclusive: true }, () => resolve());
    });
    socket.removeAllListeners('error');
    socket.on('error', (err) => this.log.debug(`embedded DNS on ${this.address}: ${errorMessage(err)}`));
    socket.on('message', (msg, rinfo) => void this.answer(msg, rinfo).catch((err) => {
      this.log.debug(`embedded DNS on ${this.address}: query from ${rinfo.address}: ${errorMessage(err)}`);
    }));
    this.socket = socket;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private async answer(msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    let query: dnsPacket.Packet;
    try {
      query = packets().decode(msg);
    } catch (err) {
      this.log.debug(`embedded DNS on ${this.address}: malformed query from ${rinfo.address}: ${errorMessage(err)}`);
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.replace(/\.$/, '').toLowerCase();
    const found = this.lookup(rinfo.address, name);
    if (found.addresses) {
      const answers = q.type === 'A' ? found.addresses.map((ip) => ({ type: 'A' as const, name: q.name, ttl: TTL, data: ip })) : [];
      this.reply(query, answers, 'NOERROR', rinfo);
      return;
    }
    if (!name.includes('.') || found.upstream.length === 0) {
      this.reply(query, [], 'NXDOMAIN', rinfo);
      return;
    }
    const response = await forward(msg, found.upstream[0]);
    if (response) this.socket?.send(response, rinfo.port, rinfo.address);
    else this.reply(query, [], 'SERVFAIL', rinfo);
  }

  private reply(query: dnsPacket.Packet, answers: dnsPacket.Answer[], rcode: keyof typeof RCODES, rinfo: RemoteInfo): void {
    const codec = packets();
    const flags = codec.AUTHORITATIVE_ANSWER | codec.RECURSION_DESIRED | codec.RECURSION_AVAILABLE | RCODES[rcode];
    const packet = codec.encode({ type: 'response', id: query.id, flags, questions: query.questions, answers });
    this.socket?.send(packet, rinfo.port, rinfo.address);
  }
}

/** Sends a query to an upstream resolver (port 53) and returns its answer, or undefined on timeout. */
function forward(msg: Buffer, server: string): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket(server.includes(':') ? 'udp6' : 'udp4');
    const done = (value: Buffer | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
    sock.on('error', () => done(undefined));
    sock.on('message', (answer) => done(answer));
    sock.send(msg, 53, server);
  });
}
