// The `lambda` invoker: each MailStore operation is one synchronous Invoke of its family's function
// (FUNCTION_OF) with the same JSON the inline invoker round-trips: `{ op, body }` in, an envelope out.
// Anything that is not an envelope — a function error (X-Amz-Function-Error), a timeout, a throttle, a network
// failure — becomes MailStoreError('UNAVAILABLE'): the IMAP command answers NO [UNAVAILABLE], the session lives on.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Envelope, Operation, RequestOf } from '../mailstore/api.js';
import { FUNCTION_OF } from '../mailstore/functions.js';
import { MailStoreError } from '../mailstore/errors.js';
import type { Invoker } from '../mailstore/invoker.js';

export interface LambdaInvokerOptions {
  client: LambdaClient;
  /** Function name or ARN per family (`auth`, `mailbox`, …). */
  functionNames: Record<string, string>;
  /** Reports why an invocation failed (the client sees only UNAVAILABLE). */
  onError?: (err: unknown, op: Operation) => void;
}

export class LambdaInvoker implements Invoker {
  private readonly client: LambdaClient;
  private readonly names: Record<string, string>;
  private readonly onError: (err: unknown, op: Operation) => void;

  constructor(options: LambdaInvokerOptions) {
    this.client = options.client;
    this.names = options.functionNames;
    this.onError = options.onError ?? (() => {});
  }

  async invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
    const family = FUNCTION_OF[op];
    const name = this.names[family];
    if (!name) throw new MailStoreError('UNAVAILABLE', `No function is configured for ${family} (STRATUS_FUNCTION_${family.toUpperCase()})`);
    let payload: unknown;
    try {
      const out = await this.client.send(
        new InvokeCommand({
          FunctionName: name,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify({ op, body: request }), 'utf8'),
        }),
      );
      const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
      if (out.FunctionError) throw new Error(`${name} failed (${out.FunctionError}): ${text.slice(0, 500)}`);
      payload = JSON.parse(text);
    } catch (err) {
      this.onError(err, op);
      throw new MailStoreError('UNAVAILABLE', `The ${family} function is unavailable`);
    }
    if (!isEnvelope(payload)) {
      this.onError(new Error(`${name} answered ${op} with something that is not an envelope`), op);
      throw new MailStoreError('UNAVAILABLE', `The ${family} function answered badly`);
    }
    return payload as Envelope<O>;
  }
}

function isEnvelope(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; result?: unknown; error?: { code?: unknown } };
  if (v.ok === true) return 'result' in v;
  return v.ok === false && typeof v.error === 'object' && v.error !== null && typeof v.error.code === 'string';
}

/** The client for the invoker: timeouts bounded so a stuck function never hangs a session for long. */
export function makeLambdaClient(options: { region: string; endpoint?: string; timeoutMs: number }): LambdaClient {
  return new LambdaClient({
    region: options.region,
    endpoint: options.endpoint,
    maxAttempts: 2,
    requestHandler: { requestTimeout: options.timeoutMs, connectionTimeout: 3_000, throwOnRequestTimeout: true },
  });
}
