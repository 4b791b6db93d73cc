import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle } from '../../src/auth/login-throttle.js';

test('penalty doubles per recent failure up to the cap; the cap on failures blocks; success clears', () => {
  const t = new LoginThrottle({ windowMs: 60_000, maxFailures: 4, penaltyBaseMs: 1000, penaltyMaxMs: 5000, now: () => 0 });
  assert.equal(t.penaltyMs('alice@example.com'), 0);
  const penalties: number[] = [];
  for (let i = 0; i < 4; i++) {
    t.failed('Alice@Example.com'); // keyed case-insensitively, like logins
    penalties.push(t.penaltyMs('alice@example.com'));
  }
  assert.deepEqual(penalties, [1000, 2000, 4000, 5000]);
  assert.equal(t.blocked('alice@example.com'), true);
  assert.equal(t.blocked('bob@example.com'), false);
  t.succeeded('alice@example.com');
  assert.equal(t.recentFailures('alice@example.com'), 0);
});

test('failures slide out of the window', () => {
  let now = 0;
  const t = new LoginThrottle({ windowMs: 10_000, maxFailures: 2, now: () => now });
  t.failed('a@x.y');
  now = 6000;
  t.failed('a@x.y');
  assert.equal(t.blocked('a@x.y'), true);
  now = 10_001; // the first failure is older than the window
  assert.equal(t.recentFailures('a@x.y'), 1);
  assert.equal(t.blocked('a@x.y'), false);
  now = 16_001;
  assert.equal(t.recentFailures('a@x.y'), 0);
});

test('memory stays bounded: the least recently failed account is forgotten first', () => {
  const t = new LoginThrottle({ maxAccounts: 3, maxFailures: 5 });
  for (const login of ['a@x', 'b@x', 'c@x', 'a@x', 'd@x']) t.failed(login);
  assert.deepEqual(['a@x', 'b@x', 'c@x', 'd@x'].map((l) => t.recentFailures(l)), [2, 0, 1, 1]);
  // one account's list never grows past the cap however often it fails
  for (let i = 0; i < 1000; i++) t.failed('e@x');
  assert.equal(t.recentFailures('e@x'), 5);
});
