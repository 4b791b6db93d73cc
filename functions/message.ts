// The message function family as a Lambda handler (operations message.*): no logic of its own.
import { makeLambdaHandler } from '../src/server/lambda.js';

export const handler = makeLambdaHandler('message');
