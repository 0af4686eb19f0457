import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientLog, parseLogLevel } from './client-log.js';

test('log levels are logrus\'s, in any case, warn for warning; another word is refused in docker\'s words', () => {
  assert.equal(parseLogLevel('DEBUG'), 'debug');
  assert.equal(parseLogLevel('warn'), 'warning');
  assert.equal(parseLogLevel('Trace'), 'trace');
  assert.throws(() => parseLogLevel('verbose'), { message: 'Unable to parse logging level: verbose', exitCode: 1 } as object);
});

test('-D makes the level debug and is debug mode; a line is logrus text, written only at or above the level', () => {
  assert.equal(ClientLog.fromFlags({ debug: true, logLevel: 'error' }).level, 'debug');
  assert.equal(ClientLog.fromFlags({ debug: true }).debugMode, true);
  assert.equal(ClientLog.fromFlags({ logLevel: 'debug' }).debugMode, false, 'only -D is debug mode, as in docker info');
  const lines: string[] = [];
  const log = new ClientLog('info', false, (l) => lines.push(l) > 0);
  log.debug('hidden');
  log.warn('say "this"');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" level=warning msg="say \\"this\\""\n$/);
});
