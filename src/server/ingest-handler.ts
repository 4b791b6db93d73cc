// Lambda wiring of the ingest function (functions/ingest.ts): an SES receipt event is delivered (src/mailstore/
// delivery-ses.ts) with the raw message read from the bucket the event names; any other event is a MailStore request
// of the ingest family (deliver.*, from an LMTP frontend using the lambda invoker). A recipient that must be retried
// makes the invocation fail after the others are delivered, so Lambda's retry of the asynchronous SES invocation
// tries it again (delivered recipients are not stored twice).
import { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { loadConfig, type Config } from '../config.js';
import { ingestSesEvent, isSesEvent, type IngestResult, type ObjectLocation } from '../mailstore/delivery-ses.js';
import { S3Blob } from '../storage/s3/s3-blob.js';
import { containerHints, containerSeals, hintsFromConfig, makeLambdaHandler, type FunctionEvent } from './lambda.js';
import { sealRequestsFromConfig } from './seal-requests.js';
import { openStore, type Store } from './store.js';

export class IngestRetryError extends Error {
  override name = 'IngestRetryError';
  constructor(readonly result: IngestResult) {
    const failed = result.records.flatMap((r) => r.outcomes.filter((o) => o.status === 'temporary-failure' || o.status === 'over-quota'));
    super(`Delivery must be retried for ${failed.map((o) => `${o.recipient} (${o.status})`).join(', ')}`);
  }
}

export type ObjectReader = (location: ObjectLocation, maxBytes: number) => Promise<Buffer>;

/** Reads SES's object with the S3 client of the configured region/endpoint, refusing more than `maxBytes`. */
export function s3ObjectReader(config: Config): ObjectReader {
  const client = new S3Client({
    region: config.aws.region,
    endpoint: config.aws.s3Endpoint,
    forcePathStyle: config.aws.s3Endpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return async ({ bucket, key }, maxBytes) => readAll(await new S3Blob({ client, bucket }).get(key), maxBytes);
}

export async function readAll(stream: Readable, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > maxBytes) {
      stream.destroy();
      throw new Error(`The message is larger than ${maxBytes} bytes`);
    }
    parts.push(buf);
  }
  return Buffer.concat(parts, total);
}

export function makeIngestHandler(
  open: () => { store: Store; config: Config; reader: ObjectReader } = () => {
    const config = loadConfig();
    return { store: openStore(config), config, reader: s3ObjectReader(config) };
  },
) {
  let opened: ReturnType<typeof open> | undefined;
  const requests = makeLambdaHandler('ingest', () => (opened ??= open()).store);
  return async (event: unknown): Promise<unknown> => {
    if (!isSesEvent(event)) return requests(event as FunctionEvent);
    opened ??= open();
    const { store, config, reader } = opened;
    const hints = containerHints(store, () => hintsFromConfig(config.redisUrl)); // deliveries wake IDLE clients too
    const seals = containerSeals(store, () => sealRequestsFromConfig(config)); // deliveries make seals due too
    let result: IngestResult;
    try {
      result = await ingestSesEvent(store.ctx, event, {
        readObject: (location) => reader(location, store.ctx.maxMessageBytes),
        inbound: config.ingest,
      });
    } finally {
      await Promise.all([hints?.flush(), seals?.flush()]);
    }
    if (result.retry) throw new IngestRetryError(result);
    return result;
  };
}
