import { ConflictError, NotFoundError } from '../../lib/errors.js';
import { parseLink } from '../network/links.js';
import type { Container } from './container.js';
import type { ContainerContext } from './container-roles.js';

/**
 * DELETE /containers/{parent}/{alias}?link=1 (`docker rm --link`): forgets the parent's legacy link
 * named alias, in its record and in its network; both containers stay. Errors worded as dockerd's.
 */
export async function removeContainerLink(
  ref: string, get: (ref: string) => Container, ctx: Pick<ContainerContext, 'store' | 'network'>,
): Promise<void> {
  const slash = ref.lastIndexOf('/');
  if (slash < 0) throw new ConflictError('Conflict, cannot remove the default link name of the container');
  const alias = ref.slice(slash + 1);
  let c: Container;
  try {
    c = get(ref.slice(0, slash).replace(/^\//, ''));
  } catch {
    throw new NotFoundError(`No such container: ${ref}`);
  }
  await c.locked(async () => {
    const links = c.record.hostConfig.Links ?? [];
    const kept = links.filter((l) => parseLink(l).alias !== alias);
    if (kept.length === links.length) throw new NotFoundError(`No such container: ${ref}`);
    c.record.hostConfig.Links = kept.length ? kept : null;
    await ctx.store.save(c.record);
    await ctx.network.removeLink(c.id, alias);
  });
}
