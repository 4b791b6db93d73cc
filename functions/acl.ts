// The acl function family as a Lambda handler (operations acl.*, RFC 4314): no logic of its own.
import { makeLambdaHandler } from '../src/server/lambda.js';

export const handler = makeLambdaHandler('acl');
