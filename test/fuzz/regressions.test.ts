// Every crash the fuzzer found, kept as a test (issue 9 item 4). Each names the target and seed that found it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createAdminApp } from '../../src/admin/app.js';
import { SqliteKv } from '../../src/storage/sqlite/sqlite-kv.js';
import { FsBlob } from '../../src/storage/fs/fs-blob.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { hashAdminToken } from '../../src/mailstore/tenants-functions.js';

// admin, seed 1000011: DELETE /tenants/%zz/tokens/%zz answered 500 (URIError): path parameters were percent-decoded
// twice (Hono decodes them already), so "%25zz" became "%zz" and then threw, and "%2540" became "@".
test('admin: a path parameter with a literal "%" is not decoded twice (no 500)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-fuzz-reg-'));
  const kv = new SqliteKv(join(dir, 'stratus.sqlite'));
  const blob = new FsBlob(join(dir, 'blobs'));
  try {
    const ctx = { kv, blob, tokenKey: randomBytes(32), maxMessageBytes: 1 << 20, adminTokenHash: hashAdminToken('op-token') };
    const app = createAdminApp({ store: new MailStoreClient(new InlineInvoker(ctx), blob) });
    const headers = { authorization: 'Bearer op-token' };
    for (const path of ['/tenants/%25zz/tokens/%25zz', '/tenants/%zz/tokens/%zz', '/tenants/a%2540b']) {
      const res = await app.fetch(new Request(`http://admin.local${path}`, { method: path.includes('tokens') ? 'DELETE' : 'GET', headers }));
      assert.ok(res.status < 500, `${path} → ${res.status}`);
      assert.equal(res.status, 404);
    }
  } finally {
    await kv.close();
    await blob.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
