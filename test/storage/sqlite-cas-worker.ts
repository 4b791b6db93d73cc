// A separate process that does read-modify-CAS increments on one counter in a shared SQLite file
// (argv: file, pk, increments). Used by sqlite-fs.test.ts to prove atomicity across processes.
import { SqliteKv } from '../../src/storage/sqlite/sqlite-kv.js';
import { ConditionFailedError, TransactionConflictError } from '../../src/storage/errors.js';

const [file, pk, count] = process.argv.slice(2);
if (file === undefined || pk === undefined || count === undefined) throw new Error('usage: file pk increments');
const kv = new SqliteKv(file);
const key = { pk, sk: 'counter' };
let conflicts = 0;
for (let i = 0; i < Number(count); i++) {
  for (;;) {
    const n = (await kv.get('mail', key, { consistent: true }))?.n;
    if (typeof n !== 'number') throw new Error('counter missing');
    try {
      await kv.update('mail', key, { set: { n: n + 1 } }, { condition: { op: 'eq', attr: 'n', value: n } });
      break;
    } catch (error) {
      if (!(error instanceof ConditionFailedError) && !(error instanceof TransactionConflictError)) throw error;
      conflicts++;
    }
  }
}
await kv.close();
process.stdout.write(JSON.stringify({ conflicts }));
