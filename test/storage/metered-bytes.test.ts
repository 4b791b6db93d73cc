// getBytes through the store's wrappers (src/storage/metered.ts, retrying.ts; issue #8): counted as the blob GET it
// stands for, bytes included, whether the inner store has its own getBytes or only a stream; retried whole on a
// transient failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FsBlob } from '../../src/storage/fs/fs-blob.js';
import { CallMeter, MeteredBlob } from '../../src/storage/metered.js';
import { RetryingBlob } from '../../src/storage/retrying.js';
import { ThrottledError } from '../../src/storage/errors.js';
import type { BlobStore, ByteRange } from '../../src/storage/blob.js';

/** Only the stream form of the port, failing its first `failures` reads with a transient error. */
class StreamOnly implements BlobStore {
  gets = 0;
  constructor(
    private readonly inner: BlobStore,
    private failures = 0,
  ) {}
  put(key: string, body: Readable | Uint8Array, length: number) {
    return this.inner.put(key, body, length);
  }
  async get(key: string, range?: ByteRange): Promise<Readable> {
    this.gets++;
    if (this.failures > 0) {
      this.failures--;
      throw new ThrottledError('slow down');
    }
    return this.inner.get(key, range);
  }
  head(key: string) {
    return this.inner.head(key);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  list(prefix: string, options?: { cursor?: string; limit?: number }) {
    return this.inner.list(prefix, options);
  }
  close() {
    return this.inner.close();
  }
}

describe('getBytes through MeteredBlob and RetryingBlob', () => {
  let dir: string;
  let files: FsBlob;
  const bytes = Buffer.from('From: a@example.com\r\n\r\nbody\r\n');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'metered-bytes-'));
    files = new FsBlob(dir);
    await files.put('t/a/m/e1.eml', bytes, bytes.length);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('counts one blob get and the bytes of the range, as a streamed get would', async () => {
    const meter = new CallMeter();
    const blob = new MeteredBlob(new RetryingBlob(new StreamOnly(files)), meter);
    assert.deepEqual(await blob.getBytes('t/a/m/e1.eml', { start: 6, end: 9 }), bytes.subarray(6, 10));
    assert.equal(meter.counts.blob, 1);
    assert.deepEqual(meter.counts.byOp, { 'blob.get': 1 });
    assert.equal(meter.counts.blobBytesRead, 4);
    const scoped = CallMeter.zero();
    await meter.scope.run(scoped, () => blob.getBytes('t/a/m/e1.eml'));
    assert.equal(scoped.blobBytesRead, bytes.length);
    assert.deepEqual(scoped.byOp, { 'blob.get': 1 });
  });

  it('retries a transient failure of a stream-only store and reads the whole', async () => {
    const inner = new StreamOnly(files, 2);
    const retrying = new RetryingBlob(inner, { attempts: 4, baseMs: 1, capMs: 2 });
    assert.deepEqual(await retrying.getBytes('t/a/m/e1.eml'), bytes);
    assert.equal(inner.gets, 3);
    assert.equal(retrying.stats.retries, 2);
  });

  it('a missing key still rejects', async () => {
    const blob = new MeteredBlob(new RetryingBlob(files), new CallMeter());
    await assert.rejects(blob.getBytes('t/a/m/missing.eml'));
  });
});
