// The search-segment seal as a Lambda handler, fed by the seal-request SQS FIFO queue (cdk/stack.ts): no logic of its own.
import { makeSealHandler } from '../src/server/seal-handler.js';

export const handler = makeSealHandler();
