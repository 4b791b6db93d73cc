// The Lambda handlers of functions/ run the same operations as the inline invoker, on a real embedded store.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sqliteBackend, type TestBackend } from '../backends.js';
import { makeLambdaHandler } from '../../src/server/lambda.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';

describe('function handlers', () => {
  let b: TestBackend;
  before(async () => {
    b = await sqliteBackend.open();
    await addUser(b.ctx, 'dora@example.net', 'pw-dora');
  });
  after(async () => b.close());

  const storeOf = () => ({ ctx: b.ctx, meter: b.meter, client: new MailStoreClient(new InlineInvoker(b.ctx), b.blob), close: async () => {} });

  it('logs in through the auth function and lists mailboxes through the mailbox function', async () => {
    const auth = makeLambdaHandler('auth', storeOf);
    const mailbox = makeLambdaHandler('mailbox', storeOf);
    const login = await auth({ op: 'auth.login', body: { login: 'dora@example.net', password: 'pw-dora' } });
    assert.equal(login.ok, true);
    const token = login.ok ? (login.result as { token: string }).token : '';
    const listed = await mailbox({ op: 'mailbox.list', body: { token } });
    assert.equal(listed.ok, true);
    assert.ok(listed.ok && (listed.result as { mailboxes: { path: string }[] }).mailboxes.some((m) => m.path === 'INBOX'));
  });

  it('answers GETQUOTAROOT through the quota function (functions/quota.ts), and nothing of another family', async () => {
    const auth = makeLambdaHandler('auth', storeOf);
    const quota = makeLambdaHandler('quota', storeOf);
    const login = await auth({ op: 'auth.login', body: { login: 'dora@example.net', password: 'pw-dora' } });
    const token = login.ok ? (login.result as { token: string }).token : '';
    const root = await quota({ op: 'quota.root', body: { token, path: 'INBOX' } });
    assert.equal(root.ok, true, JSON.stringify(root));
    const wrong = await quota({ op: 'mailbox.list', body: { token } });
    assert.deepEqual(wrong.ok ? '' : wrong.error.code, 'BADREQUEST');
    // The deployed entry point is exactly this handler.
    const mod = (await import('../../functions/quota.js')) as { handler: unknown };
    assert.equal(typeof mod.handler, 'function');
  });

  it('refuses operations of another family, unknown operations and malformed bodies', async () => {
    const auth = makeLambdaHandler('auth', storeOf);
    const wrong = await auth({ op: 'mailbox.list', body: {} });
    assert.deepEqual(wrong.ok ? '' : wrong.error.code, 'BADREQUEST');
    const unknown = await auth({ op: 'auth.nope', body: {} });
    assert.deepEqual(unknown.ok ? '' : unknown.error.code, 'BADREQUEST');
    const bad = await auth({ op: 'auth.login', body: { login: 42 } });
    assert.deepEqual(bad.ok ? '' : bad.error.code, 'BADREQUEST');
    const denied = await auth({ op: 'auth.login', body: { login: 'dora@example.net', password: 'nope' } });
    assert.deepEqual(denied.ok ? '' : denied.error.code, 'AUTHENTICATIONFAILED');
  });
});
