import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError } from '../../lib/errors.js';
import { checkImagePlatform, formatPlatform, parsePlatformSpec } from './platform-match.js';
import { hostPlatform } from './image-config.js';

test('--platform is read as containerd reads it', () => {
  assert.equal(formatPlatform(parsePlatformSpec('linux/arm64')), 'linux/arm64');
  assert.equal(formatPlatform(parsePlatformSpec('Linux/x86_64')), 'linux/amd64');
  assert.equal(formatPlatform(parsePlatformSpec('linux/aarch64/v8')), 'linux/arm64');
  assert.equal(formatPlatform(parsePlatformSpec('linux/arm')), 'linux/arm/v7');
  assert.equal(formatPlatform(parsePlatformSpec('arm64')), 'linux/arm64');
  assert.equal(formatPlatform(parsePlatformSpec('linux')), `linux/${hostPlatform().architecture}`);
  for (const bad of ['foo', 'a/b/c/d', 'linux/']) {
    assert.throws(() => parsePlatformSpec(bad), { message: `"${bad}": unknown operating system or architecture: invalid argument` });
  }
});

test("an image of another platform is a 404 in dockerd's words; one the platform runs passes", () => {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  assert.throws(() => checkImagePlatform('busybox', amd64, parsePlatformSpec('linux/arm64')), (err: Error) => err instanceof NotFoundError
    && err.message === 'image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64');
  checkImagePlatform('busybox', amd64, parsePlatformSpec('linux/amd64'));
  // As platforms.Only: amd64 runs 386, arm64 runs 32-bit arm, arm/v7 runs arm/v6 but not arm/v8.
  checkImagePlatform('x', { os: 'linux', architecture: '386' }, parsePlatformSpec('linux/amd64'));
  checkImagePlatform('x', { os: 'linux', architecture: 'arm', variant: 'v7' }, parsePlatformSpec('linux/arm64'));
  checkImagePlatform('x', { os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatformSpec('linux/arm/v7'));
  assert.throws(() => checkImagePlatform('x', { os: 'linux', architecture: 'arm', variant: 'v8' }, parsePlatformSpec('linux/arm/v7')), NotFoundError);
  assert.throws(() => checkImagePlatform('x', amd64, parsePlatformSpec('windows/amd64')), /wanted windows\/amd64, actual: linux\/amd64/);
  // A config that names no platform is the host's.
  checkImagePlatform('x', { os: '', architecture: '' }, parsePlatformSpec(`linux/${hostPlatform().architecture}`));
});
