#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner (TypeScript through tsx).
// Services the tests need (DynamoDB Local, the S3 stand-in) are started by test/services.mjs before the run and
// handed to the tests through STRATUS_TEST_* variables; if they cannot start, the run fails.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServices } from './services.mjs';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = process.argv.length > 2 ? process.argv.slice(2) : find('test').sort();

/** Endpoints already in the environment (services a developer keeps running between runs) are used as they are. */
function servicesFromEnv() {
  const { STRATUS_TEST_DYNAMODB_ENDPOINT, STRATUS_TEST_S3_ENDPOINT, STRATUS_TEST_S3_BUCKET } = process.env;
  if (!STRATUS_TEST_DYNAMODB_ENDPOINT || !STRATUS_TEST_S3_ENDPOINT || !STRATUS_TEST_S3_BUCKET) return undefined;
  return {
    dynamodbEndpoint: STRATUS_TEST_DYNAMODB_ENDPOINT,
    s3Endpoint: STRATUS_TEST_S3_ENDPOINT,
    s3Bucket: STRATUS_TEST_S3_BUCKET,
    async stop() {},
  };
}

let services = servicesFromEnv();
if (services === undefined) {
  try {
    services = await startServices();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}

// A hung test (or a file that leaves a handle open) fails after this instead of eating CI's whole time budget.
// It bounds each test and each file as a whole, so it is generous.
const TEST_TIMEOUT_MS = 4 * 60 * 1000;

// Async spawn (not spawnSync) so this process keeps draining the services' output while the tests run.
const status = await new Promise((resolve) => {
  const args = ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files];
  const child = spawn(process.execPath, args, {
    stdio: 'inherit',
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      STRATUS_TEST_DYNAMODB_ENDPOINT: services.dynamodbEndpoint,
      STRATUS_TEST_S3_ENDPOINT: services.s3Endpoint,
      STRATUS_TEST_S3_BUCKET: services.s3Bucket,
    },
  });
  child.on('error', (err) => {
    console.error(`could not run the tests: ${err.message}`);
    resolve(1);
  });
  child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});

await services.stop();
process.exit(status);
