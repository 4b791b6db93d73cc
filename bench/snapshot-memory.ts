// Where the memory of opening a big index snapshot goes (issue #8 item 3): writes an N-message snapshot to the blob
// store of either backend (files, or the S3 stand-in), then reads it back in a fresh child process the way the
// frontend does (MailStoreClient.readIndexSnapshot: blob GET → decode), sampling process.memoryUsage() after a full
// GC at each step: before, after the blob is read, after it is decoded, after the compressed bytes are dropped.
// `--legacy` writes the version-1 format (one zlib stream, no size header) to see what the old path costs.
//
//   npx tsx bench/snapshot-memory.ts --backend sqlite --messages 1000000
//   npx tsx bench/snapshot-memory.ts --backend aws --messages 1000000 [--legacy]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from '../src/storage/blob.js';
import { FsBlob } from '../src/storage/fs/fs-blob.js';
import { S3Blob } from '../src/storage/s3/s3-blob.js';
import { HotColumns } from '../src/mailstore/hot-columns.js';
import { decodeSnapshot, encodeSnapshot, encodeSnapshotV1, type DecodedSnapshot } from '../src/mailstore/index-snapshot.js';
import { readSnapshotBytes } from '../src/mailstore/snapshots.js';
import { newId } from '../src/mailstore/ids.js';
import { FLAG_FLAGGED, FLAG_SEEN } from '../src/mailstore/flags.js';

const KEY = 'x/bench/1-snapshot.snap';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function blobStore(backend: string, where: string): BlobStore {
  if (backend === 'sqlite') return new FsBlob(where);
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: process.env.SNAP_S3_ENDPOINT,
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return new S3Blob({ client: s3, bucket: where });
}

/** The mailbox big-mailbox.ts generates, as columns only. */
function columnsOf(n: number): HotColumns {
  const cols = new HotColumns();
  const base = Date.UTC(2020, 0, 1);
  for (let uid = 1; uid <= n; uid++) {
    const date = base + uid * 60_000;
    const flags = (uid % 10 < 7 ? FLAG_SEEN : 0) | (uid % 50 === 0 ? FLAG_FLAGGED : 0);
    cols.push({ uid, flags, keywords: uid % 100 === 0 ? ['$Junk'] : [], modseq: 5, size: 2000 + ((uid * 7919) % 60000), date, emailId: newId(date), saveDate: date });
  }
  return cols;
}

async function readAndDecode(blob: BlobStore, onRead: () => void): Promise<DecodedSnapshot> {
  const bytes = await readSnapshotBytes(await blob.get(KEY));
  onRead();
  return decodeSnapshot(bytes);
}

async function child(backend: string, where: string): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const mb = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;
  const samples: Record<string, Record<string, number>> = {};
  let first: NodeJS.MemoryUsage | undefined;
  const sample = (step: string): void => {
    gc();
    gc();
    const m = process.memoryUsage();
    first ??= m;
    samples[step] = { rss: mb(m.rss - first.rss), heapUsed: mb(m.heapUsed - first.heapUsed), external: mb(m.external - first.external), arrayBuffers: mb(m.arrayBuffers - first.arrayBuffers) };
  };
  const blob = blobStore(backend, where);
  // Warm the client (module loading, sockets) on a tiny object first so that it is not counted.
  await blob.put('x/bench/warm', Buffer.from('warm'), 4);
  for await (const chunk of await blob.get('x/bench/warm')) void chunk;
  sample('before');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let readMs = 0;
  // In its own function, as MailStoreClient.readIndexSnapshot does it, so no frame of ours holds the blob's bytes.
  const decoded = await readAndDecode(blob, () => {
    readMs = Number(process.hrtime.bigint() - t0) / 1e6;
    sample('read');
  });
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  sample('decoded');
  process.stdout.write(JSON.stringify({ backend, messages: decoded.columns.length, readMs, totalMs, cpuMs: (cpu.user + cpu.system) / 1000, deltaMB: samples }) + '\n');
}

async function main(): Promise<void> {
  const backend = arg('--backend') ?? 'sqlite';
  if (process.argv.includes('--child')) return child(backend, arg('--where')!);
  const n = Number(arg('--messages') ?? 1_000_000);
  const legacy = process.argv.includes('--legacy');
  let where: string;
  let stop = async (): Promise<void> => undefined;
  const env: Record<string, string> = {};
  const dir = mkdtempSync(join(tmpdir(), 'stratus-snapmem-'));
  if (backend === 'aws') {
    // DynamoDB Local and fauxqs as the tests start them (only fauxqs is used here).
    const { startServices } = (await import('../test/services.mjs')) as { startServices(): Promise<{ s3Endpoint: string; s3Bucket: string; stop(): Promise<void> }> };
    const ep = await startServices();
    stop = ep.stop;
    where = ep.s3Bucket;
    env.SNAP_S3_ENDPOINT = ep.s3Endpoint;
    process.env.SNAP_S3_ENDPOINT = ep.s3Endpoint;
  } else {
    where = dir;
  }
  try {
    const body = (legacy ? encodeSnapshotV1 : encodeSnapshot)(columnsOf(n), 5);
    await blobStore(backend, where).put(KEY, body, body.length);
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', process.argv[1]!, '--child', '--backend', backend, '--where', where], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      p.stdout.on('data', (c: Buffer) => (text += c.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}`))));
    });
    const result = JSON.parse(out) as Record<string, unknown>;
    console.log(JSON.stringify({ ...result, format: legacy ? 1 : 2, snapshotBytes: body.length }, null, 2));
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
