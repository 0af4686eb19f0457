import { InvalidArgumentError } from '../../lib/errors.js';
import { parseMac } from '../network/mac-address.js';
import type { EndpointConfig } from '../network/network-manager.js';
import type { ContainerConfig, HostConfig } from './container-types.js';

/** What a create body asks of networking, once the container-wide fields have been moved where they act. */
export interface NetworkRequest {
  /** HostConfig.NetworkMode, or `none` for Config.NetworkDisabled. */
  networkMode: string;
  /** NetworkingConfig.EndpointsConfig keyed by network (`default` is `bridge`). */
  endpoints: Record<string, EndpointConfig>;
  /** Config.NetworkDisabled: loopback alone, no ports, links or endpoints (dockerd skips all networking). */
  disabled: boolean;
  warnings: string[];
}

const MAC_CONFLICT = 'conflicting options: mac-address and the network mode';
const MAC_DEPRECATED = 'The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead.';

/**
 * The network part of a create, as dockerd's API layer shapes it: Config.MacAddress (deprecated since
 * API 1.44) moves to the endpoint of the network mode (a MacAddress on an endpoint counts only from
 * 1.44 on), every MAC address is checked with dockerd's words, and a MAC address with a network mode
 * that makes no interface of its own (host, none, container:) is refused. Mutates `config`: from 1.44
 * on, the container-wide field is cleared as dockerd clears it.
 */
export function networkRequest(
  config: ContainerConfig, hostConfig: HostConfig, rawEndpoints: Record<string, unknown> | null | undefined, apiVersion: string,
): NetworkRequest {
  const endpoints: Record<string, EndpointConfig> = {};
  for (const [key, value] of Object.entries(rawEndpoints ?? {})) {
    endpoints[key === 'default' ? 'bridge' : key] = { ...((value ?? {}) as EndpointConfig) };
  }
  if (config.NetworkDisabled) return { networkMode: 'none', endpoints: {}, disabled: true, warnings: [] };
  const mode = !hostConfig.NetworkMode || hostConfig.NetworkMode === 'default' ? 'bridge' : hostConfig.NetworkMode;
  const ownInterface = mode !== 'host' && mode !== 'none' && !mode.startsWith('container:');
  const warnings: string[] = [];
  const containerWide = config.MacAddress ?? '';
  if (!apiAtLeast(apiVersion, '1.44')) {
    // Older clients had no MAC address per endpoint: dockerd ignores one.
    for (const ep of Object.values(endpoints)) delete ep.MacAddress;
    if (containerWide) {
      if (!ownInterface) throw new InvalidArgumentError(MAC_CONFLICT);
      endpointOfMode(endpoints, mode, apiVersion).MacAddress = containerWide;
    }
  } else if (containerWide) {
    if (!ownInterface) throw new InvalidArgumentError(MAC_CONFLICT);
    const ep = endpointOfMode(endpoints, mode, apiVersion, 'unable to migrate container-wide MAC address to a specific network: ');
    if (!ep.MacAddress) ep.MacAddress = containerWide;
    else if (ep.MacAddress !== containerWide) {
      throw new InvalidArgumentError('the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty');
    }
    warnings.push(MAC_DEPRECATED);
    delete config.MacAddress;
  }
  for (const [network, ep] of Object.entries(endpoints)) {
    if (!ep.MacAddress) continue;
    if (!ownInterface) throw new InvalidArgumentError(MAC_CONFLICT);
    try {
      parseMac(ep.MacAddress);
    } catch (err) {
      throw new InvalidArgumentError(`invalid config for network ${network}: ${(err as Error).message}`);
    }
  }
  return { networkMode: hostConfig.NetworkMode, endpoints, disabled: false, warnings };
}

/** The endpoint of the network mode, made when there is none (dockerd's epConfigForNetMode). */
function endpointOfMode(endpoints: Record<string, EndpointConfig>, mode: string, apiVersion: string, prefix = ''): EndpointConfig {
  const entries = Object.values(endpoints);
  if (entries.length === 0) return (endpoints[mode] = {});
  if (!apiAtLeast(apiVersion, '1.44')) return entries[0]!;
  const ep = endpoints[mode];
  if (!ep) throw new InvalidArgumentError(`${prefix}HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks`);
  return ep;
}

/** `version` (major.minor) is `wanted` or newer. */
export function apiAtLeast(version: string, wanted: string): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  const [c = 0, d = 0] = wanted.split('.').map(Number);
  return a !== c ? a > c : b >= d;
}
