// The stateless functions: one entry point that validates a JSON request, verifies its session token and runs the
// operation. Lambda handlers (functions/) and the inline invoker both call `handleRequest`; errors become envelopes.
import type { Envelope, Operation, ResponseOf } from './api.js';
import { requestSchemas } from './api.js';
import { callerOf, type StoreContext } from './context.js';
import { login } from './directory.js';
import { MailStoreError } from './errors.js';
import { isTransient } from '../storage/retrying.js';
import {
  createMailbox,
  deleteMailbox,
  listMailboxes,
  mailboxChanges,
  mailboxStatus,
  openMailbox,
  reopenMailbox,
  renameMailbox,
  setSubscribed,
} from './mailboxes.js';
import type { MailboxId } from './ids.js';
import { leaseMailbox } from './leases.js';
import { claimRecent } from './recent.js';
import { scramFinish, scramStart } from './scram-login.js';
import { oauthLogin } from './oauth-login.js';
import { appendMessage, copyMessages, messageMeta, prepareAppend } from './messages.js';
import { expungeMessages, storeFlags } from './store-expunge.js';
import { bodyUrl, withUploadUrl } from './body-urls.js';
import { moveMessages } from './move.js';
import { searchText } from './search-text.js';
import { deliverStaged, prepareDelivery, resolveAddresses } from './delivery-ops.js';
import { ADMIN_FAMILY_OF, adminHandlers } from './tenants-functions.js';
import { deleteAcl, getAcl, listRights, myRights, setAcl } from './acl-store.js';
import { sharedHandlers } from './acl-admin.js';
import { publishUserHint } from './user-hint.js';

/** Which function family serves an operation; in AWS each family is one Lambda (DESIGN.md "The functions"). */
export const FUNCTION_OF: Record<Operation, 'auth' | 'mailbox' | 'message' | 'ingest' | 'admin' | 'quota' | 'acl'> = {
  ...ADMIN_FAMILY_OF,
  'auth.login': 'auth',
  'auth.scramStart': 'auth',
  'auth.scramFinish': 'auth',
  'auth.oauth': 'auth',
  'mailbox.list': 'mailbox',
  'mailbox.create': 'mailbox',
  'mailbox.delete': 'mailbox',
  'mailbox.rename': 'mailbox',
  'mailbox.subscribe': 'mailbox',
  'mailbox.status': 'mailbox',
  'mailbox.open': 'mailbox',
  'mailbox.reopen': 'mailbox',
  'mailbox.changes': 'mailbox',
  'mailbox.lease': 'mailbox',
  'mailbox.claimRecent': 'mailbox',
  'message.prepareAppend': 'message',
  'message.append': 'message',
  'message.store': 'message',
  'message.expunge': 'message',
  'message.copy': 'message',
  'message.move': 'message',
  'message.meta': 'message',
  'message.searchText': 'message',
  'message.bodyUrl': 'message',
  'deliver.prepare': 'ingest',
  'deliver.resolve': 'ingest',
  'deliver.message': 'ingest',
  'acl.set': 'acl',
  'acl.delete': 'acl',
  'acl.get': 'acl',
  'acl.listRights': 'acl',
  'acl.myRights': 'acl',
  'admin.shared.create': 'admin',
  'admin.shared.list': 'admin',
  'admin.shared.delete': 'admin',
  'admin.shared.getAcl': 'admin',
  'admin.shared.setAcl': 'admin',
  'admin.shared.deleteAcl': 'admin',
};

type Handler = (ctx: StoreContext, body: never) => Promise<unknown>;

const handlers: { [O in Operation]: Handler } = {
  ...(adminHandlers as { [O in keyof typeof adminHandlers]: Handler }),
  ...(sharedHandlers as { [O in keyof typeof sharedHandlers]: Handler }),
  'auth.login': async (ctx, b: { login: string; password: string }) => login(ctx, b.login, b.password),
  'auth.scramStart': async (ctx, b: { clientFirst: string }) => scramStart(ctx, b.clientFirst),
  'auth.scramFinish': async (ctx, b: { state: string; clientFinal: string }) => scramFinish(ctx, b.state, b.clientFinal),
  'auth.oauth': async (ctx, b: { token: string; authzid?: string }) => oauthLogin(ctx, b.token, b.authzid),
  'mailbox.list': async (ctx, b: { token: string }) => ({ mailboxes: await listMailboxes(ctx, callerOf(ctx, b.token)) }),
  'mailbox.create': async (ctx, b: { token: string; path: string; specialUse?: string }) => {
    const caller = callerOf(ctx, b.token);
    const created = await createMailbox(ctx, caller, b.path, b.specialUse ?? null);
    publishUserHint(ctx, caller.userId); // RFC 5465 MailboxName (user-hint.ts)
    return created;
  },
  'mailbox.delete': async (ctx, b: { token: string; path: string }) => {
    const caller = callerOf(ctx, b.token);
    await deleteMailbox(ctx, caller, b.path);
    publishUserHint(ctx, caller.userId);
    return {};
  },
  'mailbox.rename': async (ctx, b: { token: string; from: string; to: string }) => {
    const caller = callerOf(ctx, b.token);
    await renameMailbox(ctx, caller, b.from, b.to);
    publishUserHint(ctx, caller.userId);
    return {};
  },
  'mailbox.subscribe': async (ctx, b: { token: string; path: string; subscribed: boolean }) => {
    const caller = callerOf(ctx, b.token);
    await setSubscribed(ctx, caller, b.path, b.subscribed);
    publishUserHint(ctx, caller.userId); // RFC 5465 SubscriptionChange
    return {};
  },
  'mailbox.status': async (ctx, b: { token: string; path: string; unclaimed?: boolean; mailboxId?: string }) =>
    mailboxStatus(ctx, callerOf(ctx, b.token), b.path, {
      unclaimed: b.unclaimed === true,
      ...(b.mailboxId === undefined ? {} : { mailboxId: b.mailboxId as MailboxId }),
    }),
  'mailbox.open': async (ctx, b: { token: string; path: string; acceptSnapshot?: boolean }) =>
    openMailbox(ctx, callerOf(ctx, b.token), b.path, { acceptSnapshot: b.acceptSnapshot === true }),
  'mailbox.reopen': async (ctx, b: { token: string; path: string; mailboxId: string; since: number }) =>
    reopenMailbox(ctx, callerOf(ctx, b.token), b.path, b),
  'mailbox.changes': async (ctx, b: { token: string; mailboxId: string; since: number }) =>
    mailboxChanges(ctx, callerOf(ctx, b.token), b.mailboxId as MailboxId, b.since),
  'mailbox.lease': async (ctx, b: { token: string; path: string; ttlSeconds: number; release?: boolean }) =>
    leaseMailbox(ctx, callerOf(ctx, b.token), b),
  'mailbox.claimRecent': async (ctx, b: { token: string; mailboxId: string; upTo: number }) =>
    claimRecent(ctx, callerOf(ctx, b.token), b.mailboxId as MailboxId, b.upTo),
  'message.prepareAppend': async (ctx, b: { token: string; size: number }) =>
    withUploadUrl(ctx, prepareAppend(ctx, callerOf(ctx, b.token), b.size), b.size),
  'message.append': async (ctx, b: { token: string } & Parameters<typeof appendMessage>[2]) =>
    appendMessage(ctx, callerOf(ctx, b.token), b),
  'message.store': async (ctx, b: { token: string } & Parameters<typeof storeFlags>[2]) => storeFlags(ctx, callerOf(ctx, b.token), b),
  'message.expunge': async (ctx, b: { token: string } & Parameters<typeof expungeMessages>[2]) =>
    expungeMessages(ctx, callerOf(ctx, b.token), b),
  'message.copy': async (ctx, b: { token: string } & Parameters<typeof copyMessages>[2]) => copyMessages(ctx, callerOf(ctx, b.token), b),
  'message.move': async (ctx, b: { token: string } & Parameters<typeof moveMessages>[2]) => moveMessages(ctx, callerOf(ctx, b.token), b),
  'message.meta': async (ctx, b: { token: string; emailIds: string[] }) => messageMeta(ctx, callerOf(ctx, b.token), b.emailIds),
  'message.searchText': async (ctx, b: { token: string } & Parameters<typeof searchText>[2]) => searchText(ctx, callerOf(ctx, b.token), b),
  'message.bodyUrl': async (ctx, b: { token: string; blobPrefix: string; emailId: string }) => bodyUrl(ctx, callerOf(ctx, b.token), b),
  'deliver.prepare': async (ctx, b: { token: string; size: number; stage?: { recipient: string; headBytes: number } }) =>
    prepareDelivery(ctx, b.token, b.size, b.stage),
  'deliver.resolve': async (ctx, b: { token: string; addresses: string[] }) => resolveAddresses(ctx, b.token, b.addresses),
  'deliver.message': async (ctx, b: Parameters<typeof deliverStaged>[1]) => deliverStaged(ctx, b),
  'acl.set': async (ctx, b: { token: string; path: string; identifier: string; rights: string }) => {
    await setAcl(ctx, callerOf(ctx, b.token), b.path, b.identifier, b.rights);
    return {};
  },
  'acl.delete': async (ctx, b: { token: string; path: string; identifier: string }) => {
    await deleteAcl(ctx, callerOf(ctx, b.token), b.path, b.identifier);
    return {};
  },
  'acl.get': async (ctx, b: { token: string; path: string }) => getAcl(ctx, callerOf(ctx, b.token), b.path),
  'acl.listRights': async (ctx, b: { token: string; path: string; identifier: string }) =>
    listRights(ctx, callerOf(ctx, b.token), b.path, b.identifier),
  'acl.myRights': async (ctx, b: { token: string; path: string }) => myRights(ctx, callerOf(ctx, b.token), b.path),
};

export function isOperation(op: string): op is Operation {
  return Object.hasOwn(requestSchemas, op);
}

export async function handleRequest<O extends Operation>(ctx: StoreContext, op: O, body: unknown): Promise<Envelope<O>> {
  try {
    const parsed = requestSchemas[op].safeParse(body);
    if (!parsed.success) throw new MailStoreError('BADREQUEST', `Invalid ${op} request: ${parsed.error.issues[0]?.message ?? ''}`);
    const result = (await handlers[op](ctx, parsed.data as never)) as ResponseOf<O>;
    return { ok: true, result };
  } catch (err) {
    if (err instanceof MailStoreError) return { ok: false, error: { code: err.code, message: err.message } };
    // The store kept failing after its retries (src/storage/retrying.ts): the client may try again later.
    if (isTransient(err)) return { ok: false, error: { code: 'UNAVAILABLE', message: 'Mail store unavailable, try again later' } };
    throw err;
  }
}
