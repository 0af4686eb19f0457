import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OciRuntimes, parseAddRuntime } from '../../src/engine/runtime/oci-runtimes.js';

test('--add-runtime takes name=path, in dockerd\'s words when it is not', () => {
  assert.deepEqual(parseAddRuntime('crun=/usr/bin/crun'), ['crun', { path: '/usr/bin/crun' }]);
  assert.throws(() => parseAddRuntime('crun'), /^InvalidArgumentError: invalid runtime argument: crun$|invalid runtime argument: crun/);
});

test('runc is reserved; the default must name a runtime; an unknown name is refused at create', () => {
  assert.throws(() => new OciRuntimes({ runc: { path: '/bin/true' } }), /runtime name 'runc' is reserved/);
  assert.throws(() => new OciRuntimes({}, 'nosuch'), /specified default runtime 'nosuch' does not exist/);
  assert.throws(() => new OciRuntimes({ x: { path: '' } }), /runtime x: a path is required/);
  const runtimes = new OciRuntimes({ other: { path: '/bin/true', runtimeArgs: ['--a'] } }, 'other');
  assert.equal(runtimes.checkName(''), 'other');
  assert.equal(runtimes.checkName('runc'), 'runc');
  assert.throws(() => runtimes.checkName('nosuch'), /unknown or invalid runtime name: nosuch/);
  assert.deepEqual(runtimes.info(), { runc: { path: 'runc' }, other: { path: '/bin/true', runtimeArgs: ['--a'] } });
  assert.deepEqual(runtimes.resolve('other'), { name: 'other', path: '/bin/true', args: ['--a'] });
});

test('a runtime whose binary is missing is refused when a container is run with it', () => {
  const runtimes = new OciRuntimes({ gone: { path: '/nonexistent/runtime' } });
  assert.equal(runtimes.checkName('gone'), 'gone');
  assert.throws(() => runtimes.resolve('gone'), /runtime binary \/nonexistent\/runtime is not an executable file/);
});
