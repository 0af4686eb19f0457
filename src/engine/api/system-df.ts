// GET /system/df (`docker system df [-v]`): what images, containers, volumes and the build cache use
// on disk, in the shapes of their list endpoints plus the usage fields dockerd adds.
import type { Engine } from '../services/engine.js';
import type { RequestContext, Route } from './router.js';
import { apiAtLeast, sendJson } from './http.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { imageSummary } from '../images/image-views.js';
import { containerSizes, summaryJson } from '../containers/container-views.js';
import { dirSize } from '../volumes/dir-size.js';

const TYPES = ['container', 'image', 'volume', 'build-cache'];

export function routes(_engine: Engine): Route[] {
  return [{ method: 'GET', path: '/system/df', handler: getSystemDf }];
}

async function getSystemDf(ctx: RequestContext): Promise<void> {
  const wanted = ctx.query.getAll('type');
  for (const t of wanted) if (!TYPES.includes(t)) throw new InvalidArgumentError(`unknown object type: ${t}`);
  const want = (t: string): boolean => wanted.length === 0 || wanted.includes(t);
  const e = ctx.engine;
  const out: Record<string, unknown> = {};
  if (want('image')) {
    out.LayersSize = e.images.layerStore.all().reduce((sum, l) => sum + l.size, 0);
    out.Images = imageUsage(e, !apiAtLeast(ctx, '1.44'));
  }
  if (want('container')) {
    const now = Date.now();
    const containers = [];
    for (const c of e.containers.all()) containers.push(summaryJson(e, c, now, await containerSizes(e, c)));
    out.Containers = containers;
  }
  if (want('volume')) {
    const volumes = [];
    for (const v of e.volumes.list()) {
      volumes.push({ ...v, UsageData: { Size: await dirSize(v.Mountpoint), RefCount: e.volumes.usedBy(v.Name).length } });
    }
    out.Volumes = volumes;
  }
  // Berth's build cache is its image layers (no BuildKit records), counted under Images.
  if (want('build-cache')) {
    out.BuildCache = [];
    out.BuilderSize = 0;
  }
  sendJson(ctx, 200, out);
}

/** Each image with the containers using it and the bytes of its layers that other images share. */
function imageUsage(e: Engine, withVirtualSize: boolean): Record<string, unknown>[] {
  const images = e.images.list();
  const users = new Map<string, number>();
  for (const image of images) for (const layer of new Set(image.layers)) users.set(layer, (users.get(layer) ?? 0) + 1);
  return images.map((image) => {
    const shared = [...new Set(image.layers)]
      .filter((l) => (users.get(l) ?? 0) > 1)
      .reduce((sum, l) => sum + (e.images.layerStore.get(l)?.size ?? 0), 0);
    const summary = imageSummary(image);
    return {
      ...summary, Containers: e.images.usage(image.id).length, SharedSize: shared,
      ...(withVirtualSize ? { VirtualSize: summary.Size } : {}),
    };
  });
}
