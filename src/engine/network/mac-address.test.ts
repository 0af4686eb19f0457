import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMac } from './mac-address.js';

test("a MAC address in any of Go's 48-bit notations is written as ip link shows it", () => {
  assert.equal(parseMac('02:42:AC:11:00:02'), '02:42:ac:11:00:02');
  assert.equal(parseMac('02-42-ac-11-00-02'), '02:42:ac:11:00:02');
  assert.equal(parseMac('0242.ac11.0002'), '02:42:ac:11:00:02');
});

test("anything else is refused with dockerd's words; a multicast address too", () => {
  for (const bad of ['zz:42', '02:42:ac:11:00', '02:42-ac:11:00:02', '02:42:ac:11:00:02:03:04', '']) {
    assert.throws(() => parseMac(bad), { message: `invalid MAC address ${bad}` });
  }
  assert.throws(() => parseMac('01:00:5e:00:00:01'), /invalid MAC address 01:00:5e:00:00:01: a multicast address/);
});
