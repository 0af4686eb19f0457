import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiarString, parseAnyReference, parseReference, parseTagTarget, referenceString, withDefaultTag,
} from '../../src/lib/image-reference.js';

const full = (text: string): string => referenceString(withDefaultTag(parseReference(text)));

test('short names get docker.io, library/ and the latest tag', () => {
  assert.equal(full('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(full('team/app'), 'docker.io/team/app:latest');
  assert.equal(full('index.docker.io/busybox:1'), 'docker.io/library/busybox:1');
  assert.equal(full('docker.io/library/busybox:1.36'), 'docker.io/library/busybox:1.36');
});

test('a first component with a dot, a port or localhost is a registry', () => {
  assert.equal(full('localhost:5000/team/app:1.0'), 'localhost:5000/team/app:1.0');
  assert.equal(full('localhost/app'), 'localhost/app:latest');
  assert.equal(full('registry.example.com/app'), 'registry.example.com/app:latest');
  assert.equal(full('[::1]:5000/app'), '[::1]:5000/app:latest');
  const ref = parseReference('localhost:5000/team/app:1.0');
  assert.deepEqual(ref, { domain: 'localhost:5000', path: 'team/app', tag: '1.0' });
});

test('digests are kept and no default tag is added to them', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.equal(full(`busybox@${digest}`), `docker.io/library/busybox@${digest}`);
  assert.equal(full(`busybox:1@${digest}`), `docker.io/library/busybox:1@${digest}`);
  assert.throws(() => parseReference(`busybox@sha256:${'a'.repeat(63)}`), /invalid checksum digest length/);
  assert.throws(() => parseReference(`busybox@md5:${'a'.repeat(32)}`), /unsupported digest algorithm/);
});

test('familiar strings drop docker.io and library/', () => {
  assert.equal(familiarString(withDefaultTag(parseReference('busybox'))), 'busybox:latest');
  assert.equal(familiarString(parseReference('docker.io/team/app:1')), 'team/app:1');
  assert.equal(familiarString(parseReference('docker.io/library/a/b:1')), 'library/a/b:1');
  assert.equal(familiarString(parseReference('localhost:5000/app:1')), 'localhost:5000/app:1');
});

test('invalid references get Docker\'s messages', () => {
  assert.throws(() => parseReference('Busybox'), { message: 'invalid reference format: repository name (library/Busybox) must be lowercase' });
  assert.throws(() => parseReference('team/App:1'), { message: 'invalid reference format: repository name (team/App) must be lowercase' });
  assert.throws(() => parseReference('busybox:la:x'), { message: 'invalid reference format' });
  assert.throws(() => parseReference('busybox:-x'), { message: 'invalid reference format' });
  assert.throws(() => parseReference('a//b'), { message: 'invalid reference format' });
  assert.throws(() => parseReference(''), { message: 'invalid reference format: repository name must have at least one component' });
  assert.throws(() => parseReference('a'.repeat(64)), { message: `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings` });
  assert.throws(() => parseReference(`${'a/'.repeat(130)}b`), /must not be more than 255 characters/);
});

test('IDs and names are told apart like Docker\'s ParseAnyReference', () => {
  const hex = 'b'.repeat(64);
  assert.deepEqual(parseAnyReference(hex), { kind: 'id', id: `sha256:${hex}` });
  assert.deepEqual(parseAnyReference(`sha256:${hex}`), { kind: 'id', id: `sha256:${hex}` });
  assert.equal(parseAnyReference('abc123').kind, 'named');
});

test('tag targets refuse digests, bad tags and the name sha256', () => {
  assert.equal(referenceString(parseTagTarget('app', '')), 'docker.io/library/app:latest');
  assert.equal(referenceString(parseTagTarget('app:1', '')), 'docker.io/library/app:1');
  assert.equal(referenceString(parseTagTarget('app', '2')), 'docker.io/library/app:2');
  assert.throws(() => parseTagTarget(`app@sha256:${'c'.repeat(64)}`, ''), { message: 'cannot import digest reference' });
  assert.throws(() => parseTagTarget('app', '-bad'), { message: 'invalid tag format' });
  assert.throws(() => parseTagTarget('sha256', 'x'), { message: 'refusing to create an ambiguous tag using digest algorithm as name' });
});
