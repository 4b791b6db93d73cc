// The shared KV and Blob conformance suites against the AWS adapters, on DynamoDB Local and the S3 stand-in that
// test/run.mjs starts. A missing endpoint is a failure, never a skip: these adapters must be tested on every run.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoKv } from '../../src/storage/dynamodb/dynamo-kv.js';
import { S3Blob } from '../../src/storage/s3/s3-blob.js';
import { kvConformance } from './kv-conformance.js';
import { blobConformance } from './blob-conformance.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the tests with \`node test/run.mjs\` (npm test), which starts the services`);
  }
  return value;
}

const run = randomUUID().slice(0, 8);
const tables = { mail: `stratus-test-${run}-mail`, msgmeta: `stratus-test-${run}-msgmeta` };
const clients: { destroy(): void }[] = [];
let tablesCreated: Promise<DynamoDBClient> | undefined;

/** Creates this run's tables once; every suite that opens a store shares them. */
function dynamoClient(): Promise<DynamoDBClient> {
  tablesCreated ??= (async () => {
    const client = new DynamoDBClient({ endpoint: requiredEnv('STRATUS_TEST_DYNAMODB_ENDPOINT'), region, credentials });
    clients.push(client);
    await DynamoKv.createTables(client, tables);
    return client;
  })();
  return tablesCreated;
}

function s3Client(): S3Client {
  const client = new S3Client({
    endpoint: requiredEnv('STRATUS_TEST_S3_ENDPOINT'),
    region,
    credentials,
    forcePathStyle: true,
    // Without this the SDK sends streamed bodies aws-chunked with a trailing checksum (see DESIGN.md).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  clients.push(client);
  return client;
}

describe('AWS test services', () => {
  it('are configured by the test runner', () => {
    for (const name of ['STRATUS_TEST_DYNAMODB_ENDPOINT', 'STRATUS_TEST_S3_ENDPOINT', 'STRATUS_TEST_S3_BUCKET']) {
      assert.ok(process.env[name], `${name} is not set: run the tests with \`node test/run.mjs\` (npm test)`);
    }
  });
});

kvConformance('DynamoKv on DynamoDB Local', async () => {
  const client = await dynamoClient();
  return new DynamoKv({ client, tables });
});

blobConformance('S3Blob on the S3 stand-in', async () => {
  return new S3Blob({ client: s3Client(), bucket: requiredEnv('STRATUS_TEST_S3_BUCKET'), prefix: `run-${run}/` });
});

after(async () => {
  // DynamoDB Local is in-memory and dies with the run; dropping the tables keeps a shared endpoint tidy anyway.
  if (tablesCreated !== undefined) {
    const client = await tablesCreated;
    for (const name of [tables.mail, tables.msgmeta]) await client.send(new DeleteTableCommand({ TableName: name }));
  }
  for (const client of clients) client.destroy();
});
