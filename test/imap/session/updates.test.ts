// The bytes an IDLE push writes (src/imap/session/updates.ts): sessions announcing the same counts are handed the
// same Buffer (made once per hint, not once per session), with exactly the bytes the encoder makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsRecentBytes, updateBytes, updateResponse } from '../../../src/imap/session/updates.js';

test('`* k EXISTS` and the rev1 pair with `* r RECENT` are one shared Buffer per count', () => {
  const first = updateBytes({ kind: 'exists', count: 41 });
  assert.ok(Buffer.isBuffer(first), 'EXISTS is shared bytes');
  assert.equal(updateBytes({ kind: 'exists', count: 41 }), first, 'the same Buffer for the next session');
  assert.equal(first.toString('latin1'), updateResponse({ kind: 'exists', count: 41 }));
  assert.notEqual(updateBytes({ kind: 'recent', count: 41 }), first, 'RECENT 41 is not EXISTS 41');

  const pair = existsRecentBytes([{ kind: 'exists', count: 41 }, { kind: 'recent', count: 1 }]);
  assert.ok(pair, 'EXISTS + RECENT is shared');
  assert.equal(pair.toString('latin1'), '* 41 EXISTS\r\n* 1 RECENT\r\n');
  assert.equal(existsRecentBytes([{ kind: 'exists', count: 41 }, { kind: 'recent', count: 1 }]), pair, 'the same Buffer again');
  assert.equal(existsRecentBytes([{ kind: 'exists', count: 41 }, { kind: 'recent', count: 0 }])?.toString('latin1'), '* 41 EXISTS\r\n* 0 RECENT\r\n');
  assert.equal(existsRecentBytes([{ kind: 'recent', count: 1 }, { kind: 'exists', count: 41 }]), undefined, 'other shapes are written piece by piece');
  assert.equal(existsRecentBytes([{ kind: 'exists', count: 41 }]), undefined);
});
