import type { PortBinding } from './network-store.js';
import type { MountSpec } from './etc-files.js';

/** What the container manager tells networking about a container when it is created. */
export interface ContainerNetworkSpec {
  id: string;
  /** Without the leading slash. */
  name: string;
  hostname?: string;
  domainname?: string;
  /** HostConfig.NetworkMode: '', 'default', 'bridge', 'none', 'host', 'container:<name|id>' or a network. */
  networkMode?: string;
  portBindings?: Record<string, PortBinding[] | null>;
  publishAllPorts?: boolean;
  /** Config.ExposedPorts keys (image's and the container's), like `80/tcp`. */
  exposedPorts?: string[];
  /** HostConfig.Links: `name:alias`. */
  links?: string[];
  env?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** HostConfig.ExtraHosts: `name:ip`. */
  extraHosts?: string[];
  /** NetworkingConfig.EndpointsConfig. */
  endpointsConfig?: Record<string, EndpointConfig | null>;
}

export interface EndpointConfig {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] | null } | null;
  Aliases?: string[] | null;
  Links?: string[] | null;
  /** `--mac-address`: the endpoint's interface gets it instead of the one made from its address. */
  MacAddress?: string;
  /** Kept and shown back; the bridge driver reads none of them, as dockerd's 20.10 bridge. */
  DriverOpts?: Record<string, string> | null;
}

/** What the runtime spec needs from networking, returned by `prepare`. */
export interface PreparedNetwork {
  network: 'new' | 'host' | { path: string };
  mounts: MountSpec[];
  hostname: string;
  /** Link variables to add to the container's environment. */
  env: string[];
  /** Where the /etc files are on the host (inspect's ResolvConfPath, HostnamePath, HostsPath). */
  etcPaths: { resolvConf: string; hostname: string; hosts: string };
}

export interface CreateNetworkOptions {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  CheckDuplicate?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null; Options?: Record<string, string> | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}
