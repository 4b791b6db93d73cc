// Finds the longest synchronous stretches in a V8 CPU profile (node --cpu-prof; bench/run-stratus.ts --cpu-prof DIR):
// runs of consecutive samples that share a call path below the root — one macrotask, or one tick's microtask queue
// — and for each the deepest frame they all share and the heaviest stacks inside. A stall that holds the event loop
// shows up here as a long run; its shared frame says who held it (a COMMIT, a GC, a seal...).
//
//   npx tsx bench/cpu-profile-stalls.ts FILE.cpuprofile [--min-ms 10] [--top 20] [--skip-ms 0]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Stretch {
  /** Start, µs on the profile's clock (process.hrtime). */
  startUs: number;
  ms: number;
  /** The deepest frame every sample of the stretch shares. */
  shared: string;
  /** The heaviest leaf frames inside, with their ms. */
  leaves: [string, number][];
}

const frameName = (n: ProfileNode): string =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*\/(src|node_modules|bench)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;

/** Stretches of at least `minMs`, longest first. */
export function findStretches(profile: Profile, minMs: number, skipMs = 0): Stretch[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const pathOf = (id: number): number[] => {
    const path: number[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) path.unshift(cur);
    return path;
  };
  const idle = (id: number): boolean => {
    const name = byId.get(id)?.callFrame.functionName;
    return name === '(idle)' || name === '(program)' || name === '(root)';
  };
  const stretches: Stretch[] = [];
  let t = profile.startTime;
  let shared: number[] = [];
  let start = 0;
  let end = 0;
  let leaves = new Map<number, number>();
  const close = (): void => {
    const ms = (end - start) / 1000;
    const top = byId.get(shared[shared.length - 1] ?? -1);
    if (shared.length > 1 && ms >= minMs && top !== undefined) {
      const heavy = [...leaves].sort((a, b) => b[1] - a[1]).slice(0, 4);
      stretches.push({ startUs: start, ms, shared: frameName(top), leaves: heavy.map(([id, us]) => [frameName(byId.get(id) as ProfileNode), us / 1000]) });
    }
    shared = [];
    leaves = new Map();
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    const id = profile.samples[i] as number;
    if (t - profile.startTime < skipMs * 1000 || idle(id)) {
      close();
      continue;
    }
    const path = pathOf(id);
    if (shared.length === 0) {
      shared = path;
      start = t - delta;
    } else {
      let k = 0;
      while (k < shared.length && k < path.length && shared[k] === path[k]) k++;
      if (k <= 1) {
        close();
        shared = path;
        start = t - delta;
      } else {
        shared = shared.slice(0, k);
      }
    }
    end = t;
    leaves.set(id, (leaves.get(id) ?? 0) + delta);
  }
  close();
  return stretches.sort((a, b) => b.ms - a.ms);
}

if (process.argv[1] !== undefined && resolve(fileURLToPath(import.meta.url)) === resolve(process.argv[1])) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'min-ms': { type: 'string', default: '10' }, top: { type: 'string', default: '20' }, 'skip-ms': { type: 'string', default: '0' } },
  });
  const file = positionals[0];
  if (file === undefined) {
    console.error('usage: npx tsx bench/cpu-profile-stalls.ts FILE.cpuprofile [--min-ms 10] [--top 20] [--skip-ms 0]');
    process.exitCode = 2;
  } else {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const stretches = findStretches(profile, Number(values['min-ms']), Number(values['skip-ms']));
    const byShared = new Map<string, { count: number; ms: number }>();
    for (const s of stretches) {
      const g = byShared.get(s.shared) ?? { count: 0, ms: 0 };
      g.count++;
      g.ms += s.ms;
      byShared.set(s.shared, g);
    }
    console.log(`${stretches.length} stretches of >= ${values['min-ms']} ms; by the frame they share:`);
    for (const [name, g] of [...byShared].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(`  ${g.count}× ${g.ms.toFixed(1)} ms  ${name}`);
    console.log('longest:');
    for (const s of stretches.slice(0, Number(values.top))) {
      console.log(`  ${s.ms.toFixed(1)} ms at ${s.startUs}: ${s.shared}`);
      for (const [leaf, ms] of s.leaves) console.log(`      ${ms.toFixed(1)} ms  ${leaf}`);
    }
  }
}
