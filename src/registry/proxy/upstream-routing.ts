// Which upstream a repository of the cache comes from, and its name there: `docker.io/org/img` under
// the prefix docker.io is `org/img` upstream; `docker.io/busybox` is `library/busybox` when the
// upstream keeps official images under library/ (Docker Hub). With `remoteurl`, every repository that
// no prefix claims is that upstream's, under the same name.
import type { ProxyConfig, UpstreamConfig } from '../base/proxy-config.js';

export interface UpstreamRoute {
  upstream: UpstreamConfig;
  /** The repository's name at the upstream. */
  remoteName: string;
}

/** The upstream holding `name`, or undefined for an ordinary (pushed) repository. */
export function routeRepository(proxy: ProxyConfig | undefined, name: string): UpstreamRoute | undefined {
  if (!proxy) return undefined;
  for (const upstream of proxy.upstreams) {
    let rest: string;
    if (upstream.prefix === '') rest = name;
    else if (name.startsWith(`${upstream.prefix}/`)) rest = name.slice(upstream.prefix.length + 1);
    else continue;
    return { upstream, remoteName: upstream.library && !rest.includes('/') ? `library/${rest}` : rest };
  }
  return undefined;
}

/** The upstream whose namespace `name` is, even when `name` is the bare prefix (no repository under it). */
export function cachedNamespace(proxy: ProxyConfig | undefined, name: string): UpstreamConfig | undefined {
  return routeRepository(proxy, name)?.upstream ?? proxy?.upstreams.find((u) => u.prefix !== '' && u.prefix === name);
}

/** How the cache is named in messages: "the pull-through cache of https://ghcr.io (proxy prefix ghcr.io)". */
export function describeUpstream(upstream: UpstreamConfig): string {
  return upstream.prefix === ''
    ? `the pull-through cache of ${upstream.url} (proxy.remoteurl)`
    : `the pull-through cache of ${upstream.url} (proxy prefix ${upstream.prefix})`;
}
