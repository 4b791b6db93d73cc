// The quota function family as a Lambda handler (operations quota.*): no logic of its own.
import { makeLambdaHandler } from '../src/server/lambda.js';

export const handler = makeLambdaHandler('quota');
