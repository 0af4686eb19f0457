import type { Readable } from 'node:stream';
import type { ContainerServices } from './container-services.js';
import type { Container } from './container.js';
import { withContainerFs } from './archive-rootfs.js';
import { packPath } from '../layers/archive-pack.js';

/**
 * `docker export`: the container's root filesystem as one tar (image layers and the container's own,
 * merged; volumes are not part of it, as in Docker). `send` consumes the stream while the file system
 * is available (a stopped container's is mounted for the duration).
 */
export async function exportContainer(engine: ContainerServices, c: Container, send: (tar: Readable) => Promise<void>): Promise<void> {
  await withContainerFs(engine, c, (fs) => send(packPath(fs.merged, { name: '', shift: engine.images.ownerShift })));
  engine.containers.events.action(c, 'export');
}
