// The memory of recently verified passwords (src/auth/verified-passwords.ts): a repeated LOGIN skips PBKDF2, a wrong
// password is never remembered, and a changed password (new salt) can never be answered from the memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeScramSecret, verifyPassword } from '../../src/auth/scram.js';
import { VerifiedPasswords, verifiedPasswords } from '../../src/auth/verified-passwords.js';

test('a verified password is remembered; a wrong one is not; a new secret misses', () => {
  const secret = makeScramSecret('first password');
  const before = verifiedPasswords.size;
  assert.equal(verifyPassword(secret, 'wrong password'), false);
  assert.equal(verifiedPasswords.size, before, 'failures are not remembered');
  assert.equal(verifyPassword(secret, 'first password'), true);
  assert.equal(verifiedPasswords.size, before + 1);
  assert.equal(verifiedPasswords.storedKeyOf(secret.salt, secret.iterations, 'first password'), secret.storedKey);
  assert.equal(verifyPassword(secret, 'first password'), true, 'answered from the memory');
  assert.equal(verifyPassword(secret, 'wrong password'), false);

  // The password changed: a new salt, so the old password is checked in full against the new secret, and fails.
  const changed = makeScramSecret('second password');
  assert.equal(verifyPassword(changed, 'first password'), false);
  assert.equal(verifyPassword(changed, 'second password'), true);
});

test('entries expire and the memory stays bounded', () => {
  const memory = new VerifiedPasswords(2, 1000);
  memory.remember('salt', 4096, 'a', 'A', 0);
  memory.remember('salt', 4096, 'b', 'B', 0);
  memory.remember('salt', 4096, 'c', 'C', 0);
  assert.equal(memory.size, 2);
  assert.equal(memory.storedKeyOf('salt', 4096, 'a', 10), undefined, 'the oldest went first');
  assert.equal(memory.storedKeyOf('salt', 4096, 'c', 10), 'C');
  assert.equal(memory.storedKeyOf('salt', 4096, 'c', 1000), undefined, 'expired');
  assert.equal(memory.storedKeyOf('other salt', 4096, 'b', 10), undefined, 'another salt is another key');
});
