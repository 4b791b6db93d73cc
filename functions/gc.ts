// The blob GC as a Lambda handler, invoked daily by an EventBridge schedule (cdk/stack.ts): no logic of its own.
import { makeGcHandler } from '../src/server/gc-handler.js';

export const handler = makeGcHandler();
