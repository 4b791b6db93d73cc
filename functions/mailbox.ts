// The mailbox function family as a Lambda handler (operations mailbox.*): no logic of its own.
import { makeLambdaHandler } from '../src/server/lambda.js';

export const handler = makeLambdaHandler('mailbox');
