#!/usr/bin/env node
// The S3 stand-in for tests: fauxqs (in-memory S3) on 127.0.0.1, a free port, one bucket. Run as a child of
// test/services.mjs; prints one JSON line {"port": N, "bucket": "..."} when ready and exits when its stdin closes
// (the parent is gone), so it never outlives the test run.
//
// Why fauxqs and not s3rver 3.7.1: s3rver writes an upload straight over the object file, so an aborted PUT leaves
// a truncated object (real S3 keeps nothing, or the previous version); it lists keys in file-system order instead
// of UTF-8 byte order; and it does not clamp a range that runs past the end. The blob conformance suite checks all
// three. fauxqs's own startFauxqs() listens on 0.0.0.0, so we assemble the server from its buildApp() and listen
// on loopback ourselves.
import { buildApp } from 'fauxqs';

const bucket = process.env.STRATUS_S3_STANDIN_BUCKET ?? 'stratus-test';

// The stores are not in fauxqs's export map; import them by file next to the entry point (fauxqs is pinned).
const entry = import.meta.resolve('fauxqs');
const { S3Store } = await import(new URL('./s3/s3Store.js', entry).href);
const { SqsStore } = await import(new URL('./sqs/sqsStore.js', entry).href);
const { SnsStore } = await import(new URL('./sns/snsStore.js', entry).href);

const s3Store = new S3Store();
const app = buildApp({ logger: false, stores: { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store } });

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  try {
    await app.close();
  } catch {
    // never started, or already closed: nothing to release
  }
  process.exit(code);
}

process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
// The parent holds our stdin open; when it ends (parent exited or crashed) we must not linger.
process.stdin.on('end', () => void stop(0));
process.stdin.on('error', () => void stop(0));
process.stdin.resume();

try {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  s3Store.createBucket(bucket);
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port), bucket })}\n`);
} catch (err) {
  process.stderr.write(`S3 stand-in failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  await stop(1);
}
