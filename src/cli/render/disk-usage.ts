/**
 * `system df` as docker's DiskUsageContext prints GET /system/df: the summary rows (Type, TotalCount,
 * Active, Size, Reclaimable), the verbose sections (images, containers, volumes, build cache) and the
 * templates over either. Sizes in go-units: HumanSize (4 digits) for totals, 3 for image and
 * container sizes, as docker's formatter has them.
 */
import { familiarName, parseReference } from '../../lib/image-reference.js';
import { humanSize, timeAgo, truncateId } from '../base/units.js';
import { ContainerContext, ImageContext, type ApiContainer, type ApiImage } from './contexts.js';
import { VolumeContext, goTimeStringNano, type ApiVolume } from './objects.js';
import { CliError } from '../base/errors.js';
import { TemplateError } from './template/index.js';
import { compileTemplate, isTableFormat, renderList, runTemplate } from './formatter.js';

export interface ApiBuildCache {
  ID: string;
  Parent?: string;
  Parents?: string[] | null;
  Type?: string;
  Description?: string;
  InUse?: boolean;
  Shared?: boolean;
  Size?: number;
  CreatedAt?: string;
  LastUsedAt?: string | null;
  UsageCount?: number;
}

export interface ApiDiskUsage {
  LayersSize?: number;
  Images?: ApiImage[] | null;
  Containers?: ApiContainer[] | null;
  Volumes?: ApiVolume[] | null;
  BuildCache?: ApiBuildCache[] | null;
}

/** "51.2kB (4%)": the percentage only when there is a total, as an integer division like Go's. */
function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes, 4)} (${Math.trunc((bytes * 100) / total)}%)` : humanSize(bytes, 4);
}

/** One row of the summary table. */
export class DiskUsageRow {
  constructor(
    private readonly type: string,
    private readonly total: number,
    private readonly active: number,
    private readonly size: number,
    private readonly reclaim: string,
  ) {}
  Type(): string { return this.type; }
  TotalCount(): string { return String(this.total); }
  Active(): string { return String(this.active); }
  Size(): string { return humanSize(this.size, 4); }
  Reclaimable(): string { return this.reclaim; }
  toGoJSON(): Record<string, unknown> {
    return { Active: this.Active(), Reclaimable: this.reclaim, Size: this.Size(), TotalCount: this.TotalCount(), Type: this.type };
  }
}

/** What the build cache records count for: docker sums the sizes of those not shared. */
export function builderSize(du: ApiDiskUsage): number {
  return (du.BuildCache ?? []).filter((b) => !b.Shared).reduce((sum, b) => sum + (b.Size ?? 0), 0);
}

export function summaryRows(du: ApiDiskUsage): DiskUsageRow[] {
  const images = du.Images ?? [];
  const layers = du.LayersSize ?? 0;
  const usedByImages = images
    .filter((i) => (i.Containers ?? 0) !== 0 && i.SharedSize !== -1)
    .reduce((sum, i) => sum + i.Size - (i.SharedSize ?? 0), 0);

  const containers = du.Containers ?? [];
  const isActive = (c: ApiContainer): boolean => /running|paused|restarting/.test(c.State ?? '');
  const containerSize = containers.reduce((sum, c) => sum + (c.SizeRw ?? 0), 0);
  const idleSize = containers.filter((c) => !isActive(c)).reduce((sum, c) => sum + (c.SizeRw ?? 0), 0);

  const volumes = du.Volumes ?? [];
  const sized = volumes.filter((v) => v.UsageData && v.UsageData.Size !== -1);
  const volumeSize = sized.reduce((sum, v) => sum + v.UsageData!.Size, 0);
  const unusedSize = sized.filter((v) => v.UsageData!.RefCount === 0).reduce((sum, v) => sum + v.UsageData!.Size, 0);

  const cache = du.BuildCache ?? [];
  const cacheSize = builderSize(du);
  const cacheInUse = cache.filter((b) => b.InUse && !b.Shared).reduce((sum, b) => sum + (b.Size ?? 0), 0);

  return [
    new DiskUsageRow('Images', images.length, images.filter((i) => (i.Containers ?? 0) > 0).length, layers,
      reclaimable(layers - usedByImages, layers)),
    new DiskUsageRow('Containers', containers.length, containers.filter(isActive).length, containerSize,
      reclaimable(idleSize, containerSize)),
    new DiskUsageRow('Local Volumes', volumes.length, volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length,
      volumeSize, reclaimable(unusedSize, volumeSize)),
    new DiskUsageRow('Build Cache', cache.length, cache.filter((b) => b.InUse).length, cacheSize,
      humanSize(cacheSize - cacheInUse, 4)),
  ];
}

export const DF_HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
export const DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const DF_RAW = 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n';

export class BuildCacheContext {
  constructor(private readonly b: ApiBuildCache, private readonly trunc: boolean, private readonly now = Date.now()) {}
  ID(): string {
    const id = this.trunc ? truncateId(this.b.ID) : this.b.ID;
    return this.b.InUse ? `${id}*` : id;
  }
  Parent(): string {
    const parent = this.b.Parents?.length ? this.b.Parents.join(', ') : this.b.Parent ?? '';
    return this.trunc ? truncateId(parent) : parent;
  }
  CacheType(): string { return this.b.Type ?? ''; }
  Description(): string { return this.b.Description ?? ''; }
  Size(): string { return humanSize(this.b.Size ?? 0); }
  CreatedAt(): string { return goTimeStringNano(this.b.CreatedAt); }
  CreatedSince(): string { return timeAgo(Date.parse(this.b.CreatedAt ?? '') / 1000, this.now); }
  LastUsedAt(): string { return this.b.LastUsedAt ? goTimeStringNano(this.b.LastUsedAt) : ''; }
  LastUsedSince(): string { return this.b.LastUsedAt ? timeAgo(Date.parse(this.b.LastUsedAt) / 1000, this.now) : ''; }
  UsageCount(): string { return String(this.b.UsageCount ?? 0); }
  InUse(): string { return String(Boolean(this.b.InUse)); }
  Shared(): string { return String(Boolean(this.b.Shared)); }
  toGoJSON(): Record<string, unknown> {
    return {
      CacheType: this.CacheType(), CreatedAt: this.CreatedAt(), CreatedSince: this.CreatedSince(), Description: this.Description(),
      ID: this.ID(), InUse: this.InUse(), LastUsedAt: this.LastUsedAt(), LastUsedSince: this.LastUsedSince(), Parent: this.Parent(),
      Shared: this.Shared(), Size: this.Size(), UsageCount: this.UsageCount(),
    };
  }
}

/** docker's buildCacheSort: least recently used first, never-used ones before them, stable. */
function sortBuildCache(cache: ApiBuildCache[]): ApiBuildCache[] {
  return cache.map((b, i) => ({ b, i, t: b.LastUsedAt ? Date.parse(b.LastUsedAt) : null })).sort((x, y) => {
    if (x.t === null && y.t === null) return x.i - y.i;
    if (x.t === null) return -1;
    if (y.t === null) return 1;
    return x.t - y.t || x.i - y.i;
  }).map((x) => x.b);
}

const isDangling = (i: ApiImage): boolean => {
  const tags = i.RepoTags ?? [];
  const digests = i.RepoDigests ?? [];
  return (tags.length === 0 && digests.length === 0)
    || (tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>');
};

/** The data verbose templates run over: `{{range .Images}}`, `{{json .}}`. */
export class DiskUsageDetail {
  readonly Images: ImageContext[] = [];
  readonly Containers: ContainerContext[];
  readonly Volumes: VolumeContext[];
  readonly BuildCache: BuildCacheContext[];

  constructor(du: ApiDiskUsage, trunc: boolean, now = Date.now()) {
    for (const image of du.Images ?? []) {
      // docker shows an image under its first name only, and leaves out one whose name it cannot parse
      let repo = '<none>';
      let tag = '<none>';
      if (image.RepoTags?.length && !isDangling(image)) {
        let ref;
        try {
          ref = parseReference(image.RepoTags[0]!);
        } catch {
          continue;
        }
        if (ref.tag) [repo, tag] = [familiarName(ref), ref.tag];
      }
      this.Images.push(new ImageContext(image, repo, tag, '', trunc, now));
    }
    // the virtual size is not shown here
    this.Containers = (du.Containers ?? []).map((c) => new ContainerContext({ ...c, SizeRootFs: 0 }, trunc, now));
    this.Volumes = (du.Volumes ?? []).map((v) => new VolumeContext(v));
    this.BuildCache = sortBuildCache(du.BuildCache ?? []).map((b) => new BuildCacheContext(b, trunc, now));
  }

  toRawJSON(): string {
    const json = compileTemplate('{{json .}}');
    const list = (items: unknown[]): string => `[${items.map((i) => runTemplate(json, i)).join(',')}]`;
    return `{"Images":${list(this.Images)},"Containers":${list(this.Containers)},"Volumes":${list(this.Volumes)},"BuildCache":${list(this.BuildCache)}}`;
  }
}

const VERBOSE_RAW = [
  '{{range .Images}}type: Image\nrepository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\n'
    + 'created_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n\n{{end -}}\n',
  '{{range .Containers}}type: Container\ncontainer_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\n'
    + 'created_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\n'
    + 'labels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\nsize: {{.Size}}\n\n{{end -}}\n',
  '{{range .Volumes}}type: Volume\nname: {{.Name}}\ndriver: {{.Driver}}\n\n{{end -}}\n',
  '{{range .BuildCache}}type: Build Cache\nbuild_cache_id: {{.ID}}\nparent_id: {{.Parent}}\nbuild_cache_type: {{.CacheType}}\n'
    + 'description: {{.Description}}\ncreated_at: {{.CreatedAt}}\ncreated_since: {{.CreatedSince}}\n'
    + 'last_used_at: {{.LastUsedAt}}\nlast_used_since: {{.LastUsedSince}}\nusage_count: {{.UsageCount}}\n'
    + 'in_use: {{.InUse}}\nshared: {{.Shared}}\n\n{{end -}}',
].join('');

const IMAGE_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const IMAGE_HEADER = {
  Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS',
};
const CONTAINER_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const CONTAINER_HEADER = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED',
  Status: 'STATUS', Names: 'NAMES',
};
const VOLUME_TABLE = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const VOLUME_HEADER = { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' };
const CACHE_TABLE = 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
const CACHE_HEADER = {
  ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE',
  Shared: 'SHARED',
};

/** `system df` without -v: one row per kind, in any of docker's formats. */
export function renderDiskUsage(du: ApiDiskUsage, format: string): string {
  const rows = summaryRows(du);
  if (format === 'raw') {
    const tmpl = compileTemplate(DF_RAW);
    return rows.map((r) => `${runTemplate(tmpl, r)}\n`).join('');
  }
  return renderList(format, DF_TABLE, rows, DF_HEADER);
}

/** `system df -v`: the four sections as tables, or one template run over all of them (no newline added). */
export function renderDiskUsageVerbose(du: ApiDiskUsage, format: string, now = Date.now()): string {
  const detail = new DiskUsageDetail(du, isTableFormat(format), now);
  if (format === 'table') {
    return `Images space usage:\n\n${renderList(IMAGE_TABLE, '', detail.Images, IMAGE_HEADER)}`
      + `\nContainers space usage:\n\n${renderList(CONTAINER_TABLE, '', detail.Containers, CONTAINER_HEADER)}`
      + `\nLocal Volumes space usage:\n\n${renderList(VOLUME_TABLE, '', detail.Volumes, VOLUME_HEADER)}`
      + `\nBuild cache usage: ${humanSize(builderSize(du), 4)}\n\n${renderList(CACHE_TABLE, '', detail.BuildCache, CACHE_HEADER)}`;
  }
  let source = format === 'raw' ? VERBOSE_RAW : format === 'json' ? '{{json .}}' : format;
  if (isTableFormat(source)) source = source.slice('table'.length);
  source = source.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const tmpl = compileTemplate(source);
  try {
    return tmpl.execute(detail);
  } catch (err) {
    // docker reports a failing verbose template without the "template parsing error" prefix
    if (err instanceof TemplateError) throw new CliError(err.message);
    throw err;
  }
}
