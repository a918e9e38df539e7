#!/usr/bin/env node
// The `orelab` command. `npm ci` builds dist/ (the "prepare" script); this shim only loads it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('orelab: dist/main/cli.js is missing; run "npm run build" in the Orelab folder\n');
  process.exit(1);
}
await import(entry.href);
