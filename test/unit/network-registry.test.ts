import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, NotFoundError } from '../../src/lib/errors.js';
import { NetworkRegistry } from '../../src/engine/network/network-registry.js';
import { ContainerRegistry } from '../../src/engine/network/container-registry.js';
import { container, network } from './network-fixtures.js';

describe('network registry', () => {
  const registry = new NetworkRegistry();
  registry.set(network({ id: 'abc111', name: 'front', predefined: false }));
  registry.set(network({ id: 'abc222', name: 'back' }));
  // A network whose name is another one's id prefix: names come before prefixes, as in Docker.
  registry.set(network({ id: 'fed333', name: 'abc', isDefault: true, predefined: true }));

  const cases: { lookup: string; found?: string; error?: { kind: abstract new (...args: never[]) => Error; message: string } }[] = [
    { lookup: 'abc111', found: 'front' },
    { lookup: 'back', found: 'back' },
    { lookup: 'abc', found: 'abc' },
    { lookup: 'abc2', found: 'back' },
    { lookup: 'fe', found: 'abc' },
    { lookup: 'ab', error: { kind: InvalidArgumentError, message: 'network ab is ambiguous (2 matches found based on ID prefix)' } },
    { lookup: 'nope', error: { kind: NotFoundError, message: 'network nope not found' } },
    { lookup: '', error: { kind: NotFoundError, message: 'network  not found' } },
  ];
  for (const c of cases) {
    it(`looks up "${c.lookup}"`, () => {
      if (c.found) {
        assert.equal(registry.get(c.lookup).name, c.found);
        return;
      }
      assert.throws(() => registry.get(c.lookup), (err: Error) => err instanceof c.error!.kind && err.message === c.error!.message);
    });
  }

  it('finds nothing without throwing, but an ambiguous prefix still throws', () => {
    assert.equal(registry.find('nope'), undefined);
    assert.throws(() => registry.find('ab'), InvalidArgumentError);
  });

  it('keeps the order networks were added in, and a replaced one keeps its place', () => {
    registry.set(network({ id: 'abc111', name: 'front', labels: { changed: 'yes' } }));
    assert.deepEqual(registry.list().map((n) => n.name), ['front', 'back', 'abc']);
    assert.equal(registry.byId('abc111')?.labels.changed, 'yes');
    assert.equal(registry.defaultBridge()?.id, 'fed333');
    assert.equal(registry.predefined('abc')?.id, 'fed333');
    assert.equal(registry.predefined('front'), undefined);
  });
});

describe('container registry', () => {
  const registry = new ContainerRegistry();
  registry.set(container({ id: 'c0ffee01', name: 'web', networks: { n1: { aliases: [] } } }));
  registry.set(container({ id: 'c0ffee02', name: 'db' }));

  const cases: [lookup: string, found: string | undefined][] = [
    ['c0ffee01', 'web'],
    ['/web', 'web'],
    ['db', 'db'],
    ['c0ffee02', 'db'],
    ['c0ffee0', undefined],
    ['x', undefined],
  ];
  for (const [lookup, found] of cases) {
    it(`looks up "${lookup}"`, () => {
      if (found) assert.equal(registry.get(lookup).name, found);
      // An ambiguous prefix names no container either: the same "No such container".
      else assert.throws(() => registry.get(lookup), (err: Error) => err instanceof NotFoundError && err.message === `No such container: ${lookup}`);
    });
  }

  it('knows the members of a network and whether any container runs', () => {
    assert.deepEqual(registry.members(network({ id: 'n1', name: 'one' })).map((c) => c.name), ['web']);
    assert.equal(registry.anyRunning(), false);
    registry.byId('c0ffee02')!.pid = 42;
    assert.equal(registry.anyRunning(), true);
  });
});
