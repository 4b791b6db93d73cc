import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PhaseBarrier } from '../../bench/phase-barrier.js';

describe('PhaseBarrier', () => {
  it('lets nobody into the next phase before everyone has arrived, phase after phase', async () => {
    const barrier = new PhaseBarrier(3);
    const log: string[] = [];
    const party = async (name: string, phases: number): Promise<void> => {
      for (let phase = 0; phase < phases; phase++) {
        log.push(`${phase}:${name}`);
        await barrier.wait();
      }
    };
    await Promise.all([party('a', 3), party('b', 3), party('c', 3)]);
    // Every entry of phase n comes before every entry of phase n+1.
    const phases = log.map((entry) => Number(entry.split(':')[0]));
    assert.deepEqual(phases, [0, 0, 0, 1, 1, 1, 2, 2, 2]);
  });

  it('releases the waiting parties with the error when broken, and refuses later arrivals', async () => {
    const barrier = new PhaseBarrier(3);
    const first = barrier.wait();
    const second = barrier.wait();
    barrier.break(new Error('client 3 failed'));
    await assert.rejects(first, /client 3 failed/);
    await assert.rejects(second, /client 3 failed/);
    await assert.rejects(barrier.wait(), /client 3 failed/);
  });

  it('needs at least one party', () => {
    assert.throws(() => new PhaseBarrier(0), RangeError);
  });
});
