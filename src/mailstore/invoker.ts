// How a frontend reaches the functions. `inline` runs them in this process; `lambda` (src/server/lambda-invoker.ts)
// calls the deployed functions. Both end in the same `handleRequest`, which validates every request with its zod
// schema (and so hands the handler a copy of it, never the caller's objects).
//
// The inline invoker's wire form (the default, and what the tests use) also passes every request and response
// through JSON, so anything that would not survive a Lambda invocation (a Buffer, a Date, an undefined) fails here
// first. `stratus serve` runs it without (`wire: false`): in one process the JSON round trip only costs CPU on
// every command, and test/mailstore/inline-invoker.test.ts checks that both forms give the same answers.
import type { Envelope, Operation, RequestOf } from './api.js';
import type { StoreContext } from './context.js';
import { handleRequest } from './functions.js';

export interface Invoker {
  invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>>;
}

export interface InlineOptions {
  /** Requests and responses through JSON, as over Lambda (default true). */
  wire?: boolean;
}

export class InlineInvoker implements Invoker {
  private readonly wire: boolean;

  constructor(
    private readonly ctx: StoreContext,
    options: InlineOptions = {},
  ) {
    this.wire = options.wire ?? true;
  }

  async invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
    if (!this.wire) return handleRequest(this.ctx, op, request);
    const wireRequest: unknown = JSON.parse(JSON.stringify(request));
    const envelope = await handleRequest(this.ctx, op, wireRequest);
    return JSON.parse(JSON.stringify(envelope)) as Envelope<O>;
  }
}
