// Runs bench/<name>.ts through tsx (`npm run bench -- <name> [args]`); without a name, lists the benches.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const benches = readdirSync('bench')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.log(`benches (npm run bench -- <name> [args]):\n${benches.map((b) => `  ${b}`).join('\n')}`);
  process.exit(0);
}
if (!benches.includes(name)) {
  console.error(`no bench named "${name}"; available: ${benches.join(', ')}`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
