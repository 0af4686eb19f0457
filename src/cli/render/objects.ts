/**
 * The `network ls` and `volume ls` placeholders, computed as docker's formatter computes them.
 */
import { humanSize, truncateId } from '../base/units.js';

export interface ApiNetwork {
  Id: string;
  Name: string;
  Created?: string;
  Driver?: string;
  Scope?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

export interface ApiVolume {
  Name: string;
  Driver?: string;
  Scope?: string;
  Mountpoint?: string;
  Labels?: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

function sortedLabels(labels: Record<string, string> | null | undefined): string {
  return Object.keys(labels ?? {}).sort().map((k) => `${k}=${labels![k]}`).join(',');
}

/** Go's time.Time.String() of an RFC 3339 timestamp, in local time, nanoseconds kept (trailing zeros dropped). */
export function goTimeStringNano(value: string | undefined): string {
  if (!value) return '0001-01-01 00:00:00 +0000 UTC';
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return value;
  const frac = /\.(\d+)/.exec(value)?.[1]?.replace(/0+$/, '') ?? '';
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  let zone = 'UTC';
  try {
    zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? zone;
  } catch {
    // no Intl data: keep UTC
  }
  if (offsetMin === 0 && (zone === 'GMT' || zone === 'UTC')) zone = 'UTC';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${frac ? `.${frac}` : ''} ${sign}${pad(Math.trunc(abs / 60))}${pad(abs % 60)} ${zone}`;
}

export class NetworkContext {
  constructor(private readonly n: ApiNetwork, private readonly trunc: boolean) {}
  ID(): string { return this.trunc ? truncateId(this.n.Id) : this.n.Id; }
  Name(): string { return this.n.Name; }
  Driver(): string { return this.n.Driver ?? ''; }
  Scope(): string { return this.n.Scope ?? ''; }
  IPv4(): string { return String(Boolean(this.n.EnableIPv4)); }
  IPv6(): string { return String(Boolean(this.n.EnableIPv6)); }
  Internal(): string { return String(Boolean(this.n.Internal)); }
  Labels(): string { return sortedLabels(this.n.Labels); }
  Label(name: unknown): string { return this.n.Labels?.[String(name)] ?? ''; }
  CreatedAt(): string { return goTimeStringNano(this.n.Created); }
  toGoJSON(): Record<string, unknown> {
    return {
      CreatedAt: this.CreatedAt(), Driver: this.Driver(), ID: this.ID(), IPv4: this.IPv4(), IPv6: this.IPv6(),
      Internal: this.Internal(), Labels: this.Labels(), Name: this.Name(), Scope: this.Scope(),
    };
  }
}

export const NETWORK_HEADER = {
  ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL',
  Labels: 'LABELS', Label: (name: unknown): string => String(name), CreatedAt: 'CREATED AT',
};
export const NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

export class VolumeContext {
  constructor(private readonly v: ApiVolume) {}
  Name(): string { return this.v.Name; }
  Driver(): string { return this.v.Driver ?? ''; }
  Scope(): string { return this.v.Scope ?? ''; }
  Mountpoint(): string { return this.v.Mountpoint ?? ''; }
  Labels(): string { return sortedLabels(this.v.Labels); }
  Label(name: unknown): string { return this.v.Labels?.[String(name)] ?? ''; }
  Links(): string { return this.v.UsageData ? String(this.v.UsageData.RefCount) : 'N/A'; }
  Size(): string { return this.v.UsageData && this.v.UsageData.Size >= 0 ? humanSize(this.v.UsageData.Size, 4) : 'N/A'; }
  Availability(): string { return 'N/A'; }
  Group(): string { return 'N/A'; }
  Status(): string { return 'N/A'; }
  toGoJSON(): Record<string, unknown> {
    return {
      Availability: 'N/A', Driver: this.Driver(), Group: 'N/A', Labels: this.Labels(), Links: this.Links(),
      Mountpoint: this.Mountpoint(), Name: this.Name(), Scope: this.Scope(), Size: this.Size(), Status: 'N/A',
    };
  }
}

export const VOLUME_HEADER = {
  Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS',
  Label: (name: unknown): string => String(name), Links: 'LINKS', Size: 'SIZE', Availability: 'AVAILABILITY', Group: 'GROUP', Status: 'STATUS',
};
export const VOLUME_TABLE = 'table {{.Driver}}\t{{.Name}}';
