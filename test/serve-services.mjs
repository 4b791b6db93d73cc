#!/usr/bin/env node
// Keeps the test services running for a development session: prints the exports that make `node test/run.mjs`
// (and `node --test` on one file) use them instead of starting their own. Ctrl-C stops them.
import { startServices } from './services.mjs';

const services = await startServices();
console.log(`export STRATUS_TEST_DYNAMODB_ENDPOINT=${services.dynamodbEndpoint}`);
console.log(`export STRATUS_TEST_S3_ENDPOINT=${services.s3Endpoint}`);
console.log(`export STRATUS_TEST_S3_BUCKET=${services.s3Bucket}`);
// services.mjs ends the children on SIGINT/SIGTERM; this timer only keeps the process alive until then.
setInterval(() => {}, 1 << 30);
