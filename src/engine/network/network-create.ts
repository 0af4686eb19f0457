import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import { formatIp, formatSubnet, overlaps, parseCidr, parseIp, type Subnet } from './cidr.js';
import { newId } from './network-ids.js';
import type { NetworkRecord } from './network-store.js';
import type { CreateNetworkOptions } from './network-types.js';

const PREDEFINED = ['bridge', 'host', 'none'];

/**
 * The record of a new user-defined network, from the body of POST /networks/create: checks it
 * against the networks there are (`existing`) with Docker's messages, in Docker's order, and takes
 * the subnet asked for or `pickFree()` when none was. Nothing is made on the host here.
 */
export async function newNetworkRecord(
  opts: CreateNetworkOptions, existing: NetworkRecord[], pickFree: () => Promise<Subnet>,
): Promise<NetworkRecord> {
  const name = opts.Name;
  // dockerd accepts any name but the empty one (spaces, slashes, colons, upper case...); it is only a
  // key here (records, bridges and rules go by ID).
  if (!name) throw new InvalidArgumentError('invalid name: ');
  if (PREDEFINED.includes(name)) throw new ForbiddenError(`operation is not permitted on predefined ${name} network`);
  if (existing.some((n) => n.name === name)) throw new ConflictError(`network with name ${name} already exists`);
  const driver = opts.Driver || 'bridge';
  if (driver !== 'bridge') throw new NotFoundError(`could not find plugin ${driver} in v1 plugin registry: plugin not found`);
  if (opts.EnableIPv6) throw new InvalidArgumentError('IPv6 networks are not supported by Berth');
  const configs = opts.IPAM?.Config ?? [];
  if (configs.length > 1) throw new InvalidArgumentError('only one IPv4 subnet per network is supported');
  const id = newId();
  const wanted = configs[0];
  const { subnet, gateway } = wanted?.Subnet
    ? chosenSubnet(wanted.Subnet, wanted.Gateway, existing)
    : await pickedSubnet(wanted?.Gateway, pickFree);
  const options = { ...(opts.Options ?? {}) };
  const bridge = options['com.docker.network.bridge.name'] || `br-${id.slice(0, 12)}`;
  if (bridge.length > 15) throw new InvalidArgumentError(`bridge name ${bridge} is longer than 15 characters`);
  if (existing.some((n) => n.bridge === bridge)) throw new ConflictError(`bridge ${bridge} is already used by another network`);
  return {
    id, name, created: new Date().toISOString(), driver: 'bridge', internal: Boolean(opts.Internal),
    attachable: Boolean(opts.Attachable), labels: { ...(opts.Labels ?? {}) }, options, bridge, subnet, gateway,
    userSubnet: Boolean(wanted?.Subnet), predefined: false,
  };
}

/** `--subnet` (and `--gateway`): a network address that overlaps no other network, a gateway inside it. */
function chosenSubnet(wantedSubnet: string, wantedGateway: string | undefined, existing: NetworkRecord[]): { subnet: string; gateway: string } {
  const s = parseCidr(wantedSubnet);
  if (s.ip !== s.base) throw new InvalidArgumentError(`invalid subnet ${wantedSubnet} : it should be ${formatSubnet(s)}`);
  if (s.prefix > 30) throw new InvalidArgumentError(`invalid subnet ${wantedSubnet}: too small`);
  const clash = existing.find((n) => n.subnet && overlaps(parseCidr(n.subnet), s));
  if (clash) throw new ForbiddenError('invalid pool request: Pool overlaps with other one on this address space');
  if (!wantedGateway) return { subnet: formatSubnet(s), gateway: formatIp(s.base + 1) };
  const g = parseIp(wantedGateway);
  if (((g & (0xffffffff << (32 - s.prefix))) >>> 0) !== s.base) {
    throw new InvalidArgumentError(`no matching subnet for gateway ${wantedGateway}`);
  }
  return { subnet: formatSubnet(s), gateway: wantedGateway };
}

/** No `--subnet`: the next free one of the pools, its first address the gateway. */
async function pickedSubnet(wantedGateway: string | undefined, pickFree: () => Promise<Subnet>): Promise<{ subnet: string; gateway: string }> {
  if (wantedGateway) throw new InvalidArgumentError('a gateway needs a subnet (--subnet)');
  const picked = await pickFree();
  return { subnet: formatSubnet(picked), gateway: formatIp(picked.base + 1) };
}
