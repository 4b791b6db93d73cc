// The auth function family as a Lambda handler (operations auth.*): no logic of its own.
import { makeLambdaHandler } from '../src/server/lambda.js';

export const handler = makeLambdaHandler('auth');
