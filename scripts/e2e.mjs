// `npm run e2e`: builds both sides (main with esbuild, renderer with Vite), then runs test/e2e/*.test.ts with
// node:test through tsx. The tests start the built harness and drive Debian's Chromium (CHROMIUM_PATH, else
// /usr/bin/chromium) with playwright-core; screenshots go to e2e-screenshots/. Give file paths to run only those
// (`npm run e2e -- test/e2e/training.test.ts`).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run(process.execPath, ['scripts/build.mjs']);
run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn']);

const args = process.argv.slice(2);
// A full run starts from an empty screenshot folder, so no picture of an older page is left to mislead.
if (args.length === 0) rmSync('e2e-screenshots', { recursive: true, force: true });
const files = args.length ? args : readdirSync('test/e2e').filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test/e2e', f));
// The flows' starting catalogues (test/e2e/catalogues.ts) are built once per run into this folder and copied
// for each flow, by whichever file asks first.
const cache = mkdtempSync(join(tmpdir(), 'orelab-e2e-cache-'));
// One file at a time: each starts its own harnesses and browser, runs its flows two at a time
// (test/e2e/fixtures.ts), and the machine may have two cores.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, ORELAB_E2E_CACHE: cache },
});
rmSync(cache, { recursive: true, force: true });
process.exit(r.status ?? 1);
