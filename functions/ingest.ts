// The ingest function as a Lambda handler: SES receipt events and deliver.* requests. No logic of its own.
import { makeIngestHandler } from '../src/server/ingest-handler.js';

export const handler = makeIngestHandler();
