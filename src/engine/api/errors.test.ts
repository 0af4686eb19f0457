import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as kinds from '../../lib/errors.js';
import * as registryErrors from '../distribution/errors.js';
import { LiveBodyLostError } from '../distribution/blob-download.js';
import { RunStepError } from '../build/build-step-run.js';
import { DockerfileParseError } from '../build/dockerfile-parser.js';
import { UnsafeTarEntryError } from '../../lib/tar-unpack.js';
import { statusForError, statusForKind } from './errors.js';

/** Every exported error class of the error modules, with one instance and the status dockerd answers. */
const expected: Record<string, [Error, number]> = {
  NotFoundError: [new kinds.NotFoundError('x'), 404],
  InvalidArgumentError: [new kinds.InvalidArgumentError('x'), 400],
  ConflictError: [new kinds.ConflictError('x'), 409],
  NotModifiedError: [new kinds.NotModifiedError('x'), 304],
  ForbiddenError: [new kinds.ForbiddenError('x'), 403],
  UnauthorizedError: [new kinds.UnauthorizedError('x'), 401],
  UnavailableError: [new kinds.UnavailableError('x'), 503],
  SystemError: [new kinds.SystemError('x'), 500],
  NoSpaceError: [new kinds.NoSpaceError('write', '/x'), 500],
  UnknownError: [new kinds.UnknownError('x'), 500],
  NotImplementedError: [new kinds.NotImplementedError('x'), 501],
  RegistryResponseError: [new registryErrors.RegistryResponseError(401, [], 'GET', 'http://r/v2/'), 500],
  RegistryAuthError: [new registryErrors.RegistryAuthError('login attempt to http://r/v2/ failed with status: 401 Unauthorized'), 500],
  RegistryUnauthorizedError: [new registryErrors.RegistryUnauthorizedError('unauthorized: incorrect username or password'), 401],
  RegistryUnreachableError: [new registryErrors.RegistryUnreachableError('Get "https://nowhere.invalid/v2/": ENOTFOUND'), 500],
  RegistryContentError: [new registryErrors.RegistryContentError('manifest verification failed'), 500],
};

test('every exported error class of lib/errors and distribution/errors has the status dockerd answers', () => {
  const classes = [...Object.entries(kinds), ...Object.entries(registryErrors)]
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error)
    .map(([name]) => name)
    .filter((name) => name !== 'BerthError');
  assert.deepEqual(classes.sort(), Object.keys(expected).sort(), 'a new error class needs its expected status here');
  for (const [name, [err, status]] of Object.entries(expected)) {
    assert.ok(err instanceof kinds.BerthError, `${name} is a BerthError`);
    assert.equal(err.name, name);
    assert.equal(statusForError(err), status, `${name} answers ${status}`);
  }
});

test('error classes elsewhere in the engine keep the status of their kind; plain errors answer 500', () => {
  assert.equal(statusForError(new RunStepError('The command returned a non-zero code: 1', 1)), 400);
  assert.equal(statusForError(new DockerfileParseError(3, 'unknown instruction: FOO')), 400);
  assert.equal(statusForError(new UnsafeTarEntryError('../etc/passwd', 'escapes the root')), 400);
  assert.equal(statusForError(new LiveBodyLostError('range ignored')), 500);
  assert.equal(statusForError(new Error('boom')), 500);
  assert.equal(statusForError('a string'), 500);
  assert.equal(statusForError(undefined), 500);
});

test('the status switch covers every error kind, and each class fixes one kind', () => {
  const statuses = new Set([200, 304, 400, 401, 403, 404, 409, 500, 501, 503]);
  for (const kind of kinds.ERROR_KINDS) assert.ok(statuses.has(statusForKind(kind)), `${kind} maps to a status`);
  assert.throws(() => statusForKind('NO_SUCH_KIND' as kinds.ErrorKind), /no HTTP status/);
  const seen = new Set(Object.values(expected).map(([err]) => (err as kinds.BerthError).code));
  assert.deepEqual([...seen].sort(), [...kinds.ERROR_KINDS].sort(), 'every kind has a class');
});

test('a token server refusal is worded and classed as dockerd passes it on', () => {
  const list = registryErrors.tokenRefusal(401, '{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}');
  assert.ok(list instanceof registryErrors.RegistryAuthError);
  assert.equal(list.message, 'unauthorized: invalid username or password');
  assert.equal(statusForError(list), 500);
  const hub = registryErrors.tokenRefusal(401, '{"details":"incorrect username or password"}\n');
  assert.ok(hub instanceof registryErrors.RegistryUnauthorizedError);
  assert.equal(hub.message, 'unauthorized: incorrect username or password');
  assert.equal(statusForError(hub), 401);
  assert.equal(registryErrors.tokenRefusal(401, '').message, 'unauthorized: authentication required');
  const denied = registryErrors.tokenRefusal(403, '{"details":"account locked"}');
  assert.equal(denied.message, 'denied: account locked');
  assert.equal(statusForError(denied), 500);
});
