import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoSpaceError, SystemError, isNoSpace, noSpaceOr } from '../../src/lib/errors.js';

function enospc(syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', syscall, path });
}

test('ENOSPC becomes Docker\'s path error, naming the file the system error names or else the one given', () => {
  const named = noSpaceOr(enospc('mkdir', '/data/volumes/v'), '/elsewhere');
  assert.ok(named instanceof NoSpaceError && named instanceof SystemError);
  assert.equal((named as Error).message, 'mkdir /data/volumes/v: no space left on device');
  assert.equal((noSpaceOr(enospc('write'), '/data/x.json') as Error).message, 'write /data/x.json: no space left on device');
  assert.equal((noSpaceOr(enospc('write')) as Error).message, 'write: no space left on device');
});

test('a wrapped ENOSPC is found through causes; other errors pass unchanged', () => {
  const wrapped = new SystemError('saving record', { cause: enospc('write') });
  assert.ok(isNoSpace(wrapped));
  assert.equal((noSpaceOr(wrapped, '/r.json') as Error).message, 'write /r.json: no space left on device');
  const already = new NoSpaceError('write', '/a');
  assert.equal(noSpaceOr(already, '/b'), already);
  const other = Object.assign(new Error('EACCES'), { code: 'EACCES' });
  assert.equal(noSpaceOr(other, '/x'), other);
  assert.equal(isNoSpace('ENOSPC'), false);
});
