// How deeply a command may nest, in one place. The parser is recursive descent, so without a bound a line of
// 10,000 "(" (well inside STRATUS_MAX_LINE_BYTES) would recurse 10,000 times here and again in every walker of the
// parsed tree (SEARCH evaluation, SORT, THREAD). DESIGN.md: every limit is enforced with a clear tagged answer —
// exceeding one of these is a SyntaxFault, i.e. `<tag> BAD <text>`, and the connection carries on.

/**
 * Parenthesised lists inside one another, in any command: FETCH items, APPEND/STORE flags, LIST selection and
 * RETURN options, STATUS items, SEARCH / SORT / THREAD criteria `((…))`, SELECT parameters. No command of any RFC
 * we implement needs more than 3 levels except SEARCH's `( search-key )` grouping, and no client we know of sends
 * more than a handful; 32 leaves ample room and keeps every recursion shallow. Enforced by Cursor.list(), the one
 * place every "(" list is read.
 */
export const MAX_NESTING_DEPTH = 32;

/**
 * SEARCH keys inside one another — NOT, OR and "(" groups counted together — as the SEARCH parser always bounded
 * them. Higher than MAX_NESTING_DEPTH because OR takes exactly two keys: an "any of these N senders" search
 * (`OR OR OR FROM a FROM b FROM c FROM d`) nests N−1 deep without a single parenthesis, and such a filter of a few
 * dozen addresses must keep working. 64 keeps the evaluator's recursion (session/search-evaluator.ts) shallow.
 */
export const MAX_SEARCH_DEPTH = 64;

export const NESTING_TEXT = `Too deeply nested (at most ${MAX_NESTING_DEPTH} levels of parentheses)`;
export const SEARCH_DEPTH_TEXT = 'Search nested too deeply';
