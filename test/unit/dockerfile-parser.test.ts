import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, parseInstruction } from '../../src/engine/build/dockerfile-parser.js';

// Messages are those of Docker's classic builder for the same Dockerfiles.
test('instructions: keywords in any case, continuations joined, comments and blank lines skipped', () => {
  const file = parseDockerfile([
    '# a comment',
    'from busybox AS Build',
    'RUN echo a \\',
    '  # a comment inside the continuation',
    '',
    '    b',
    'CMD ["sh", "-c", "x"]',
    'COPY --from=build --chown=1:2 a b /dst/',
  ].join('\n'));
  assert.equal(file.stages.length, 1);
  const stage = file.stages[0];
  assert.equal(stage.base, 'busybox');
  assert.equal(stage.name, 'build', 'stage names are lower-cased');
  const [run, cmd, copy] = stage.instructions;
  assert.equal(run.keyword, 'run');
  assert.equal(run.args, 'echo a     b');
  assert.equal(run.line, 3);
  assert.equal(run.original, 'RUN echo a     b');
  assert.deepEqual(cmd.json, ['sh', '-c', 'x']);
  assert.deepEqual(copy.flags, { from: 'build', chown: '1:2' });
  assert.equal(copy.args, 'a b /dst/');
});

test('the escape directive changes the continuation character', () => {
  const file = parseDockerfile('# escape=`\nFROM busybox\nRUN echo a `\n  b\nRUN dir c:\\\n');
  assert.equal(file.escape, '`');
  assert.equal(file.stages[0].instructions[0].args, 'echo a   b');
  assert.equal(file.stages[0].instructions[1].args, 'dir c:\\', 'a backslash is an ordinary character then');
});

test('ARGs before the first FROM are meta arguments; stages follow one another', () => {
  const file = parseDockerfile('ARG BASE=busybox\nFROM $BASE AS one\nRUN true\nFROM scratch\nCOPY --from=one /a /a\n');
  assert.deepEqual(file.metaArgs.map((a) => a.args), ['BASE=busybox']);
  assert.deepEqual(file.stages.map((s) => [s.base, s.name, s.instructions.length]), [['$BASE', 'one', 1], ['scratch', '', 1]]);
});

test('syntax errors are refused with the line and Docker\'s words', () => {
  const cases: [string, string][] = [
    ['FROM busybox\nRUN true\nFOO bar\n', 'dockerfile parse error on line 3: unknown instruction: FOO'],
    ['FROM busybox\nCOPY --foo=1 a /\n', 'dockerfile parse error on line 2: Unknown flag: foo'],
    ['FROM busybox\nENV\n', 'dockerfile parse error on line 2: ENV requires at least one argument'],
    ['FROM busybox\nCOPY a\n', 'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['FROM busybox AS 1x\n', 'dockerfile parse error on line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols'],
    ['FROM busybox AS\n', 'dockerfile parse error on line 1: FROM requires either one or three arguments'],
    ['FROM busybox\nSHELL /bin/bash -c\n', 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form'],
    ['FROM busybox\nRUN --mount=type=cache,target=/x true\n', 'dockerfile parse error on line 2: the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled'],
    ['RUN true\n', 'no build stage in current context'],
    ['# only a comment\n\n', 'the Dockerfile (Dockerfile) cannot be empty'],
    ['# escape=x\nFROM busybox\n', 'dockerfile parse error on line 1: invalid escape token \'x\' does not match ` or \\'],
  ];
  for (const [text, message] of cases) assert.throws(() => parseDockerfile(text), { message }, text);
});

test('ONBUILD triggers parse as instructions of their own', () => {
  assert.equal(parseInstruction('COPY a /b', 1).keyword, 'copy');
  assert.throws(() => parseInstruction('BOGUS x', 7), { message: 'dockerfile parse error on line 7: unknown instruction: BOGUS' });
});
