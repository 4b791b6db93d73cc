// Bundles each function family (functions/<family>.ts) into one ES module for the Lambda Node.js 22 runtime, with
// esbuild's JS API (no Docker, no network). The stack ships the folder with `lambda.Code.fromAsset`; tests load the
// very same bundle and invoke its handler.
import { buildSync } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..');

/** Where bundles are written unless a caller chooses (ignored by git: .cache/). */
export const DEFAULT_BUNDLE_DIR = join(REPO_ROOT, '.cache', 'lambda-bundles');

/**
 * Builds `functions/<family>.ts` into `<outDir>/<family>/index.mjs` and returns that folder. The AWS SDK is bundled
 * too (the versions the tests ran with, not whatever the runtime carries). CommonJS dependencies get a `require`
 * from createRequire; better-sqlite3 is bundled but never loads its native addon, since Lambda runs the aws backend.
 */
export function bundleFunction(family: string, outDir: string = DEFAULT_BUNDLE_DIR): string {
  const dir = join(outDir, family);
  if (built.has(dir)) return dir;
  mkdirSync(dir, { recursive: true });
  buildSync({
    entryPoints: [join(REPO_ROOT, 'functions', `${family}.ts`)],
    outfile: join(dir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __stratusRequire } from 'node:module'; const require = __stratusRequire(import.meta.url);",
    },
  });
  built.add(dir);
  return dir;
}

/** Bundles made by this process: a second stack in the same process (tests) reuses them. */
const built = new Set<string>();
