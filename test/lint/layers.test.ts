// The layer rules in eslint.config.js (no-restricted-imports per folder) bite: each probe is linted in memory
// with lintText under a path inside the folder it speaks for, so no scratch file is written to the tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import { REPO_ROOT } from '../helpers/fs';

const eslint = new ESLint({ cwd: REPO_ROOT });

/** The messages of one rule for `text` linted as if it were the file at `file` (relative to the repo); no other rule may fire. */
async function ruleMessages(rule: string, file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: path.join(REPO_ROOT, file) });
  assert.ok(result, 'ESLint returned no result');
  const other = result.messages.filter((m) => m.ruleId !== rule);
  assert.deepEqual(other, [], `the probe ${file} should break no other rule`);
  return result.messages.map((m) => m.message);
}

const restrictedImports = (file: string, text: string) => ruleMessages('no-restricted-imports', file, text);
const restrictedSyntax = (file: string, text: string) => ruleMessages('no-restricted-syntax', file, text);

test('the engine may not import the catalogue, jobs, IPC, shells or src/shared', async () => {
  const probes: [string, string][] = [
    ['src/main/engine/__lint_probe__.ts', '../catalogue'],
    ['src/main/engine/runtime/__lint_probe__.ts', '../../catalogue/runs'],
    ['src/main/engine/runtime/__lint_probe__.ts', '../../jobs/train/train'],
    ['src/main/engine/runtime/__lint_probe__.ts', '../../ipc/core'],
    ['src/main/engine/runtime/__lint_probe__.ts', '../../app/settings'],
    ['src/main/engine/runtime/__lint_probe__.ts', '../../cli/command'],
    ['src/main/engine/runtime/__lint_probe__.ts', '../../images/decode'],
    ['src/main/engine/runtime/__lint_probe__.ts', '../../../shared/metrics'],
    ['src/main/engine/__lint_probe__.ts', 'electron'],
  ];
  for (const [file, from] of probes) {
    const messages = await restrictedImports(file, `import { thing } from '${from}';\nexport const probe = thing;\n`);
    assert.equal(messages.length, 1, `${file} importing ${from}: ${JSON.stringify(messages)}`);
    assert.match(messages[0]!, new RegExp(`'${from.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' import is restricted`));
    assert.match(messages[0]!, /src\/main\/engine imports nothing from src\/main outside src\/main\/engine and src\/main\/base/);
  }
});

test('the engine may import itself, src/main/base and Node', async () => {
  const messages = await restrictedImports(
    'src/main/engine/runtime/__lint_probe__.ts',
    [
      "import fs from 'node:fs';",
      "import { writeFileAtomicSync } from '../../base/atomic-write';",
      "import { thing } from '../graph/tensor';",
      "import { other } from './protocol';",
      'export const probe = [fs, writeFileAtomicSync, thing, other];',
      '',
    ].join('\n'),
  );
  assert.deepEqual(messages, []);
});

test('nothing imports the Electron shell: not the jobs, not the other shell', async () => {
  const text = "import { createWindowOptions } from '../app/security';\nexport const probe = createWindowOptions;\n";
  const [message] = await restrictedImports('src/main/jobs/__lint_probe__.ts', text);
  assert.match(message ?? '', /'\.\.\/app\/security' import is restricted.*src\/main\/app is the Electron shell/);
  assert.equal((await restrictedImports('src/main/harness/__lint_probe__.ts', text)).length, 1);
  assert.equal((await restrictedImports('src/main/ipc/__lint_probe__.ts', text)).length, 1);
  assert.deepEqual(await restrictedImports('src/main/app/__lint_probe__.ts', "import { createWindowOptions } from './security';\nexport const probe = createWindowOptions;\n"), []);
});

test('nothing imports the browser harness; what both shells need comes from src/main/serving', async () => {
  const text = "import { startHarness } from '../harness/server';\nexport const probe = startHarness;\n";
  const [message] = await restrictedImports('src/main/cli/__lint_probe__.ts', text);
  assert.match(message ?? '', /'\.\.\/harness\/server' import is restricted.*src\/main\/harness is the browser shell/);
  assert.equal((await restrictedImports('src/main/app/__lint_probe__.ts', text)).length, 1);
  assert.equal((await restrictedImports('src/main/ipc/__lint_probe__.ts', text)).length, 1);
  assert.deepEqual(await restrictedImports('src/main/harness/__lint_probe__.ts', "import { startHarness } from './server';\nexport const probe = startHarness;\n"), []);
  const serving = "import { CONTENT_SECURITY_POLICY } from '../serving/csp';\nexport const probe = CONTENT_SECURITY_POLICY;\n";
  assert.deepEqual(await restrictedImports('src/main/harness/__lint_probe__.ts', serving), []);
  assert.deepEqual(await restrictedImports('src/main/app/__lint_probe__.ts', serving), []);
});

test('src/renderer and src/shared import nothing from src/main; src/shared uses no Node', async () => {
  assert.equal((await restrictedImports('src/renderer/pages/__lint_probe__.tsx', "import { thing } from '../../main/catalogue';\nexport const probe = thing;\n")).length, 1);
  assert.equal((await restrictedImports('src/shared/__lint_probe__.ts', "import { thing } from '../main/jobs/evaluate';\nexport const probe = thing;\n")).length, 1);
  assert.equal((await restrictedImports('src/shared/__lint_probe__.ts', "import fs from 'node:fs';\nexport const probe = fs;\n")).length, 1);
  assert.deepEqual(await restrictedImports('src/renderer/pages/__lint_probe__.tsx', "import { thing } from '../../shared/metrics';\nexport const probe = thing;\n"), []);
});

test('tests may import anything', async () => {
  const text = "import { CONTENT_SECURITY_POLICY } from '../src/main/app/security';\nimport { startHarness } from '../src/main/harness/server';\nexport const probe = [CONTENT_SECURITY_POLICY, startHarness];\n";
  assert.deepEqual(await restrictedImports('test/__lint_probe__.ts', text), []);
});

test('SQL only in src/main/catalogue: a .prepare( call or an import of stmt elsewhere in src/main fails lint', async () => {
  const prepare = "import type { Db } from '../catalogue';\nexport const probe = (db: Db) => db.prepare('SELECT 1').get();\n";
  const importsStmt = "import { stmt } from '../catalogue';\nexport const probe = stmt;\n";
  for (const file of ['src/main/services/__lint_probe__.ts', 'src/main/ipc/__lint_probe__.ts', 'src/main/cli/__lint_probe__.ts']) {
    for (const text of [prepare, importsStmt]) {
      const messages = await restrictedSyntax(file, text);
      assert.equal(messages.length, 1, `${file}: ${JSON.stringify(messages)}`);
      assert.match(messages[0]!, /SQL belongs in src\/main\/catalogue/);
    }
  }
  const deep = await restrictedSyntax('src/main/jobs/train/__lint_probe__.ts', "import { stmt, type Db } from '../../catalogue';\nexport const probe = (db: Db) => [stmt, db.prepare('SELECT 1')];\n");
  assert.equal(deep.length, 2, JSON.stringify(deep));
  // The catalogue itself prepares statements; tests may too.
  assert.deepEqual(await restrictedSyntax('src/main/catalogue/__lint_probe__.ts', "import { stmt, type Db } from './open';\nexport const probe = (db: Db) => [stmt, db.prepare('SELECT 1')];\n"), []);
  assert.deepEqual(await restrictedSyntax('test/__lint_probe__.ts', prepare.replace('../catalogue', '../src/main/catalogue')), []);
});

test('outside the engine, only its public API is imported; jobs import no service or shell, and no other feature', async () => {
  const refused: [string, string, RegExp][] = [
    ['src/main/services/__lint_probe__.ts', '../engine/runtime/session', /engine through its public API/],
    ['src/main/jobs/inference/__lint_probe__.ts', '../../engine/runtime/session', /engine through its public API/],
    ['src/main/jobs/classify/__lint_probe__.ts', '../../services/train', /imports none of them/],
    ['src/main/jobs/__lint_probe__.ts', '../cli/command', /imports none of them/],
    ['src/main/jobs/classify/__lint_probe__.ts', '../train/augment', /do not import each other's internals/],
    ['src/main/jobs/train/__lint_probe__.ts', '../inference/classifier', /do not import each other's internals/],
    ['src/main/jobs/inference/__lint_probe__.ts', '../classify/classify', /do not import each other's internals/],
    ['src/main/jobs/__lint_probe__.ts', './train/train', /do not reach into a feature/],
  ];
  for (const [file, from, message] of refused) {
    const messages = await restrictedImports(file, `import { thing } from '${from}';\nexport const probe = thing;\n`);
    assert.equal(messages.length, 1, `${file} importing ${from}: ${JSON.stringify(messages)}`);
    assert.match(messages[0]!, message);
  }
  const allowed: [string, string][] = [
    ['src/main/services/__lint_probe__.ts', '../engine'],
    ['src/main/services/__lint_probe__.ts', '../jobs/train/train'],
    ['src/main/jobs/classify/__lint_probe__.ts', '../batch-classifier'],
    ['src/main/jobs/classify/__lint_probe__.ts', '../../../shared/ipc'],
    ['src/main/jobs/train/__lint_probe__.ts', '../../engine'],
  ];
  for (const [file, from] of allowed) {
    assert.deepEqual(await restrictedImports(file, `import { thing } from '${from}';\nexport const probe = thing;\n`), [], `${file} importing ${from}`);
  }
});
