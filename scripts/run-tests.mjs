// Runs every test file under test/ (or those named on the command line) with node:test through tsx.
// Node 20's --test does not expand globs, so the file list is built here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'e2e' ? [] : find(p);
    return /\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

const args = process.argv.slice(2);
const files = args.length ? args : find('test').sort();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
