import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { failedLoginDelayMs, waitAfterFailedLogin } from '../../src/auth/password-delay.js';

describe('failedLoginDelayMs', () => {
  it('starts at one second and doubles per failure up to ten seconds', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 100].map((n) => failedLoginDelayMs(n)), [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('treats zero or fractional failure counts as the first failure', () => {
    assert.equal(failedLoginDelayMs(0), 1000);
    assert.equal(failedLoginDelayMs(1.9), 1000);
  });

  it('is configurable, e.g. a few milliseconds in tests', () => {
    assert.equal(failedLoginDelayMs(1, { baseMs: 5 }), 5);
    assert.equal(failedLoginDelayMs(3, { baseMs: 5, maxMs: 12 }), 12);
    assert.equal(failedLoginDelayMs(7, { baseMs: 0 }), 0);
  });

  it('refuses nonsense', () => {
    assert.throws(() => failedLoginDelayMs(1, { baseMs: -1 }), RangeError);
    assert.throws(() => failedLoginDelayMs(1, { maxMs: Number.NaN }), RangeError);
    assert.throws(() => failedLoginDelayMs(Number.NaN), RangeError);
  });
});

describe('waitAfterFailedLogin', () => {
  it('resolves only once the computed delay has passed', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let resolved = false;
      const waiting = waitAfterFailedLogin(2, { baseMs: 50 }).then(() => {
        resolved = true;
      });
      mock.timers.tick(99);
      await Promise.resolve();
      assert.equal(resolved, false);
      mock.timers.tick(1);
      await waiting;
      assert.equal(resolved, true);
    } finally {
      mock.timers.reset();
    }
  });
});
