// `npm run harness` (node dist/main/harness.js): serves the built renderer with the real services behind it.
//   --db FILE     catalogue file (created if missing); else $ORELAB_DB, else the app's default catalogue
//   --port N      port on 127.0.0.1 (0 = any free port); else $ORELAB_HARNESS_PORT, else 5178
// Prints "Orelab harness listening on http://127.0.0.1:PORT/?token=…" once it accepts requests. The token is
// new at every start and is the only way in (see ./server.ts); it is printed, never taken from the
// command line or the environment, where other local users could read it (ps, /proc).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveCataloguePath } from '../catalogue';
import { startHarness } from './server';

const USAGE = 'usage: node dist/main/harness.js [--db FILE] [--port N]';

async function main(): Promise<void> {
  let values: { db?: string; port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { db: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const portText = values.port ?? process.env.ORELAB_HARNESS_PORT ?? '5178';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be an integer from 0 to 65535, got "${portText}"\n`);
    process.exit(2);
  }
  const dbPath = resolveCataloguePath(values.db);
  const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };
  const harness = await startHarness({
    dbPath,
    port,
    rendererDir: fileURLToPath(new URL('../renderer/', import.meta.url)),
    bridgeFile: fileURLToPath(new URL('../harness/bridge.js', import.meta.url)),
    version: pkg.version,
  });
  process.stdout.write(`Orelab harness listening on ${harness.url} (catalogue: ${dbPath})\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void harness.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`orelab harness: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
