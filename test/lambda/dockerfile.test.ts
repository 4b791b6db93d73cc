// The frontend image is built by `cdk deploy`, never here (no Docker engine): its Dockerfile is checked by parsing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PORTS } from '../../cdk/stack.js';

const text = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
/** Instructions with line continuations joined, comments dropped. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.indexOf(' ') + 1).trim() }));
const stages = instructions.filter((i) => i.op === 'FROM');
const lastStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));

describe('Dockerfile', () => {
  it('is multi-stage on Node.js 22 and installs production dependencies only in what ships', () => {
    assert.ok(stages.length >= 2);
    for (const s of stages) assert.match(s.args, /^node:22[-.\w]*\s+AS\s+\w+/i);
    assert.ok(instructions.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args)));
    assert.ok(!lastStage.some((i) => i.op === 'RUN' && /npm (ci|install)(?!.*--omit=dev)/.test(i.args)), 'no dev install in the runtime stage');
  });

  it('runs as a non-root user, exposes the task ports, checks health and starts the compiled frontend', () => {
    const user = lastStage.filter((i) => i.op === 'USER').at(-1);
    assert.ok(user && !/^(root|0)(:|$)/.test(user.args), 'USER is not root');
    const exposed = lastStage.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map(Number));
    for (const port of Object.values(PORTS)) assert.ok(exposed.includes(port), `EXPOSE ${port}`);
    const health = lastStage.find((i) => i.op === 'HEALTHCHECK');
    assert.ok(health && health.args.includes(`:${PORTS.health}/health`));
    assert.match(text, new RegExp(`STRATUS_HEALTH_PORT=${PORTS.health}`));
    const cmd = lastStage.find((i) => i.op === 'CMD');
    assert.deepEqual(JSON.parse(cmd!.args), ['node', 'dist/stratus.mjs', 'serve']);
    assert.ok(instructions.some((i) => i.op === 'RUN' && /esbuild src\/cli\.ts/.test(i.args)), 'the frontend is compiled');
  });

  it('keeps node_modules and secrets out of the build context', () => {
    const ignored = readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', '.git', 'data', '*.pem', '*.key']) assert.ok(ignored.includes(p), p);
  });
});
