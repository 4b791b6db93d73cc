// The gc function (functions/gc.ts) as the CDK stack ships it: the esbuild bundle of cdk/bundle.ts, configured only
// by its environment (STRATUS_* as the stack sets them, STRATUS_GC_GRACE_HOURS among them), on DynamoDB Local and
// the S3 stand-in. The schedule's event (`{}`) sweeps everything; an operator's event may name a user and ask for a
// dry run. Unreferenced bodies older than the grace period go; referenced ones stay.
import { awsStoreSettings, openShared } from '../e2e/two-process-stores.js';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleFunction } from '../../cdk/bundle.js';
import { FAMILIES } from '../../cdk/stack.js';
import { addUser } from '../../src/mailstore/directory.js';
import { blobKeys } from '../../src/mailstore/keys.js';
import { newEmailId, type TenantId, type UserId } from '../../src/mailstore/ids.js';
import type { GcEvent, GcSummary } from '../../src/server/gc-handler.js';
import type { Store } from '../../src/server/store.js';

type GcHandler = (event: GcEvent) => Promise<GcSummary>;

describe('gc function (bundled, scheduled)', () => {
  let dir: string;
  let store: Store;
  let handler: GcHandler;
  const saved = { ...process.env };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-gc-fn-'));
    const settings = await awsStoreSettings('gc');
    // What the stack puts into the function's environment; grace 0 so that the test's orphans are old enough.
    Object.assign(process.env, settings, { STRATUS_GC_GRACE_HOURS: '0' });
    store = openShared({ ...process.env });
    assert.equal(FAMILIES.gc?.caller, 'schedule');
    const bundle = bundleFunction('gc', join(dir, 'bundles'));
    handler = ((await import(pathToFileURL(join(bundle, 'index.mjs')).href)) as { handler: GcHandler }).handler;
  });
  after(async () => {
    await store.close();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sweeps unreferenced bodies older than the grace period, keeps referenced ones; dry run deletes nothing', async () => {
    const { ctx, client } = store;
    await addUser(ctx, 'gc-fn@example.com', 'pw');
    const login = await client.login('gc-fn@example.com', 'pw');
    const [tenantId, userId] = [login.tenantId as TenantId, login.userId as UserId];
    const uids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const raw = Buffer.from(`Subject: gc ${i}\r\nMessage-ID: <gc-fn-${i}@example.org>\r\n\r\nbody ${i}\r\n`);
      uids.push((await client.append(login.token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now())).uid);
    }
    const inbox = await client.call('mailbox.open', { token: login.token, path: 'INBOX' });
    const [kept, expunged] = inbox.messages.emailIds as [string, string];
    await client.call('message.store', { token: login.token, mailboxId: inbox.status.mailboxId, uids: [uids[1]!], mode: 'add', flags: ['\\Deleted'] });
    await client.call('message.expunge', { token: login.token, mailboxId: inbox.status.mailboxId, uids: [uids[1]!] });
    const planted = newEmailId(); // a body whose APPEND never committed
    await ctx.blob.put(blobKeys.message(tenantId, userId, planted), Buffer.from('Subject: x\r\n\r\n'), 14);
    const has = async (e: string) => (await ctx.blob.head(blobKeys.message(tenantId, userId, e as never))) !== undefined;
    await sleep(1100); // S3 keeps whole seconds: make "older than 0 hours" unambiguous

    const dry = await handler({ user: 'gc-fn@example.com', dryRun: true });
    assert.deepEqual([dry.users, dry.orphans, dry.dryRun, dry.graceHours], [1, 2, true, 0]);
    assert.ok((await has(expunged)) && (await has(planted)), 'a dry run deletes nothing');

    const scheduled = await handler({}); // EventBridge's input, as the stack's rule sends it
    assert.deepEqual(scheduled.scope, { all: true });
    assert.equal(scheduled.orphans, 2);
    assert.equal(await has(expunged), false, 'the expunged message\'s body is gone');
    assert.equal(await has(planted), false, 'the uncommitted body is gone');
    assert.equal(await has(kept), true, 'a referenced body stays');
    assert.equal((await handler({})).orphans, 0, 'nothing left to sweep');
    await assert.rejects(handler({ user: 'gc-fn@example.com', tenant: tenantId }), /one of/);
  });
});
