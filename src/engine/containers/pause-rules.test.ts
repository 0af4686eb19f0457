import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialState } from './container-state.js';
import type { ContainerState } from './container-types.js';
import { pauseRefusal, removalRefusal, signalResumes, unpauseRefusal, type PauseFacts } from './pause-rules.js';

const ID = 'c'.repeat(64);
const created: PauseFacts = { running: false, paused: false, restarting: false };
const running: PauseFacts = { running: true, paused: false, restarting: false };
const paused: PauseFacts = { running: true, paused: true, restarting: false };
const restarting: PauseFacts = { running: true, paused: false, restarting: true };
const state = (facts: PauseFacts): ContainerState => ({ ...initialState(), ...facts, startedAt: '2030-01-01T00:00:00Z' });
const described = (err: Error | undefined) => err && `${err.name} ${err.message}`;

test('pauseRefusal: only a running container can be paused, in dockerd\'s words (409)', () => {
  const table: [PauseFacts, string | undefined][] = [
    [running, undefined],
    [created, `ConflictError Container ${ID} is not running`],
    [paused, `ConflictError Container ${ID} is already paused`],
    [restarting, `ConflictError Container ${ID} is restarting, wait until the container is running`],
  ];
  for (const [facts, want] of table) assert.equal(described(pauseRefusal(facts, ID)), want, JSON.stringify(facts));
});

test('unpauseRefusal: only a paused container can be unpaused; dockerd answers 500 otherwise', () => {
  const table: [PauseFacts, string | undefined][] = [
    [paused, undefined],
    [running, `UnknownError Container ${ID} is not paused`],
    [created, `UnknownError Container ${ID} is not paused`],
  ];
  for (const [facts, want] of table) assert.equal(described(unpauseRefusal(facts, ID)), want, JSON.stringify(facts));
});

test('signalResumes: a paused container is thawed after a signal that ends it, not after others', () => {
  const table: [PauseFacts, signal: number, stopSignal: string | undefined, want: boolean][] = [
    [paused, 15, undefined, true], // docker stop
    [paused, 9, undefined, true], // docker kill, rm -f, the stop's SIGKILL
    [paused, 10, undefined, true], // without a stop signal, any signal by hand is final
    [paused, 15, 'SIGUSR1', false], // ... with one, another signal waits for docker unpause
    [paused, 10, 'SIGUSR1', true],
    [paused, 9, 'SIGUSR1', true],
    [running, 15, undefined, false],
  ];
  for (const [facts, signal, stop, want] of table) {
    assert.equal(signalResumes(facts, signal, stop), want, `${JSON.stringify(facts)} ${signal} ${stop}`);
  }
});

test("removalRefusal: docker rm without force says why, in dockerd's words", () => {
  const table: [PauseFacts, string | undefined][] = [
    [created, undefined],
    [running, 'ConflictError You cannot remove a running container c1. Stop the container before attempting removal or force remove'],
    [paused, 'ConflictError You cannot remove a paused container c1. Unpause and then stop the container before attempting removal or force remove'],
    [restarting, 'ConflictError You cannot remove a restarting container c1. Stop the container before attempting removal or force remove'],
  ];
  for (const [facts, want] of table) assert.equal(described(removalRefusal(state(facts), 'c1')), want, JSON.stringify(facts));
});
