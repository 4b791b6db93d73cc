// The seal runs on the server's event loop beside live traffic, so it serialises and folds message text a slice at a
// time (SEAL_SLICE_CHARS) and gives the loop back between slices (issue #8's p99: one seal held the loop for up to
// 50 ms). Counted, not timed: each doc's text records the event-loop turn in which it was read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SEAL_SLICE_CHARS, encodeSegment, rememberSegment, foldedSegments, type SegmentDoc } from '../../src/mailstore/search-segments.js';

const TEXT_CHARS = 64 * 1024;
const DOCS = 40; // 2.5 MB of text: about ten slices (SEAL_SLICE_CHARS is 256 K)

/** Counts turns of the event loop (a setImmediate chain) until stopped. */
function turnCounter(): { now: () => number; stop: () => void } {
  let turns = 0;
  let on = true;
  const tick = (): void => {
    if (!on) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turns, stop: () => (on = false) };
}

/** Docs whose text getter notes the turn it was read in, per doc (first read only). */
function watchedDocs(turn: () => number): { docs: SegmentDoc[]; readIn: number[] } {
  const readIn: number[] = [];
  const docs = Array.from({ length: DOCS }, (_, i): SegmentDoc => {
    const text = `${i} `.padEnd(TEXT_CHARS, 'word ');
    const doc = { uid: i + 1, emailId: `E${i + 1}`, hdr: { from: null, to: null, cc: null, bcc: null, subject: `s ${i}`, fields: [] } } as unknown as SegmentDoc;
    Object.defineProperty(doc, 'text', {
      enumerable: true,
      get: () => {
        readIn[i] ??= turn();
        return text;
      },
    });
    return doc;
  });
  return { docs, readIn };
}

/** The most text read within one turn of the loop. */
function largestTurn(readIn: number[]): number {
  const perTurn = new Map<number, number>();
  for (const t of readIn) perTurn.set(t, (perTurn.get(t) ?? 0) + TEXT_CHARS);
  return Math.max(...perTurn.values());
}

describe('the seal gives the event loop back between slices of text', () => {
  it('encodeSegment serialises the body lines a slice per turn', async () => {
    const counter = turnCounter();
    const { docs, readIn } = watchedDocs(counter.now);
    await encodeSegment(docs);
    counter.stop();
    assert.equal(readIn.filter((t) => t !== undefined).length, DOCS);
    assert.ok(new Set(readIn).size >= 5, `2.5 MB of text read over ${new Set(readIn).size} turns`);
    assert.ok(largestTurn(readIn) <= SEAL_SLICE_CHARS + TEXT_CHARS, `largest turn: ${largestTurn(readIn)} chars`);
  });

  it('rememberSegment folds a slice per turn', async () => {
    const counter = turnCounter();
    const { docs, readIn } = watchedDocs(counter.now);
    await rememberSegment('test/slices', docs);
    counter.stop();
    foldedSegments.delete('test/slices');
    assert.ok(new Set(readIn).size >= 5, `2.5 MB of text read over ${new Set(readIn).size} turns`);
    assert.ok(largestTurn(readIn) <= SEAL_SLICE_CHARS + TEXT_CHARS, `largest turn: ${largestTurn(readIn)} chars`);
  });
});
