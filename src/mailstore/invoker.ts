// How a frontend reaches the functions. `inline` runs them in this process but still passes every request and
// response through JSON, so anything that would not survive a Lambda invocation fails here first.
import type { Envelope, Operation, RequestOf } from './api.js';
import type { StoreContext } from './context.js';
import { handleRequest } from './functions.js';

export interface Invoker {
  invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>>;
}

export class InlineInvoker implements Invoker {
  constructor(private readonly ctx: StoreContext) {}

  async invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
    const wireRequest: unknown = JSON.parse(JSON.stringify(request));
    const envelope = await handleRequest(this.ctx, op, wireRequest);
    return JSON.parse(JSON.stringify(envelope)) as Envelope<O>;
  }
}
