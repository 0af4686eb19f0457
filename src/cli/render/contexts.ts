/**
 * The placeholders docker offers in `ps`, `images` and `history` formats, computed from API objects
 * the way docker's formatter computes them (truncation, quoting, human units).
 */
import { ellipsis, goTimeString, humanSize, timeAgo, truncateId } from '../base/units.js';

export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ApiContainer {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: ApiPort[] | null;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts?: { Name?: string; Source?: string; Driver?: string }[] | null;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
}

/** docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp", consecutive ports grouped as ranges. */
export function displayablePorts(ports: ApiPort[] | null | undefined): string {
  if (!ports || ports.length === 0) return '';
  const groups = new Map<string, number[]>();
  const order: string[] = [];
  const out: string[] = [];
  const sorted = [...ports].sort((a, b) => a.Type.localeCompare(b.Type) || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || a.PrivatePort - b.PrivatePort);
  for (const p of sorted) {
    if (p.IP !== undefined && p.IP !== '' && p.PublicPort) {
      const host = p.IP.includes(':') ? `[${p.IP}]` : p.IP;
      const key = `${host}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`;
      out.push(key);
      continue;
    }
    const key = p.Type;
    if (!groups.has(key)) { groups.set(key, []); order.push(key); }
    groups.get(key)!.push(p.PrivatePort);
  }
  for (const type of order) {
    const nums = [...new Set(groups.get(type)!)].sort((a, b) => a - b);
    let start = nums[0]!;
    let prev = start;
    const flush = (): void => { out.push(start === prev ? `${start}/${type}` : `${start}-${prev}/${type}`); };
    for (const n of nums.slice(1)) {
      if (n === prev + 1) { prev = n; continue; }
      flush();
      start = prev = n;
    }
    flush();
  }
  return out.join(', ');
}

function sortedLabels(labels: Record<string, string> | null | undefined): string {
  return Object.keys(labels ?? {}).sort().map((k) => `${k}=${labels![k]}`).join(',');
}

export class ContainerContext {
  constructor(private readonly c: ApiContainer, private readonly trunc: boolean, private readonly now = Date.now()) {}

  ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }
  Names(): string {
    let names = (this.c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (this.trunc) {
      const plain = names.find((n) => !n.includes('/'));
      if (plain !== undefined) names = [plain];
    }
    return names.join(',');
  }
  Image(): string {
    const image = this.c.Image ?? '';
    if (!image) return '<no image>';
    if (this.trunc) {
      if (this.c.ImageID && truncateId(this.c.ImageID) === truncateId(image)) return truncateId(image);
      return image.replace(/@sha256:[0-9a-f]+$/, '').replace(/^docker\.io\/(library\/)?/, '');
    }
    return image;
  }
  Command(): string {
    const cmd = this.c.Command ?? '';
    return JSON.stringify(this.trunc ? ellipsis(cmd, 20) : cmd);
  }
  CreatedAt(): string {
    return goTimeString(this.c.Created ?? 0);
  }
  RunningFor(): string {
    return timeAgo(this.c.Created ?? 0, this.now);
  }
  Ports(): string {
    return displayablePorts(this.c.Ports);
  }
  State(): string {
    return this.c.State ?? '';
  }
  Status(): string {
    return this.c.Status ?? '';
  }
  Size(): string {
    const srw = humanSize(this.c.SizeRw ?? 0);
    return (this.c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSize(this.c.SizeRootFs!)})` : srw;
  }
  Labels(): string {
    return sortedLabels(this.c.Labels);
  }
  Label(name: unknown): string {
    return this.c.Labels?.[String(name)] ?? '';
  }
  Mounts(): string {
    return (this.c.Mounts ?? []).map((m) => {
      const name = m.Name || m.Source || '';
      return this.trunc ? ellipsis(name, 15) : name;
    }).join(',');
  }
  LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }
  Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {}).sort().join(',');
  }
  Platform(): null {
    return null;
  }
  toGoJSON(): Record<string, unknown> {
    return {
      Command: this.Command(), CreatedAt: this.CreatedAt(), ID: this.ID(), Image: this.Image(), Labels: this.Labels(),
      LocalVolumes: this.LocalVolumes(), Mounts: this.Mounts(), Names: this.Names(), Networks: this.Networks(),
      Platform: null, Ports: this.Ports(), RunningFor: this.RunningFor(), Size: this.Size(), State: this.State(),
      Status: this.Status(),
    };
  }
}

export const CONTAINER_HEADER = {
  ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS',
  Label: (name: unknown): string => String(name), Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
};

export const PS_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export interface ApiImage {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  Containers?: number;
  Labels?: Record<string, string> | null;
}

/** One row of `images`: an image under one of its names. */
export class ImageContext {
  constructor(
    private readonly img: ApiImage,
    private readonly repo: string,
    private readonly tag: string,
    private readonly digest: string,
    private readonly trunc: boolean,
    private readonly now = Date.now(),
  ) {}
  ID(): string {
    return this.trunc ? truncateId(this.img.Id) : this.img.Id;
  }
  Repository(): string { return this.repo; }
  Tag(): string { return this.tag; }
  Digest(): string { return this.digest; }
  CreatedSince(): string { return timeAgo(this.img.Created, this.now); }
  CreatedAt(): string { return goTimeString(this.img.Created); }
  Size(): string { return humanSize(this.img.Size); }
  VirtualSize(): string { return humanSize(this.img.Size, 4); }
  Containers(): string {
    return this.img.Containers === undefined || this.img.Containers < 0 ? 'N/A' : String(this.img.Containers);
  }
  SharedSize(): string {
    return this.img.SharedSize === undefined || this.img.SharedSize < 0 ? 'N/A' : humanSize(this.img.SharedSize, 4);
  }
  UniqueSize(): string {
    return this.img.SharedSize === undefined || this.img.SharedSize < 0 ? 'N/A' : humanSize(this.img.Size - this.img.SharedSize, 4);
  }
  toGoJSON(): Record<string, unknown> {
    return {
      Containers: this.Containers(), CreatedAt: this.CreatedAt(), CreatedSince: this.CreatedSince(), Digest: this.Digest(),
      ID: this.ID(), Repository: this.repo, SharedSize: this.SharedSize(), Size: this.Size(), Tag: this.tag,
      UniqueSize: this.UniqueSize(), VirtualSize: this.VirtualSize(),
    };
  }
}

export const IMAGE_HEADER = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', VirtualSize: 'VIRTUAL SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE',
};

export const IMAGES_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
export const IMAGES_TABLE_DIGESTS = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

/** Splits "repo:tag" at the tag's colon (not a registry port's). */
export function splitRepoTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, ''];
}

/** The rows docker shows for images: one per tag, "<none>" where there is no name. */
export function imageRows(images: ApiImage[], trunc: boolean, showDigests: boolean, now = Date.now()): ImageContext[] {
  const rows: ImageContext[] = [];
  for (const img of images) {
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const digests = (img.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
    if (tags.length === 0) {
      if (digests.length > 0) {
        for (const d of digests) {
          const at = d.indexOf('@');
          rows.push(new ImageContext(img, d.slice(0, at), '<none>', d.slice(at + 1), trunc, now));
        }
      } else {
        rows.push(new ImageContext(img, '<none>', '<none>', '<none>', trunc, now));
      }
      continue;
    }
    for (const t of tags) {
      const [repo, tag] = splitRepoTag(t);
      // like docker, the digest column is only filled when digests were asked for
      const digest = showDigests ? digests.find((d) => d.startsWith(`${repo}@`)) : undefined;
      rows.push(new ImageContext(img, repo, tag || '<none>', digest ? digest.slice(digest.indexOf('@') + 1) : '<none>', trunc, now));
    }
  }
  return rows;
}

export interface ApiHistory {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

export class HistoryContext {
  constructor(private readonly h: ApiHistory, private readonly trunc: boolean, private readonly human: boolean, private readonly now = Date.now()) {}
  ID(): string {
    if (this.h.Id === '<missing>') return this.h.Id;
    return this.trunc ? truncateId(this.h.Id) : this.h.Id;
  }
  CreatedSince(): string {
    return this.human ? timeAgo(this.h.Created, this.now) : new Date(this.h.Created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  CreatedAt(): string {
    return new Date(this.h.Created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  CreatedBy(): string {
    const by = this.h.CreatedBy.replace(/\t/g, ' ');
    return this.trunc ? ellipsis(by, 45) : by;
  }
  Size(): string {
    return this.human ? humanSize(this.h.Size) : String(this.h.Size);
  }
  Comment(): string {
    return this.h.Comment;
  }
  toGoJSON(): Record<string, unknown> {
    return { Comment: this.Comment(), CreatedAt: this.CreatedAt(), CreatedBy: this.CreatedBy(), CreatedSince: this.CreatedSince(), ID: this.ID(), Size: this.Size() };
  }
}

export const HISTORY_HEADER = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };
export const HISTORY_TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
