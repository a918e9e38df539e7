// ESLint flat config: typescript-eslint's type-aware rules over main, shared, renderer, tests and benches.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

// Layers, enforced per folder with no-restricted-imports (as VS Code does). A later block replaces an earlier
// block's no-restricted-imports for the files both match, so each block lists every pattern that applies to it.
// test/lint/layers.test.ts checks that the rules bite.
const SHELL_MESSAGE = 'src/main/app is the Electron shell: nothing outside it imports it (a piece both need belongs in src/main/base).';
/** Imports of src/main/app from a file elsewhere in src/main, optionally allowing a few of its modules. */
const appFromMain = (...allowed) => ({
  regex: allowed.length ? String.raw`^(\.\.?/)+app(/(?!(${allowed.join('|')})$)|$)` : String.raw`^(\.\.?/)+app(/|$)`,
  message: SHELL_MESSAGE,
});
const HARNESS = {
  regex: String.raw`^(\.\.?/)+(.*/)?harness(/|$)`,
  message: 'src/main/harness is the browser shell: nothing outside it imports it (a piece both shells need belongs in src/main/serving or src/main/base).',
};const ENGINE = {
  // shared/errors.ts (UserError, no imports of its own) is the one exception: a bad weights file is the user's error.
  regex: String.raw`^(\.\.?/)+(.*/)?(app|catalogue|cli|images|ipc|jobs|shared(?!/errors$)|renderer)(/|$)|^electron$`,
  message: 'src/main/engine imports nothing from src/main outside src/main/engine and src/main/base (nor src/shared but its errors, nor Electron).',
};
const BASE = {
  // shared/random.ts (the PRNG, no imports of its own) is re-exported by base/random.ts: the reports' bootstrap uses it too.
  regex: String.raw`^(\.\.?/)+(.*/)?(app|catalogue|cli|engine|images|ipc|jobs|services|shared(?!/(errors|random)$)|renderer)(/|$)|^electron$`,
  message: 'src/main/base is the bottom layer: Node, src/shared/errors.ts and src/shared/random.ts only.',
};
const ENGINE_API = {
  regex: String.raw`^(\.\.?/)+engine/.`,
  message: 'Outside src/main/engine, import the engine through its public API (src/main/engine/index.ts), not its modules.',
};
const UPWARD = {
  regex: String.raw`^(\.\.?/)+(services|cli|ipc)(/|$)`,
  message: 'src/main/jobs sits below the services and the shells: it imports none of them.',
};
/** A job feature (jobs/<feature>/) may use the shared job modules (jobs/*.ts) but not another feature's internals. */
const otherFeatures = (...others) => ({
  regex: String.raw`^\.\./(${others.join('|')})(/|$)`,
  message: "Job features do not import each other's internals: move what both need to a module in src/main/jobs (as batch-classifier.ts, cached-batches.ts) or below.",
});
const NO_MAIN = { regex: String.raw`^(\.\./)+main(/|$)`, message: 'src/shared and src/renderer import nothing from src/main: it talks to them over the IPC contract in src/shared.' };
const NO_NODE = { group: ['node:*', 'electron', 'fs', 'path', 'react'], message: 'src/shared runs in both processes: it may use neither Node nor the DOM.' };
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const layers = [
  { files: ['src/main/**'], rules: restrict(appFromMain(), HARNESS, ENGINE_API) },
  { files: ['src/main/app/**'], rules: restrict(HARNESS, ENGINE_API) },
  { files: ['src/main/harness/**'], rules: restrict(appFromMain(), ENGINE_API) },
  { files: ['src/main/jobs/*.ts'], rules: restrict(appFromMain(), HARNESS, ENGINE_API, UPWARD, { regex: String.raw`^\./(classify|train|inference)/`, message: 'The shared job modules do not reach into a feature.' }) },
  { files: ['src/main/jobs/classify/**'], rules: restrict(appFromMain(), HARNESS, ENGINE_API, UPWARD, otherFeatures('train', 'inference')) },
  { files: ['src/main/jobs/train/**'], rules: restrict(appFromMain(), HARNESS, ENGINE_API, UPWARD, otherFeatures('classify', 'inference')) },
  { files: ['src/main/jobs/inference/**'], rules: restrict(appFromMain(), HARNESS, ENGINE_API, UPWARD, otherFeatures('classify', 'train')) },
  { files: ['src/main/engine/**'], rules: restrict(ENGINE, HARNESS) },
  { files: ['src/main/base/**'], rules: restrict(BASE, HARNESS) },
  { files: ['src/renderer/**'], rules: restrict(NO_MAIN) },
  // src/shared runs in both processes: it may use neither Node nor the DOM.
  { files: ['src/shared/**'], rules: restrict(NO_NODE, NO_MAIN) },
];

// All SQL lives in src/main/catalogue: elsewhere in src/main a `.prepare(` call or an import of the catalogue's
// `stmt` helper is an error, so a query cannot creep back into a job, a service or a shell (the catalogue gets
// a function instead). test/lint/layers.test.ts checks that it bites.
const SQL_MESSAGE = 'SQL belongs in src/main/catalogue: add a function there (it may use stmt/prepare) and call that.';
const sqlOnlyInCatalogue = {
  files: ['src/main/**/*.ts'],
  ignores: ['src/main/catalogue/**'],
  rules: {
    'no-restricted-syntax': [
      'error',
      { selector: "CallExpression[callee.property.name='prepare']", message: SQL_MESSAGE },
      { selector: "ImportSpecifier[imported.name='stmt']", message: SQL_MESSAGE },
    ],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'release/**', 'node_modules/**', 'e2e-screenshots/**', 'bin/**', '.runs-dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      // No `any` anywhere: boundaries are typed with zod schemas or explicit interfaces.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/main/**', 'test/**', 'bench/**', 'scripts/**'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The two classic hooks rules (not the React Compiler rules the plugin's `recommended` now also turns on).
    // exhaustive-deps is an error, not the preset's warning, so that `npm run lint` fails on it.
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  ...layers,
  sqlOnlyInCatalogue,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
);
