// THREAD and UID THREAD (RFC 5256 §3), algorithms ORDEREDSUBJECT and REFERENCES (session/threading.ts): SEARCH's
// criteria pick the messages (session/search-scan.ts); the subject, dates and Message-ID / References /
// In-Reply-To come from the cold item's header cache.
import type { ThreadCommand } from '../command.js';
import type { Handler } from '../session/context.js';
import { done, selectedView } from '../session/context.js';
import { threadData } from '../encoder.js';
import { checkCharset, scanView } from '../session/search-scan.js';
import { sentDate } from '../session/sort-keys.js';
import { orderedSubject, referencesThreads } from '../session/threading.js';
import type { ThreadMessage } from '../session/threading.js';

export const thread: Handler<ThreadCommand> = async (command, ctx) => {
  const view = selectedView(ctx);
  checkCharset(command.charset);
  const messages = await scanView(
    command.key,
    ctx.state.user?.meta,
    view,
    (m): ThreadMessage => ({
      seq: m.seq,
      number: command.uid ? m.uid : m.seq,
      sent: sentDate(m.index, m.date),
      subject: m.index?.hdr.subject ?? null,
      messageId: m.index?.hdr.messageId ?? null,
      references: m.index?.hdr.references ?? null,
      inReplyTo: m.index?.hdr.inReplyTo ?? null,
    }),
    true,
  );
  const threads = command.algorithm === 'REFERENCES' ? referencesThreads(messages) : orderedSubject(messages);
  await ctx.out.send(threadData(threads));
  return done(`${command.uid ? 'UID THREAD' : 'THREAD'} completed`);
};
