import { rmSync } from 'node:fs';
import { FilesystemDriver } from '../../../src/registry/storage/filesystem.js';
import { tempDir } from '../helpers/registry.js';
import { driverSuite } from './driver-suite.js';

let root = '';
driverSuite('filesystem', {
  async create() { root = tempDir(); return new FilesystemDriver({ rootdirectory: root }); },
  async destroy() { rmSync(root, { recursive: true, force: true }); },
});
