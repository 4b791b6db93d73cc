// NOTIFY (RFC 5465) and ACL changes (RFC 4314), over raw sockets in one process: a grant to `anyone` reaches the
// NOTIFY sessions of the tenant's other users through ONE tenant-level hint (§5.4: granting `l` is a mailbox created
// for them, taking it away one deleted); a watched mailbox whose `r` right is taken stops being watched and is told
// `\NoAccess`, and is told again without it — and watched again — once `r` comes back (§5.9); one whose `l` right is
// taken is told `\NonExistent` (§5.4: revoking `l` "MUST be considered" a deletion).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { addUser } from '../../src/mailstore/directory.js';
import { rawLogin, within } from './two-frontends.js';
import { startFixture, type Fixture } from './fixture.js';
import type { RawClient } from './raw-client.js';

async function ok(c: RawClient, tag: string, line: string): Promise<string> {
  const text = await within(c.command(tag, line), `${tag} ${line}`);
  assert.match(text, new RegExp(`${tag} OK[^\\r\\n]*\\r\\n$`), text);
  return text;
}

/** Everything up to the `n`th CRLF (unsolicited responses, which may come in more than one packet). */
function lines(c: RawClient, n: number): Promise<string> {
  return within(
    c.until((t) => t.split('\r\n').length > n),
    `${n} line(s)`,
  );
}

/** Nothing arrives on `c` while a NOOP round trip of another session completes and a moment passes. */
async function quiet(c: RawClient, settle: RawClient): Promise<void> {
  await ok(settle, 'Z', 'NOOP');
  await sleep(100);
  const text = await within(c.command('Q', 'NOOP'), 'NOOP');
  assert.equal(text.replace(/^Q OK[^\r\n]*\r\n$/, ''), '', `unexpected: ${JSON.stringify(text)}`);
}

const message = (subject: string): string => `From: o@example.org\r\nSubject: ${subject}\r\n\r\nbody\r\n`;

describe('NOTIFY and ACL changes', () => {
  let f: Fixture;
  let n = 0;

  before(async () => {
    f = await startFixture({ env: { STRATUS_MAILBOX_POLL_MS: '3600000' } });
  });
  after(async () => f?.close());

  async function login(user: string): Promise<RawClient> {
    return rawLogin({ portA: f.port, portB: f.port, user, password: 'pw' }, f.port);
  }

  /** Fresh users of the default tenant: an owner and `others` more. */
  async function users(others: number): Promise<{ owner: string; names: string[] }> {
    const round = ++n;
    const owner = `owner${round}@example.com`;
    const names = Array.from({ length: others }, (_, i) => `user${round}-${i}@example.com`);
    for (const u of [owner, ...names]) await addUser(f.ctx, u, 'pw');
    return { owner, names };
  }

  it('SETACL anyone: every NOTIFY session of the tenant is told (LIST for the mailbox and its parent), by one hint', async () => {
    const { owner: ownerLogin, names } = await users(12);
    const owner = await login(ownerLogin);
    await ok(owner, 'C', 'CREATE Team');
    const watchers = await Promise.all(names.slice(0, 2).map(login));
    for (const w of watchers) await ok(w, 'N', 'NOTIFY SET (SUBTREE "Other Users" (MailboxName))');
    const hints: string[] = [];
    const ctx = f.ctx;
    const publish = ctx.publishHint;
    ctx.publishHint = (hint) => {
      hints.push(hint.mailboxId);
      publish?.(hint);
    };
    try {
      await ok(owner, 'G', 'SETACL Team anyone lr');
      const name = `"Other Users/${ownerLogin}/Team"`;
      const parent = `"Other Users/${ownerLogin}"`;
      // §5.4: "granting or revocation of the 'l' right to the current user on the affected mailbox MUST be considered
      // mailbox creation or deletion" — and a creation affects the direct parent too, here a name that is no mailbox.
      for (const w of watchers) {
        assert.equal(await lines(w, 2), `* LIST (\\HasNoChildren) "/" ${name}\r\n* LIST (\\NonExistent \\HasChildren) "/" ${parent}\r\n`);
      }
      // 13 users in the tenant, one tenant-level hint (and the mailbox's own access hint), never one per user.
      assert.deepEqual(hints.filter((h) => h.startsWith('user/')), []);
      assert.equal(hints.filter((h) => h.startsWith('tenant/')).length, 1);
      assert.equal(hints.length, 2);

      await ok(owner, 'D', 'DELETEACL Team anyone');
      for (const w of watchers) {
        assert.equal(await lines(w, 2), `* LIST (\\NonExistent) "/" ${name}\r\n* LIST (\\NonExistent) "/" ${parent}\r\n`);
      }
      for (const w of watchers) await quiet(w, owner);
    } finally {
      ctx.publishHint = publish;
    }
    owner.close();
    for (const w of watchers) w.close();
  });

  it('§5.9: a watched mailbox that loses r is told \\NoAccess and no longer watched; r back: LIST without it, watched again', async () => {
    const {
      owner: ownerLogin,
      names: [granteeLogin],
    } = await users(1);
    const owner = await login(ownerLogin);
    const grantee = await login(granteeLogin!);
    await ok(owner, 'C', 'CREATE Team');
    await ok(owner, 'G', `SETACL Team ${granteeLogin} lr`);
    const name = `"Other Users/${ownerLogin}/Team"`;
    // Message events only: no MailboxName.
    await ok(grantee, 'N', 'NOTIFY SET (SUBTREE "Other Users" (MessageNew MessageExpunge))');
    assert.match(await owner.append('A1', 'Team', message('one')), /A1 OK/);
    assert.equal(await lines(grantee, 1), `* STATUS ${name} (MESSAGES 1 UIDNEXT 2 UNSEEN 1)\r\n`);

    // "The server SHOULD return the LIST response with the \NoAccess name attribute if and when the mailbox loses"
    // the right to read it (`l` kept: still listed), and "MUST stop monitoring these mailboxes".
    await ok(owner, 'R', `SETACL Team ${granteeLogin} -r`);
    assert.equal(await lines(grantee, 1), `* LIST (\\NoAccess) "/" ${name}\r\n`);
    assert.match(await owner.append('A2', 'Team', message('two')), /A2 OK/);
    await quiet(grantee, owner);

    // "... the LIST response with no \NoAccess name attribute if the mailbox was previously reported as having
    // \NoAccess and the 'l' right is later granted" — and "If access is later granted, the server MUST restart".
    await ok(owner, 'P', `SETACL Team ${granteeLogin} +r`);
    assert.equal(await lines(grantee, 1), `* LIST (\\HasNoChildren) "/" ${name}\r\n`);
    assert.match(await owner.append('A3', 'Team', message('three')), /A3 OK/);
    assert.equal(await lines(grantee, 1), `* STATUS ${name} (MESSAGES 3 UIDNEXT 4 UNSEEN 3)\r\n`);

    // `l` taken (`r` kept): the name is not listed any more, which §5.4 makes a deletion: \NonExistent, not watched.
    await ok(owner, 'L', `SETACL Team ${granteeLogin} -l`);
    assert.equal(await lines(grantee, 1), `* LIST (\\NonExistent) "/" ${name}\r\n`);
    assert.match(await owner.append('A4', 'Team', message('four')), /A4 OK/);
    await quiet(grantee, owner);
    owner.close();
    grantee.close();
  });

  it('a watched mailbox deleted by its owner: \\NonExistent, without MailboxName asked for (§5.9)', async () => {
    const {
      owner: ownerLogin,
      names: [granteeLogin],
    } = await users(1);
    const owner = await login(ownerLogin);
    const grantee = await login(granteeLogin!);
    await ok(owner, 'C', 'CREATE Team');
    await ok(owner, 'G', `SETACL Team ${granteeLogin} lr`);
    await ok(grantee, 'N', 'NOTIFY SET (SUBTREE "Other Users" (MessageNew MessageExpunge))');
    await ok(owner, 'D', 'DELETE Team');
    assert.equal(await lines(grantee, 1), `* LIST (\\NonExistent) "/" "Other Users/${ownerLogin}/Team"\r\n`);
    await quiet(grantee, owner);
    owner.close();
    grantee.close();
  });
});
