import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLogsReadable, logAttributes, shownLogConfig, validateLogConfig } from './log-drivers.js';

test('the default driver is json-file; the drivers berthd offers keep the options they honour', () => {
  assert.deepEqual(validateLogConfig(undefined), { Type: 'json-file', Config: {} });
  assert.deepEqual(validateLogConfig({ Type: '', Config: { labels: 'a' } }), { Type: 'json-file', Config: { labels: 'a' } });
  for (const Type of ['local', 'journald', 'none']) assert.equal(validateLogConfig({ Type }).Type, Type);
});

test('unknown drivers and options are refused with dockerd\'s words; known but not honoured ones name themselves', () => {
  assert.throws(() => validateLogConfig({ Type: 'gelf' }), { message: 'error looking up logging plugin gelf: plugin "gelf" not found' });
  assert.throws(() => validateLogConfig({ Type: 'json-file', Config: { foo: '1' } }), { message: "unknown log opt 'foo' for json-file log driver" });
  assert.throws(() => validateLogConfig({ Type: 'none', Config: { 'max-size': '1k' } }), { message: 'invalid logging opts for driver none' });
  assert.deepEqual(validateLogConfig({ Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '3', compress: 'false' } }).Config, { 'max-size': '1k', 'max-file': '3', compress: 'false' });
  assert.throws(() => validateLogConfig({ Type: 'local', Config: { compress: 'true' } }), /log opt 'compress' of the local log driver is not supported by berthd yet/);
  assert.throws(() => validateLogConfig({ Type: 'json-file', Config: { tag: 'x' } }), /tag' of the json-file log driver is not supported by berthd yet/);
});

test('none refuses reading; older records named k8s-file show as json-file', () => {
  assert.throws(() => checkLogsReadable({ Type: 'none', Config: {} }), { message: 'configured logging driver does not support reading', code: 'NOT_IMPLEMENTED' });
  checkLogsReadable({ Type: 'k8s-file', Config: {} });
  assert.deepEqual(shownLogConfig({ Type: 'k8s-file', Config: {} }), { Type: 'json-file', Config: {} });
});

test('--details attributes: the labels and env the options name, sorted, as dockerd joins them', () => {
  const config = { Type: 'json-file', Config: { labels: 'a,zz', env: 'E', 'env-regex': '^X' } };
  assert.equal(logAttributes(config, { a: 'b', c: 'd' }, ['E=1', 'XY=2', 'HOME=/root', 'NOVALUE']), 'E=1,XY=2,a=b');
  assert.equal(logAttributes({ Type: 'json-file', Config: {} }, { a: 'b' }, null), '');
});
