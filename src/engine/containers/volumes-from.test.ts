import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, NotFoundError } from '../../lib/errors.js';
import type { MountPoint } from './mount-point.js';
import { mountsFromContainers, parseVolumesFrom } from './volumes-from.js';

const SOURCE: MountPoint[] = [
  { Type: 'volume', Name: 'anon', Source: '/v/anon', Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '', named: false, copyData: true },
  { Type: 'bind', Source: '/host', Destination: '/bind', Mode: 'ro', RW: false, Propagation: 'rprivate', createSource: true },
  { Type: 'tmpfs', Source: '', Destination: '/run', Mode: '', RW: true, Propagation: '', data: 'size=1m' },
];
const lookup = (ref: string) => {
  if (ref !== 'src') throw new NotFoundError(`No such container: ${ref}`);
  return { mounts: SOURCE };
};

test("--volumes-from modes as dockerd's ParseVolumesFrom takes them", () => {
  assert.deepEqual(parseVolumesFrom('src'), { container: 'src', readOnly: false });
  assert.deepEqual(parseVolumesFrom('src:ro'), { container: 'src', readOnly: true });
  assert.deepEqual(parseVolumesFrom('src:rw,z'), { container: 'src', readOnly: false });
  assert.deepEqual(parseVolumesFrom('src:'), { container: 'src', readOnly: false });
  assert.throws(() => parseVolumesFrom(''), { message: 'volumes-from specification cannot be an empty string' });
  for (const mode of ['xx', 'ro:rw', 'ro,rw', 'rprivate', 'nocopy', 'RO']) {
    assert.throws(() => parseVolumesFrom(`src:${mode}`), { message: `invalid mode: ${mode}` });
  }
});

test('volumes and binds come at the same destinations with their mode; tmpfs stays behind', () => {
  const got = mountsFromContainers(['src'], lookup);
  assert.deepEqual(got.map((m) => [m.Type, m.Destination, m.Source, m.RW, m.Mode]), [
    ['volume', '/data', '/v/anon', true, ''], ['bind', '/bind', '/host', false, ''],
  ]);
  // The volume is shared, never filled again from the new container's image.
  assert.equal(got[0]!.copyData, false);
  assert.equal(got[0]!.named, false);
});

test(':ro makes every mount read-only; :rw cannot make a read-only one writable', () => {
  assert.deepEqual(mountsFromContainers(['src:ro'], lookup).map((m) => m.RW), [false, false]);
  assert.deepEqual(mountsFromContainers(['src:rw'], lookup).map((m) => m.RW), [true, false]);
});

test('an unknown container is a 400 with dockerd\'s words', () => {
  assert.throws(() => mountsFromContainers(['nosuch'], lookup), (err: Error) => err instanceof InvalidArgumentError && err.message === 'No such container: nosuch');
});
