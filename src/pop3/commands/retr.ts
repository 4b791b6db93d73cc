// RETR msg and TOP msg n (RFC 1939 §5, §7): the message streamed from the blob store through the dot-stuffer, one
// chunk at a time with backpressure; TOP stops reading once the header and n body lines are out.
import type { CommandContext, CommandSpec } from '../context.js';
import { transactionOf } from '../context.js';
import { DotStuffer } from '../dot-stuffer.js';
import { parseLineCount, parseMessageNumber } from '../parser.js';
import { fail } from '../responses.js';

async function send(ctx: CommandContext, number: number | undefined, bodyLines: number | undefined): Promise<void> {
  const { maildrop, token } = transactionOf(ctx);
  const message = maildrop.get(number);
  // Open before answering +OK, so a missing body is still an -ERR rather than a broken multi-line response.
  const body = await ctx.deps.store.openBody(token, maildrop.blobPrefix, message.emailId);
  const stuffer = new DotStuffer(bodyLines);
  try {
    await ctx.out.write(`+OK ${message.size} octets\r\n`);
    for await (const chunk of body) {
      for (const piece of stuffer.push(chunk as Buffer)) await ctx.out.write(piece);
      if (stuffer.finished) break;
    }
    for (const piece of stuffer.end()) await ctx.out.write(piece);
  } finally {
    body.destroy();
  }
}

export const retr: CommandSpec = {
  states: ['transaction'],
  async run(command, ctx) {
    if (command.args.length !== 1) throw fail('RETR takes one argument');
    await send(ctx, parseMessageNumber(command.args[0]), undefined);
  },
};

export const top: CommandSpec = {
  states: ['transaction'],
  async run(command, ctx) {
    if (command.args.length !== 2) throw fail('TOP takes a message number and a line count');
    const lines = parseLineCount(command.args[1]);
    if (lines === undefined) throw fail('Invalid line count');
    await send(ctx, parseMessageNumber(command.args[0]), lines);
  },
};
