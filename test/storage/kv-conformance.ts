// The KV port's behaviour, as every adapter must show it (DynamoDB semantics and limits). Port behaviour only:
// nothing here knows which backend it runs on. Every test writes under its own partition keys, so one store
// can be shared by all tests and by several runs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Condition, KvItem, KvKey, KvStore, KvValue, TableName, TxAction, Update } from '../../src/storage/kv.js';
import { ConditionFailedError, LimitExceededError, StorageError, TransactionConflictError } from '../../src/storage/errors.js';

/** Binary values compared by their bytes, whatever Uint8Array subclass an adapter returns. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function assertItem(actual: KvItem | undefined, expected: KvItem | undefined, message?: string): void {
  assert.deepEqual(plain(actual), plain(expected), message);
}

/** The rejection a promise ends with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to be rejected');
}

async function conditionFailure(promise: Promise<unknown>): Promise<ConditionFailedError> {
  const error = await rejection(promise);
  assert.ok(error instanceof ConditionFailedError, `expected ConditionFailedError, got ${String(error)}`);
  return error;
}

async function limitFailure(promise: Promise<unknown>): Promise<void> {
  const error = await rejection(promise);
  assert.ok(error instanceof LimitExceededError, `expected LimitExceededError, got ${String(error)}`);
}

async function collectQuery(store: KvStore, table: TableName, input: Parameters<KvStore['query']>[1]) {
  const pages: KvItem[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query(table, { consistent: true, ...input, cursor });
    pages.push(page.items);
    cursor = page.cursor;
    assert.ok(pages.length < 1000, 'query paging does not end');
  } while (cursor !== undefined);
  return { pages, items: pages.flat() };
}

const sks = (items: KvItem[]): string[] => items.map((item) => item.sk);

export function kvConformance(name: string, open: () => Promise<KvStore>): void {
  describe(name, () => {
    let store: KvStore;
    const run = randomUUID().slice(0, 8);
    let serial = 0;
    /** A partition key no other test (or earlier run) uses. */
    const pk = (label: string): string => `kvc-${run}-${label}-${serial++}`;

    before(async () => {
      store = await open();
    });
    after(async () => {
      await store.close();
    });

    describe('get, put, delete', () => {
      it('returns undefined for a missing item', async () => {
        assert.equal(await store.get('mail', { pk: pk('missing'), sk: 'x' }), undefined);
      });

      it('round-trips every value type exactly, in both tables', async () => {
        const allBytes = new Uint8Array(256).map((_, i) => i);
        for (const table of ['mail', 'msgmeta'] as const) {
          const item: KvItem = {
            pk: pk('types'),
            sk: 'S#1',
            str: 'héllo wörld ✉ \u{1F600}',
            empty: '',
            int: 42,
            negative: -7,
            float: 3.25,
            big: 2 ** 53 - 1,
            zero: 0,
            yes: true,
            no: false,
            nothing: null,
            bin: allBytes,
            emptyBin: new Uint8Array(0),
            list: [1, 'two', false, null, new Uint8Array([0, 255]), [3], { x: 'y' }],
            emptyList: [],
            map: { a: 1, nested: { deep: [{ bin: new Uint8Array([9, 8, 7]) }] }, 'key with spaces': 'v' },
            emptyMap: {},
          };
          await store.put(table, item);
          const got = await store.get(table, { pk: item.pk, sk: item.sk }, { consistent: true });
          assertItem(got, item, `round trip in ${table}`);
          assert.ok(got?.bin instanceof Uint8Array, 'binary comes back as a Uint8Array');
        }
      });

      it('keeps the tables apart', async () => {
        const key = { pk: pk('tables'), sk: 'X' };
        await store.put('mail', { ...key, where: 'mail' });
        assert.equal(await store.get('msgmeta', key, { consistent: true }), undefined);
        await store.put('msgmeta', { ...key, where: 'msgmeta' });
        assert.equal((await store.get('mail', key, { consistent: true }))?.where, 'mail');
        assert.equal((await store.get('msgmeta', key, { consistent: true }))?.where, 'msgmeta');
      });

      it('put replaces the whole item', async () => {
        const key = { pk: pk('replace'), sk: 'A' };
        await store.put('mail', { ...key, a: 1, b: 2 });
        await store.put('mail', { ...key, c: 3 });
        assertItem(await store.get('mail', key, { consistent: true }), { ...key, c: 3 });
      });

      it('delete removes the item, and deleting a missing item is not an error', async () => {
        const key = { pk: pk('delete'), sk: 'A' };
        await store.put('mail', { ...key, a: 1 });
        await store.delete('mail', key);
        assert.equal(await store.get('mail', key, { consistent: true }), undefined);
        await store.delete('mail', key);
        await store.delete('mail', { pk: pk('never'), sk: 'never' });
      });

      it('a stored item does not alias the caller’s objects', async () => {
        const key = { pk: pk('alias'), sk: 'A' };
        const item: KvItem = { ...key, list: [1], bin: new Uint8Array([1, 2]) };
        await store.put('mail', item);
        (item.list as KvValue[]).push(2);
        (item.bin as Uint8Array)[0] = 99;
        assertItem(await store.get('mail', key, { consistent: true }), { ...key, list: [1], bin: new Uint8Array([1, 2]) });
      });
    });

    describe('conditions', () => {
      const key = (): KvKey => ({ pk: pk('cond'), sk: 'C' });
      const base = { n: 5, s: 'm', t: true, e: '\uFF01' };

      /** Whether a conditional update on the item passes; a failure must leave the item unchanged. */
      async function holds(k: KvKey, condition: Condition): Promise<boolean> {
        const before = await store.get('mail', k, { consistent: true });
        try {
          await store.update('mail', k, { add: { probes: 1 } }, { condition });
          return true;
        } catch (error) {
          if (!(error instanceof ConditionFailedError)) throw error;
          assert.equal(error.actionIndex, 0);
          assertItem(error.current, before, 'the failure carries the current item');
          assertItem(await store.get('mail', k, { consistent: true }), before, 'a failed write changes nothing');
          return false;
        }
      }

      const cases: Array<[string, Condition, boolean]> = [
        ['eq number', { op: 'eq', attr: 'n', value: 5 }, true],
        ['eq number, other value', { op: 'eq', attr: 'n', value: 6 }, false],
        ['eq string', { op: 'eq', attr: 's', value: 'm' }, true],
        ['eq boolean', { op: 'eq', attr: 't', value: true }, true],
        ['eq boolean, other value', { op: 'eq', attr: 't', value: false }, false],
        ['eq with another type', { op: 'eq', attr: 'n', value: '5' }, false],
        ['ne with another type', { op: 'ne', attr: 'n', value: '5' }, true],
        ['eq missing', { op: 'eq', attr: 'missing', value: 5 }, false],
        ['ne number', { op: 'ne', attr: 'n', value: 6 }, true],
        ['ne same value', { op: 'ne', attr: 'n', value: 5 }, false],
        ['ne missing is true', { op: 'ne', attr: 'missing', value: 5 }, true],
        ['lt', { op: 'lt', attr: 'n', value: 6 }, true],
        ['lt equal', { op: 'lt', attr: 'n', value: 5 }, false],
        ['le equal', { op: 'le', attr: 'n', value: 5 }, true],
        ['le below', { op: 'le', attr: 'n', value: 4 }, false],
        ['gt', { op: 'gt', attr: 'n', value: 4 }, true],
        ['gt equal', { op: 'gt', attr: 'n', value: 5 }, false],
        ['ge equal', { op: 'ge', attr: 'n', value: 5 }, true],
        ['ge above', { op: 'ge', attr: 'n', value: 6 }, false],
        ['gt negative', { op: 'gt', attr: 'n', value: -10 }, true],
        ['lt string', { op: 'lt', attr: 's', value: 'n' }, true],
        ['gt string', { op: 'gt', attr: 's', value: 'n' }, false],
        ['strings compare by UTF-8 bytes', { op: 'gt', attr: 'e', value: '\u{1F600}' }, false],
        ['lt missing', { op: 'lt', attr: 'missing', value: 5 }, false],
        ['le missing', { op: 'le', attr: 'missing', value: 5 }, false],
        ['gt missing', { op: 'gt', attr: 'missing', value: 5 }, false],
        ['ge missing', { op: 'ge', attr: 'missing', value: 5 }, false],
        ['exists', { op: 'exists', attr: 'n' }, true],
        ['exists missing', { op: 'exists', attr: 'missing' }, false],
        ['notExists', { op: 'notExists', attr: 'missing' }, true],
        ['notExists present', { op: 'notExists', attr: 'n' }, false],
        ['item exists (pk)', { op: 'exists', attr: 'pk' }, true],
        ['item does not exist (pk)', { op: 'notExists', attr: 'pk' }, false],
        ['and true', { op: 'and', conditions: [{ op: 'eq', attr: 'n', value: 5 }, { op: 'exists', attr: 's' }] }, true],
        ['and false', { op: 'and', conditions: [{ op: 'eq', attr: 'n', value: 5 }, { op: 'exists', attr: 'missing' }] }, false],
        ['or true', { op: 'or', conditions: [{ op: 'eq', attr: 'n', value: 1 }, { op: 'exists', attr: 's' }] }, true],
        ['or false', { op: 'or', conditions: [{ op: 'eq', attr: 'n', value: 1 }, { op: 'exists', attr: 'missing' }] }, false],
        ['not', { op: 'not', condition: { op: 'eq', attr: 'n', value: 1 } }, true],
        ['not of a comparison on a missing attribute', { op: 'not', condition: { op: 'eq', attr: 'missing', value: 1 } }, true],
        ['not not', { op: 'not', condition: { op: 'not', condition: { op: 'exists', attr: 'missing' } } }, false],
      ];

      for (const [label, condition, expected] of cases) {
        it(`${label} → ${expected}`, async () => {
          const k = key();
          await store.put('mail', { ...k, ...base });
          assert.equal(await holds(k, condition), expected);
        });
      }

      it('on a missing item, only notExists / ne hold', async () => {
        const missing = (): KvKey => ({ pk: pk('cond-missing'), sk: 'C' });
        assert.equal(await holds(missing(), { op: 'exists', attr: 'pk' }), false);
        assert.equal(await holds(missing(), { op: 'eq', attr: 'n', value: 1 }), false);
        assert.equal(await holds(missing(), { op: 'notExists', attr: 'pk' }), true);
        assert.equal(await holds(missing(), { op: 'ne', attr: 'n', value: 1 }), true);
      });

      it('conditional put: notExists(pk) creates once, then fails with the current item', async () => {
        const k = key();
        await store.put('mail', { ...k, v: 1 }, { condition: { op: 'notExists', attr: 'pk' } });
        const error = await conditionFailure(store.put('mail', { ...k, v: 2 }, { condition: { op: 'notExists', attr: 'pk' } }));
        assert.equal(error.actionIndex, 0);
        assertItem(error.current, { ...k, v: 1 });
        assertItem(await store.get('mail', k, { consistent: true }), { ...k, v: 1 });
      });

      it('conditional delete: a failed condition keeps the item', async () => {
        const k = key();
        await store.put('mail', { ...k, v: 1 });
        const error = await conditionFailure(store.delete('mail', k, { condition: { op: 'eq', attr: 'v', value: 2 } }));
        assertItem(error.current, { ...k, v: 1 });
        assertItem(await store.get('mail', k, { consistent: true }), { ...k, v: 1 });
        await store.delete('mail', k, { condition: { op: 'eq', attr: 'v', value: 1 } });
        assert.equal(await store.get('mail', k, { consistent: true }), undefined);
      });

      it('a failed condition on a missing item carries no current item', async () => {
        const k = key();
        const error = await conditionFailure(store.delete('mail', k, { condition: { op: 'exists', attr: 'pk' } }));
        assert.equal(error.current, undefined);
      });
    });

    describe('update', () => {
      it('sets, adds and removes, and returns the new item', async () => {
        const k = { pk: pk('upd'), sk: 'U' };
        await store.put('mail', { ...k, a: 1, b: 'x', c: true, n: 10 });
        const result = await store.update('mail', k, { set: { b: 'y', d: { m: [1, 2] } }, add: { n: -3, fresh: 2 }, remove: ['c'] });
        const expected = { ...k, a: 1, b: 'y', d: { m: [1, 2] }, n: 7, fresh: 2 };
        assertItem(result, expected);
        assertItem(await store.get('mail', k, { consistent: true }), expected);
      });

      it('creates the item when it is missing (upsert), add counting from 0', async () => {
        const k = { pk: pk('upsert'), sk: 'U' };
        const result = await store.update('mail', k, { set: { s: 'v' }, add: { count: 1 } });
        assertItem(result, { ...k, s: 'v', count: 1 });
        assertItem(await store.get('mail', k, { consistent: true }), { ...k, s: 'v', count: 1 });
      });

      it('a condition can prevent the upsert', async () => {
        const k = { pk: pk('no-upsert'), sk: 'U' };
        const error = await conditionFailure(store.update('mail', k, { add: { count: 1 } }, { condition: { op: 'exists', attr: 'pk' } }));
        assert.equal(error.actionIndex, 0);
        assert.equal(error.current, undefined);
        assert.equal(await store.get('mail', k, { consistent: true }), undefined);
      });

      it('compare-and-swap on a version attribute', async () => {
        const k = { pk: pk('cas'), sk: 'U' };
        await store.put('mail', { ...k, ver: 1 });
        await store.update('mail', k, { set: { ver: 2 } }, { condition: { op: 'eq', attr: 'ver', value: 1 } });
        const error = await conditionFailure(store.update('mail', k, { set: { ver: 3 } }, { condition: { op: 'eq', attr: 'ver', value: 1 } }));
        assertItem(error.current, { ...k, ver: 2 });
      });

      it('keeps binary values exact', async () => {
        const k = { pk: pk('upd-bin'), sk: 'U' };
        const result = await store.update('mail', k, { set: { bin: new Uint8Array([0, 1, 254, 255]) } });
        assert.equal(Buffer.from(result.bin as Uint8Array).toString('hex'), '0001feff');
      });

      it('refuses to change the key attributes', async () => {
        const k = { pk: pk('upd-key'), sk: 'U' };
        await store.put('mail', { ...k, a: 1 });
        const updates: Update[] = [{ set: { pk: 'other' } }, { set: { sk: 'other' } }, { remove: ['sk'] }];
        for (const update of updates) {
          const error = await rejection(store.update('mail', k, update));
          assert.ok(error instanceof StorageError, `expected a StorageError, got ${String(error)}`);
        }
        assertItem(await store.get('mail', k, { consistent: true }), { ...k, a: 1 });
      });
    });

    describe('query', () => {
      let qpk: string;
      const aSks = Array.from({ length: 12 }, (_, i) => `a#${String(i).padStart(2, '0')}`);

      before(async () => {
        qpk = pk('query');
        for (const sk of [...aSks, 'b#00', 'b#01', 'c']) await store.put('mail', { pk: qpk, sk, v: sk });
        await store.put('mail', { pk: `${qpk}-other`, sk: 'a#00' });
        await store.put('msgmeta', { pk: qpk, sk: 'a#99' });
      });

      it('returns the partition in ascending sort-key order', async () => {
        const { items } = await collectQuery(store, 'mail', { pk: qpk, consistent: true });
        assert.deepEqual(sks(items), [...aSks, 'b#00', 'b#01', 'c']);
        assert.equal(items[0]?.v, 'a#00');
      });

      it('returns nothing for an empty partition', async () => {
        const page = await store.query('mail', { pk: pk('empty'), consistent: true });
        assert.deepEqual(page.items, []);
        assert.equal(page.cursor, undefined);
      });

      it('beginsWith', async () => {
        const { items } = await collectQuery(store, 'mail', { pk: qpk, sk: { beginsWith: 'b#' } });
        assert.deepEqual(sks(items), ['b#00', 'b#01']);
      });

      it('between (inclusive)', async () => {
        const { items } = await collectQuery(store, 'mail', { pk: qpk, sk: { between: ['a#03', 'a#05'] } });
        assert.deepEqual(sks(items), ['a#03', 'a#04', 'a#05']);
      });

      it('gt, ge, lt, le', async () => {
        assert.deepEqual(sks((await collectQuery(store, 'mail', { pk: qpk, sk: { gt: 'b#00' } })).items), ['b#01', 'c']);
        assert.deepEqual(sks((await collectQuery(store, 'mail', { pk: qpk, sk: { ge: 'b#00' } })).items), ['b#00', 'b#01', 'c']);
        assert.deepEqual(sks((await collectQuery(store, 'mail', { pk: qpk, sk: { lt: 'a#02' } })).items), ['a#00', 'a#01']);
        assert.deepEqual(sks((await collectQuery(store, 'mail', { pk: qpk, sk: { le: 'a#02' } })).items), ['a#00', 'a#01', 'a#02']);
      });

      it('reverse', async () => {
        const { items } = await collectQuery(store, 'mail', { pk: qpk, sk: { beginsWith: 'a#' }, reverse: true });
        assert.deepEqual(sks(items), [...aSks].reverse());
      });

      it('limit and cursor page through every item exactly once', async () => {
        const { pages, items } = await collectQuery(store, 'mail', { pk: qpk, sk: { beginsWith: 'a#' }, limit: 5 });
        assert.ok(pages.length >= 3, `expected at least 3 pages, got ${pages.length}`);
        for (const page of pages) assert.ok(page.length <= 5);
        assert.deepEqual(pages[0]?.length, 5);
        assert.deepEqual(sks(items), aSks);
      });

      it('limit and cursor in reverse, with a range', async () => {
        const { pages, items } = await collectQuery(store, 'mail', { pk: qpk, sk: { between: ['a#02', 'b#01'] }, reverse: true, limit: 4 });
        assert.ok(pages.length >= 3);
        assert.deepEqual(sks(items), ['b#01', 'b#00', ...aSks.slice(2).reverse()]);
      });

      it('a limit larger than the result ends with the last item', async () => {
        const { items } = await collectQuery(store, 'mail', { pk: qpk, sk: { beginsWith: 'b#' }, limit: 50 });
        assert.deepEqual(sks(items), ['b#00', 'b#01']);
      });

      it('sorts by UTF-8 bytes, as DynamoDB does', async () => {
        const p = pk('utf8');
        const keys = ['\u{1F600}', '\uFF01', 'z', 'Z', 'é', 'a'];
        for (const sk of keys) await store.put('mail', { pk: p, sk });
        const { items } = await collectQuery(store, 'mail', { pk: p });
        const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        assert.deepEqual(sks(items), expected);
        assert.deepEqual(expected.slice(-2), ['\uFF01', '\u{1F600}']);
      });

      it('a page ends at 1 MB of items', async () => {
        const p = pk('bigpage');
        const filler = 'x'.repeat(100_000);
        const all = Array.from({ length: 14 }, (_, i) => `i#${String(i).padStart(2, '0')}`);
        for (const sk of all) await store.put('mail', { pk: p, sk, filler });
        const { pages, items } = await collectQuery(store, 'mail', { pk: p });
        assert.ok(pages.length >= 2, 'more than 1 MB of items does not fit one page');
        const first = pages[0] ?? [];
        assert.ok(first.length >= 1 && first.length <= 11, `first page held ${first.length} items of 100 KB`);
        assert.deepEqual(sks(items), all);
      });
    });

    describe('batchGet', () => {
      it('returns the items found and omits missing keys', async () => {
        const p = pk('batch');
        for (const sk of ['1', '2', '3']) await store.put('mail', { pk: p, sk, v: Number(sk) });
        const got = await store.batchGet('mail', [
          { pk: p, sk: '1' },
          { pk: p, sk: 'missing' },
          { pk: p, sk: '3' },
          { pk: pk('nobody'), sk: '1' },
        ], { consistent: true });
        assert.deepEqual(got.map((item) => item.v).sort(), [1, 3]);
        assertItem(got.find((item) => item.sk === '3'), { pk: p, sk: '3', v: 3 });
      });

      it('reads the table it is asked for', async () => {
        const p = pk('batch-table');
        await store.put('msgmeta', { pk: p, sk: 'E', v: 'cold' });
        assert.deepEqual(await store.batchGet('mail', [{ pk: p, sk: 'E' }], { consistent: true }), []);
        assert.equal((await store.batchGet('msgmeta', [{ pk: p, sk: 'E' }], { consistent: true }))[0]?.v, 'cold');
      });

      it('reads 100 keys at once', async () => {
        const p = pk('batch100');
        const keys = Array.from({ length: 100 }, (_, i) => ({ pk: p, sk: String(i).padStart(3, '0') }));
        for (const key of keys.slice(0, 60)) await store.put('mail', { ...key, v: key.sk });
        const got = await store.batchGet('mail', keys, { consistent: true });
        assert.equal(got.length, 60);
      });

      it('an empty key list returns nothing', async () => {
        assert.deepEqual(await store.batchGet('mail', []), []);
      });

      it('rejects more than 100 keys', async () => {
        const p = pk('batch101');
        const keys = Array.from({ length: 101 }, (_, i) => ({ pk: p, sk: String(i) }));
        await limitFailure(store.batchGet('mail', keys));
      });
    });

    describe('transactWrite', () => {
      it('applies put, update, delete and check together', async () => {
        const p = pk('tx');
        await store.put('mail', { pk: p, sk: 'counter', n: 1 });
        await store.put('mail', { pk: p, sk: 'gone', v: 1 });
        await store.put('mail', { pk: p, sk: 'guard', ok: true });
        await store.transactWrite([
          { type: 'put', table: 'mail', item: { pk: p, sk: 'new', v: 'n' }, condition: { op: 'notExists', attr: 'pk' } },
          { type: 'update', table: 'mail', key: { pk: p, sk: 'counter' }, update: { add: { n: 1 }, set: { t: 'x' } }, condition: { op: 'eq', attr: 'n', value: 1 } },
          { type: 'delete', table: 'mail', key: { pk: p, sk: 'gone' } },
          { type: 'check', table: 'mail', key: { pk: p, sk: 'guard' }, condition: { op: 'eq', attr: 'ok', value: true } },
          { type: 'put', table: 'msgmeta', item: { pk: p, sk: 'cold', v: 'c' } },
        ]);
        assertItem(await store.get('mail', { pk: p, sk: 'new' }, { consistent: true }), { pk: p, sk: 'new', v: 'n' });
        assertItem(await store.get('mail', { pk: p, sk: 'counter' }, { consistent: true }), { pk: p, sk: 'counter', n: 2, t: 'x' });
        assert.equal(await store.get('mail', { pk: p, sk: 'gone' }, { consistent: true }), undefined);
        assertItem(await store.get('mail', { pk: p, sk: 'guard' }, { consistent: true }), { pk: p, sk: 'guard', ok: true });
        assertItem(await store.get('msgmeta', { pk: p, sk: 'cold' }, { consistent: true }), { pk: p, sk: 'cold', v: 'c' });
      });

      it('all or nothing: a failing condition on the last action leaves the others unapplied', async () => {
        const p = pk('tx-atomic');
        await store.put('mail', { pk: p, sk: 'counter', n: 1 });
        await store.put('mail', { pk: p, sk: 'keep', v: 1 });
        const error = await conditionFailure(store.transactWrite([
          { type: 'put', table: 'mail', item: { pk: p, sk: 'new', v: 'n' } },
          { type: 'update', table: 'mail', key: { pk: p, sk: 'counter' }, update: { add: { n: 1 } } },
          { type: 'delete', table: 'mail', key: { pk: p, sk: 'keep' } },
          { type: 'check', table: 'mail', key: { pk: p, sk: 'absent' }, condition: { op: 'exists', attr: 'pk' } },
        ]));
        assert.equal(error.actionIndex, 3);
        assert.equal(error.current, undefined);
        assert.equal(await store.get('mail', { pk: p, sk: 'new' }, { consistent: true }), undefined);
        assertItem(await store.get('mail', { pk: p, sk: 'counter' }, { consistent: true }), { pk: p, sk: 'counter', n: 1 });
        assertItem(await store.get('mail', { pk: p, sk: 'keep' }, { consistent: true }), { pk: p, sk: 'keep', v: 1 });
      });

      it('ConditionFailedError names the failing action and carries its current item', async () => {
        const p = pk('tx-fail');
        await store.put('mail', { pk: p, sk: 'meta', modseq: 7, bin: new Uint8Array([1, 2, 3]) });
        const error = await conditionFailure(store.transactWrite([
          { type: 'put', table: 'mail', item: { pk: p, sk: 'L#8', op: 'A' }, condition: { op: 'notExists', attr: 'pk' } },
          { type: 'update', table: 'mail', key: { pk: p, sk: 'meta' }, update: { set: { modseq: 8 } }, condition: { op: 'eq', attr: 'modseq', value: 6 } },
        ]));
        assert.equal(error.actionIndex, 1);
        assertItem(error.current, { pk: p, sk: 'meta', modseq: 7, bin: new Uint8Array([1, 2, 3]) });
        assert.equal(await store.get('mail', { pk: p, sk: 'L#8' }, { consistent: true }), undefined);
      });

      it('rejects two actions on one item, applying nothing', async () => {
        const p = pk('tx-dup');
        await limitFailure(store.transactWrite([
          { type: 'put', table: 'mail', item: { pk: p, sk: 'other', v: 1 } },
          { type: 'put', table: 'mail', item: { pk: p, sk: 'same', v: 1 } },
          { type: 'update', table: 'mail', key: { pk: p, sk: 'same' }, update: { add: { n: 1 } } },
        ]));
        assert.equal(await store.get('mail', { pk: p, sk: 'other' }, { consistent: true }), undefined);
        assert.equal(await store.get('mail', { pk: p, sk: 'same' }, { consistent: true }), undefined);
      });

      it('the same key in two tables is two items', async () => {
        const p = pk('tx-two-tables');
        await store.transactWrite([
          { type: 'put', table: 'mail', item: { pk: p, sk: 'K', v: 'hot' } },
          { type: 'put', table: 'msgmeta', item: { pk: p, sk: 'K', v: 'cold' } },
        ]);
        assert.equal((await store.get('mail', { pk: p, sk: 'K' }, { consistent: true }))?.v, 'hot');
        assert.equal((await store.get('msgmeta', { pk: p, sk: 'K' }, { consistent: true }))?.v, 'cold');
      });

      it('accepts 100 actions and rejects 101, applying nothing', async () => {
        const p = pk('tx-count');
        const puts = (n: number): TxAction[] =>
          Array.from({ length: n }, (_, i) => ({ type: 'put', table: 'mail', item: { pk: p, sk: `i#${String(i).padStart(3, '0')}` } }));
        await limitFailure(store.transactWrite(puts(101)));
        assert.deepEqual((await collectQuery(store, 'mail', { pk: p })).items, []);
        await store.transactWrite(puts(100));
        assert.equal((await collectQuery(store, 'mail', { pk: p })).items.length, 100);
      });

      it('rejects a transaction over 4 MB, applying nothing', async () => {
        const p = pk('tx-bytes');
        const filler = 'x'.repeat(390_000);
        const actions: TxAction[] = Array.from({ length: 11 }, (_, i) => ({ type: 'put', table: 'mail', item: { pk: p, sk: `i#${i}`, filler } }));
        await limitFailure(store.transactWrite(actions));
        assert.deepEqual((await collectQuery(store, 'mail', { pk: p })).items, []);
      });

      it('an idempotency token makes a replay a no-op success', async () => {
        const p = pk('tx-token');
        const token = `tok-${randomUUID()}`;
        const actions: TxAction[] = [
          { type: 'put', table: 'mail', item: { pk: p, sk: 'once', v: 1 }, condition: { op: 'notExists', attr: 'pk' } },
          { type: 'update', table: 'mail', key: { pk: p, sk: 'counter' }, update: { add: { n: 1 } } },
        ];
        await store.transactWrite(actions, { token });
        await store.transactWrite(actions, { token });
        assertItem(await store.get('mail', { pk: p, sk: 'counter' }, { consistent: true }), { pk: p, sk: 'counter', n: 1 });
        assertItem(await store.get('mail', { pk: p, sk: 'once' }, { consistent: true }), { pk: p, sk: 'once', v: 1 });
        // Without the token, the same request is new: its condition now fails.
        await conditionFailure(store.transactWrite(actions, { token: `tok-${randomUUID()}` }));
      });
    });

    describe('item size', () => {
      it('rejects an item over 400 KB and stores nothing', async () => {
        const k = { pk: pk('size'), sk: 'S' };
        await limitFailure(store.put('mail', { ...k, body: 'x'.repeat(401 * 1024) }));
        assert.equal(await store.get('mail', k, { consistent: true }), undefined);
        await limitFailure(store.put('mail', { ...k, body: new Uint8Array(401 * 1024) }));
        assert.equal(await store.get('mail', k, { consistent: true }), undefined);
      });

      it('accepts an item just under 400 KB', async () => {
        const k = { pk: pk('size-ok'), sk: 'S' };
        await store.put('mail', { ...k, body: 'x'.repeat(395 * 1024) });
        assert.equal(((await store.get('mail', k, { consistent: true }))?.body as string).length, 395 * 1024);
      });

      it('rejects an update that grows an item over 400 KB', async () => {
        const k = { pk: pk('size-upd'), sk: 'S' };
        await store.put('mail', { ...k, a: 'x'.repeat(300 * 1024) });
        await limitFailure(store.update('mail', k, { set: { b: 'y'.repeat(150 * 1024) } }));
        assert.equal((await store.get('mail', k, { consistent: true }))?.b, undefined);
      });

      it('rejects an oversized item inside a transaction, applying nothing', async () => {
        const p = pk('size-tx');
        await limitFailure(store.transactWrite([
          { type: 'put', table: 'mail', item: { pk: p, sk: 'small' } },
          { type: 'put', table: 'mail', item: { pk: p, sk: 'big', body: 'x'.repeat(401 * 1024) } },
        ]));
        assert.equal(await store.get('mail', { pk: p, sk: 'small' }, { consistent: true }), undefined);
      });
    });

    describe('concurrency', () => {
      it('8 concurrent read-modify-CAS writers lose no increment', async () => {
        const k = { pk: pk('race'), sk: 'counter' };
        await store.put('mail', { ...k, n: 0 });
        const writers = 8;
        const increments = 10;
        async function writer(): Promise<void> {
          for (let i = 0; i < increments; i++) {
            for (;;) {
              const current = await store.get('mail', k, { consistent: true });
              const n = current?.n;
              assert.equal(typeof n, 'number');
              try {
                await store.update('mail', k, { set: { n: (n as number) + 1 } }, { condition: { op: 'eq', attr: 'n', value: n as number } });
                break;
              } catch (error) {
                if (!(error instanceof ConditionFailedError) && !(error instanceof TransactionConflictError)) throw error;
              }
            }
          }
        }
        await Promise.all(Array.from({ length: writers }, writer));
        assert.equal((await store.get('mail', k, { consistent: true }))?.n, writers * increments);
      });
    });
  });
}
