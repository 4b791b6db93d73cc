// The searchable text (SegmentDoc: header fields and decoded text) of messages not yet in a search segment, for a
// text SEARCH of the unsealed tail (search-text.ts) and for the seal (search-seal.ts). Cold items no longer keep the
// text (cold-item.ts), so a doc comes from the process's FreshDocCache (search-fresh-docs.ts: filled when this
// process stored the message or derived its doc before), else from the raw message: one GET and an index
// (messages.ts coldParts, the code APPEND runs), put into the cache so the next SEARCH does not GET it again. A
// SEARCH of header keys alone reads a miss's header cache from its cold item instead (no text needed, no GET).
//
// Cold items written before issue #8 still hold the text (`tz`), but they are not read for it: finding out which do
// costs a KV read per search for every message, while the raw bytes give the same text (the same indexer) and
// such messages leave the tail with the first seal after the upgrade.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { StoreContext } from './context.js';
import type { EmailId, TenantId, UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';
import { coldIndexWithoutText } from './cold-item.js';
import { MailStoreError } from './errors.js';
import { coldParts, readStaged } from './messages.js';
import { FreshDocCache, type FreshDoc } from './search-fresh-docs.js';
import type { SegmentDoc } from './search-segments.js';

/** One message of a mailbox whose doc is wanted (from its hot item: `size` is the raw message's length). */
export interface TailMessage {
  uid: number;
  emailId: string;
  size: number;
}

/** Raw messages read at once (S3 GETs in flight; each is then indexed on this thread). */
const PARALLEL_GETS = 8;

/** Where a process without a seal cache (ctx.freshDocs unset: a Lambda function) keeps docs it derived. */
const derivedDocs = new FreshDocCache(4 * 1024 * 1024);

/** The cache docs are read from and put into in this process. */
export function docCacheOf(ctx: StoreContext): FreshDocCache {
  return ctx.freshDocs ?? derivedDocs;
}

const NO_HEADERS: FreshDoc['hdr'] = { from: null, to: null, cc: null, bcc: null, subject: null, fields: [] };

/** The doc of a raw message, exactly what APPEND put into the cache for it (messages.ts putColdItem). */
export function docOfRaw(raw: Buffer): FreshDoc {
  const { index, text } = coldParts(raw);
  const { from, to, cc, bcc, subject, fields } = index.hdr;
  return { hdr: { from, to, cc, bcc, subject, fields }, text: text.length > 0 ? text : null };
}

/**
 * How the docs are wanted: `seal` takes the cache entries (a message is sealed once); `search` leaves them and adds
 * the ones it derived; `headers` (a SEARCH of header keys only) needs no text, so a miss is read from the cold items,
 * which keep the header cache (one batched read per 100 instead of a GET per message), and nothing is cached.
 */
export type DocsFor = 'seal' | 'search' | 'headers';

/** The docs of `messages` (in their order), owned by `owner`; with `headers`, every text is null. */
export async function searchDocs(
  ctx: StoreContext,
  owner: { tenantId: TenantId; userId: UserId },
  messages: readonly TailMessage[],
  wantedFor: DocsFor,
): Promise<SegmentDoc[]> {
  const cache = docCacheOf(ctx);
  const docs = new Map<string, FreshDoc>();
  const missing = new Map<string, TailMessage>();
  for (const m of messages) {
    if (docs.has(m.emailId) || missing.has(m.emailId)) continue;
    const doc = wantedFor === 'seal' ? cache.take(m.emailId) : cache.get(m.emailId);
    if (doc) docs.set(m.emailId, doc);
    else missing.set(m.emailId, m);
  }
  if (wantedFor === 'headers' && missing.size > 0) {
    for (const [emailId, hdr] of await coldHeaders(ctx, [...missing.keys()])) {
      docs.set(emailId, { hdr, text: null });
      missing.delete(emailId);
    }
  }
  const wanted = [...missing.values()];
  for (let i = 0; i < wanted.length; i += PARALLEL_GETS) {
    const part = wanted.slice(i, i + PARALLEL_GETS);
    const raws = await Promise.all(part.map((m) => rawOf(ctx, owner, m)));
    part.forEach((m, j) => {
      const raw = raws[j];
      const doc = raw ? docOfRaw(raw) : { hdr: NO_HEADERS, text: null };
      docs.set(m.emailId, doc);
      if (raw && wantedFor !== 'seal') cache.put(m.emailId, doc);
    });
    // Each index parses a whole message: give the event loop back between groups (see SEAL_SLICE_CHARS).
    await yieldToEventLoop();
  }
  return messages.map((m) => ({ uid: m.uid, emailId: m.emailId, ...docs.get(m.emailId)! }));
}

/** The header caches of cold items (eventually consistent, then strongly for a just-written one), by emailId. */
async function coldHeaders(ctx: StoreContext, emailIds: string[]): Promise<Map<string, FreshDoc['hdr']>> {
  const out = new Map<string, FreshDoc['hdr']>();
  for (let i = 0; i < emailIds.length; i += 100) {
    const part = emailIds.slice(i, i + 100).map((e) => keys.cold(e as EmailId));
    let found = await ctx.kv.batchGet('msgmeta', part);
    if (found.length < part.length) found = await ctx.kv.batchGet('msgmeta', part, { consistent: true });
    for (const item of found) {
      const { from, to, cc, bcc, subject, fields } = coldIndexWithoutText(item).hdr; // either stored form
      out.set(item.pk.slice(2), { from, to, cc, bcc, subject, fields });
    }
  }
  return out;
}

/** The raw bytes of one message; undefined when they are gone (a message expunged and swept meanwhile). */
async function rawOf(ctx: StoreContext, owner: { tenantId: TenantId; userId: UserId }, m: TailMessage): Promise<Buffer | undefined> {
  try {
    return await readStaged(ctx, blobKeys.message(owner.tenantId, owner.userId, m.emailId as EmailId), m.size);
  } catch (err) {
    if (err instanceof MailStoreError && err.code === 'BADREQUEST') return undefined;
    throw err;
  }
}
