// The cold item's stored form (storage-design §C2 "Cold message", table msgmeta): the one place that writes and
// reads it. DynamoDB charges storage per byte (+100 B per item), writes per KB and reads per 4 KB, and a MessageIndex
// stored as a nested map pays for every attribute name of every MIME part, address and header field: ~1.4 KB for a
// plain message. So the index is stored as ONE binary attribute:
//
//   x   = [format byte 1] + deflateRaw(JSON of the MessageIndex with text "", preset dictionary COLD_DICTIONARY_V1)
//
// The decoded text is not stored (issue #8: its deflated form `tz` was 2,477 of the 3,590 B a message kept in
// DynamoDB, there only for SEARCH BODY/TEXT of messages not yet in a search segment). The store now matches those
// from the raw message (search-docs.ts). Items written before keep `tz`; it is read (coldText) and never migrated.
//
// ~0.45 KB instead of ~1.4 KB on the bench corpus (test/mailstore/cold-item.test.ts). JSON because the index is
// plain JSON by construction (src/mime/types.ts) and must come back exactly (nulls included: the frontend tests
// `=== null`); the preset dictionary holds what every index repeats (the key names, the null fields of a MIME part,
// common header field names), which is most of a small index's bytes.
//
// Compatibility: items written before this format carry the index as a map attribute `index`; they are read as they
// are (coldIndexWithoutText, coldText). The dictionary is part of the stored format: never edit COLD_DICTIONARY_V1;
// a better one is a new format byte, and readers keep the old one.
import { Buffer } from 'node:buffer';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { KvItem } from '../storage/kv.js';
import type { MessageIndex } from '../mime/types.js';
import type { EmailId, TenantId, UserId } from './ids.js';
import { keys } from './keys.js';

/** Format byte of `x`: 1 = JSON, deflateRaw with COLD_DICTIONARY_V1. */
const FORMAT_V1 = 1;

/**
 * The preset dictionary of format 1 (RFC 1951 lets both sides agree on 32 KB of history before the data): what
 * indexes share. Deflate reaches back to the end first, so the commonest strings (a MIME part's skeleton) come last.
 * FROZEN: items in the table depend on every byte of it.
 */
const COLD_DICTIONARY_V1 = Buffer.from(
  [
    '["x-mailer","Microsoft Outlook 16.0"],["x-ms-exchange-organization-scl","-1"],["thread-index","A"],["thread-topic",""],',
    '["x-ms-has-attach",""],["x-originating-ip","["],["x-spam-status","No, score="],["x-spam-score","0.0"],["precedence","bulk"],',
    '["list-id","<"],["list-unsubscribe","<mailto:"],["list-unsubscribe-post","List-Unsubscribe=One-Click"],["feedback-id",""],',
    '["x-google-smtp-source","AGHT+I"],["x-gm-message-state","AOJu0Y"],["x-received","by 2002:a17:90"],',
    '["x-google-dkim-signature","v=1; a=rsa-sha256; c=relaxed/relaxed;        d=1e100.net; s=20230601; t="],',
    '["arc-seal","i=1; a=rsa-sha256; t="],["arc-message-signature","i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20160816;        h="],',
    '["arc-authentication-results","i=1; mx.google.com;       dkim=pass header.i=@"],',
    '["authentication-results","; dkim=pass header.d= header.s= header.b=; spf=pass smtp.mailfrom=; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from="],',
    '["dkim-signature","v=1; a=rsa-sha256; c=relaxed/relaxed; d=; s=; t=; h=from:to:subject:date:message-id:mime-version:content-type; bh=; b="],',
    '["received","from  ([]) by  (Postfix) with ESMTPS id  for <>; "],["received","by  with SMTP id "],',
    '["return-path","<"],["delivered-to",""],["x-original-to",""],["reply-to",""],["cc",""],["in-reply-to","<"],["references","<"],',
    '["content-transfer-encoding","quoted-printable"],["content-transfer-encoding","7bit"],["content-transfer-encoding","base64"],',
    '["content-type","multipart/alternative; boundary=\\""],["content-type","multipart/mixed; boundary=\\""],["content-type","text/plain; charset=\\"UTF-8\\""],',
    '["mime-version","1.0"],["date",", "],["from",""],["to",""],["subject",""],["message-id","<"]]',
    ',"parts":[{"hs":,"hl":,"bs":,"bl":,"type":"text","sub":"html","params":[["charset","utf-8"]],"id":null,"desc":null,"enc":"base64","lines":',
    ',"md5":null,"disp":"attachment","dparams":[["filename",".pdf"]],"lang":null,"loc":null,"parts":null,"msg":null}],"msg":null}',
    '{"v":1,"size":,"lines":,"root":{"hs":0,"hl":,"bs":,"bl":,"type":"multipart","sub":"mixed","params":[["boundary",""]]',
    ',"env":{"date":", ","subject":"","from":[{"name":"","adl":null,"mailbox":"","host":"example.com"}],"sender":[{"name":null,"adl":null,"mailbox":"","host":""}]',
    ',"replyTo":[{"name":"","adl":null,"mailbox":"","host":""}],"to":[{"name":null,"adl":null,"mailbox":"","host":".com"}],"cc":null,"bcc":null,"inReplyTo":null,"messageId":"<"}',
    ',"hdr":{"from":" <","to":"","cc":null,"bcc":null,"subject":"","date":,"messageId":"<","inReplyTo":null,"references":null,"fields":[["',
    '"text":"","preview":"',
    '{"hs":,"hl":,"bs":,"bl":,"type":"text","sub":"plain","params":[["charset","utf-8"]],"id":null,"desc":null,"enc":"quoted-printable","lines":',
    ',"md5":null,"disp":null,"dparams":null,"lang":null,"loc":null,"parts":null,"msg":null}',
  ].join(''),
  'latin1',
);

/**
 * The cold item of `emailId` for `index` (its `text` is not stored). The owner and tenant stay plain attributes:
 * messageMeta filters on them and acl-copy.ts rewrites the owner. `tz` only makes an item of the older shape (tests).
 */
export function coldItem(emailId: EmailId, owner: UserId, tenant: TenantId, index: MessageIndex, tz?: Uint8Array): KvItem {
  const json = Buffer.from(JSON.stringify({ ...index, text: '' }), 'utf8');
  const deflated = deflateRawSync(json, { dictionary: COLD_DICTIONARY_V1 });
  const x = new Uint8Array(deflated.length + 1);
  x[0] = FORMAT_V1;
  x.set(deflated, 1);
  const item: KvItem = { ...keys.cold(emailId), owner, tenant, x };
  if (tz) item.tz = tz;
  return item;
}

export class ColdItemFormatError extends Error {
  override name = 'ColdItemFormatError';
}

/** The MessageIndex of a cold item of either format, its `text` as stored there: "" unless the item predates `tz` (coldText). */
export function coldIndexWithoutText(item: KvItem): MessageIndex {
  const x = item.x;
  if (x instanceof Uint8Array) {
    if (x[0] !== FORMAT_V1) throw new ColdItemFormatError(`cold item ${item.pk}: unknown format ${x[0]}`);
    const json = inflateRawSync(x.subarray(1), { dictionary: COLD_DICTIONARY_V1 }).toString('utf8');
    return JSON.parse(json) as MessageIndex;
  }
  // Written before this format: the index as a map attribute (its `text` "" when `tz` holds it).
  if (item.index !== undefined && item.index !== null && typeof item.index === 'object') return item.index as unknown as MessageIndex;
  throw new ColdItemFormatError(`cold item ${item.pk} holds no index`);
}

/** The decoded text an older cold item kept (null when it has none: every item written since issue #8). */
export function coldText(item: KvItem): string | null {
  if (item.tz instanceof Uint8Array) return inflateRawSync(item.tz).toString('utf8');
  const index = item.index as { text?: unknown } | undefined; // the oldest items kept the text inside the index
  return typeof index?.text === 'string' && index.text.length > 0 ? index.text : null;
}
