// Every item of one partition with a sort-key prefix, strongly consistent, page after page.
import type { KvItem } from '../storage/kv.js';
import type { StoreContext } from './context.js';

export async function queryAll(ctx: StoreContext, pk: string, prefix: string): Promise<KvItem[]> {
  const out: KvItem[] = [];
  let cursor: string | undefined;
  do {
    // DynamoDB refuses begins_with on an empty string: the whole partition is a query without a sort-key condition.
    const page = await ctx.kv.query('mail', { pk, ...(prefix ? { sk: { beginsWith: prefix } } : {}), cursor, consistent: true });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return out;
}
