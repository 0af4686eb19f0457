import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges } from '../../src/engine/images/config-changes.js';

// Expected values are what Docker's daemon stored for the same `docker import -c` changes.
test('CMD and ENTRYPOINT take exec and shell forms', () => {
  assert.deepEqual(applyChanges({}, ['CMD ["sh"]']).Cmd, ['sh']);
  assert.deepEqual(applyChanges({}, ['CMD echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(applyChanges({}, ['CMD']).Cmd, ['/bin/sh', '-c']);
  assert.deepEqual(applyChanges({}, ['cmd ["a"]']).Cmd, ['a']);
  const c = applyChanges({ Cmd: ['old'] }, ['ENTRYPOINT ["a","b"]']);
  assert.deepEqual(c.Entrypoint, ['a', 'b']);
  assert.equal(c.Cmd, null, 'ENTRYPOINT resets an inherited CMD');
  assert.deepEqual(applyChanges({}, ['CMD ["x"]', 'ENTRYPOINT ["y"]']).Cmd, ['x']);
});

test('ENV and LABEL take key=value pairs with quotes, and the legacy form', () => {
  assert.deepEqual(applyChanges({}, ['ENV A=b']).Env, ['A=b']);
  assert.deepEqual(applyChanges({}, ['ENV A B C']).Env, ['A=B C']);
  // A variable set in an instruction is visible from the next instruction on, as in Docker.
  assert.deepEqual(applyChanges({}, ['ENV A="x y" B=\'$A\' C=$A D=${A:-no} E=${Z:-dflt}', 'ENV F=$A G=${A:+set}']).Env,
    ['A=x y', 'B=$A', 'C=', 'D=no', 'E=dflt', 'F=x y', 'G=set']);
  assert.deepEqual(applyChanges({ Env: ['A=1', 'B=2'] }, ['ENV A=3']).Env, ['B=2', 'A=3']);
  assert.deepEqual(applyChanges({}, ['ENV X=$HOME']).Env, ['X=']);
  assert.deepEqual(applyChanges({}, ['LABEL a=b c="d e"']).Labels, { a: 'b', c: 'd e' });
});

test('EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL, ONBUILD and HEALTHCHECK', () => {
  assert.deepEqual(applyChanges({}, ['EXPOSE 80/udp 90-91']).ExposedPorts, { '80/udp': {}, '90/tcp': {}, '91/tcp': {} });
  assert.deepEqual(applyChanges({}, ['VOLUME /data /x']).Volumes, { '/data': {}, '/x': {} });
  assert.deepEqual(applyChanges({}, ['VOLUME ["/v"]']).Volumes, { '/v': {} });
  assert.equal(applyChanges({}, ['WORKDIR rel']).WorkingDir, '/rel');
  assert.equal(applyChanges({}, ['WORKDIR /a', 'WORKDIR b']).WorkingDir, '/a/b');
  assert.equal(applyChanges({}, ['USER 1000:1000']).User, '1000:1000');
  assert.equal(applyChanges({}, ['STOPSIGNAL SIGQUIT']).StopSignal, 'SIGQUIT');
  assert.deepEqual(applyChanges({}, ['ONBUILD run x']).OnBuild, ['RUN x']);
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK CMD true']).Healthcheck, { Test: ['CMD-SHELL', 'true'] });
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK --interval=5s --retries=2 CMD ["x"]']).Healthcheck,
    { Interval: 5e9, Retries: 2, Test: ['CMD', 'x'] });
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK NONE']).Healthcheck, { Test: ['NONE'] });
});

test('refusals carry Docker\'s messages', () => {
  const refused: [string, string][] = [
    ['RUN echo', 'run is not a valid change command'],
    ['FROM x', 'from is not a valid change command'],
    ['EXPOSE abc', 'Invalid containerPort: abc'],
    ['ENV', 'ENV requires at least one argument'],
    ['ENV A', 'ENV must have two arguments'],
    ['STOPSIGNAL FOO', 'Invalid signal: FOO'],
    ['ONBUILD ONBUILD RUN x', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
    ['HEALTHCHECK --interval=x CMD true', 'time: invalid duration "x" for --interval'],
  ];
  for (const [change, message] of refused) assert.throws(() => applyChanges({}, [change]), { message }, change);
});

test('a refused change anywhere in the list refuses them all, before any is applied', () => {
  const base = { Env: ['A=1'] };
  assert.throws(() => applyChanges(base, ['ENV A=2', 'RUN x']), /not a valid change command/);
  assert.deepEqual(base.Env, ['A=1']);
});
