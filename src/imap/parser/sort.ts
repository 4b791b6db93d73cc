// SORT and THREAD arguments (RFC 5256 §5, SORT=DISPLAY keys of RFC 5957 §4): the sort program or threading
// algorithm, the mandatory charset, then SEARCH's criteria (parser/search.ts).
import type { Cursor } from './cursor.js';
import { searchKeys } from './search.js';
import type { SearchKey, SortCriterion, SortKeyName, ThreadAlgorithm } from '../command.js';

const SORT_KEYS: readonly SortKeyName[] = ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO'];
const THREAD_ALGORITHMS: readonly ThreadAlgorithm[] = ['ORDEREDSUBJECT', 'REFERENCES'];

interface Criteria {
  /** Upper-cased. */
  readonly charset: string;
  readonly key: SearchKey;
}

/** search-criteria = charset 1*(SP search-key); charset = atom / quoted. */
function criteria(c: Cursor): Criteria {
  c.sp();
  const charset = c.astring().toUpperCase();
  c.sp();
  return { charset, key: searchKeys(c) };
}

/** sort-criterion = ["REVERSE" SP] sort-key */
function sortCriterion(c: Cursor): SortCriterion {
  let name = c.keyword();
  const reverse = name === 'REVERSE';
  if (reverse) {
    c.sp();
    name = c.keyword();
  }
  if (!SORT_KEYS.includes(name as SortKeyName)) c.fail(`Unknown sort key ${name}`);
  return { key: name as SortKeyName, reverse };
}

/** After "SORT": SP sort-criteria SP search-criteria. */
export function sortArguments(c: Cursor): { criteria: SortCriterion[] } & Criteria {
  c.sp();
  // sort-criteria = "(" sort-criterion *(SP sort-criterion) ")": never empty.
  const list = c.list(() => sortCriterion(c), false);
  return { criteria: list, ...criteria(c) };
}

/** After "THREAD": SP thread-alg SP search-criteria; an algorithm this server lacks is "arguments invalid" (BAD). */
export function threadArguments(c: Cursor): { algorithm: ThreadAlgorithm } & Criteria {
  c.sp();
  const algorithm = c.keyword();
  if (!THREAD_ALGORITHMS.includes(algorithm as ThreadAlgorithm)) c.fail(`Unknown threading algorithm ${algorithm}`);
  return { algorithm: algorithm as ThreadAlgorithm, ...criteria(c) };
}
