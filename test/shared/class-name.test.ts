import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { checkClassName, classListProblem, classNameProblem, ClassNameError, normalizeClassName, quoteClassName } from '../../src/shared/class-name';
import { decodeModelMetadata, encodeModelMetadata, ModelMetadataError, MODEL_FORMAT, type ModelMetadata } from '../../src/shared/model-metadata';
import { addClass, ClassError, ensureClass, listClasses, openDatabase, renameClass, validateClassName } from '../../src/main/catalogue';
import { importFolder } from '../../src/main/jobs/import';
import { DatasetError, loadTrainingDataset } from '../../src/main/jobs/train/dataset';
import { runOrelab } from '../helpers/cli';
import { makeJpeg } from '../helpers/images';
import { tempDir } from '../helpers/fs';

const ACCEPTED = [
  'quartz',
  'Quartz',
  'black mica',
  'rose quartz (pink)',
  'chalcopyrite-2',
  'Fe oxide',
  'malachite.v2', // a dot inside is fine
  'a..b', // only "." and ".." themselves are folder references
  'console', // not a device name: only the whole stem counts
  'com10',
  'lpt0',
  'auxiliary',
  'nul-ish',
  'review', // only the reserved "_review" and other "_" names are refused
  'çalcite ü', // non-ASCII letters
  'x'.repeat(100),
];

const REFUSED: [string, RegExp][] = [
  ['', /empty/],
  ['x'.repeat(101), /longer than 100 characters/],
  ['a/b', /contains \/ or \\/],
  ['../../x', /contains \/ or \\/],
  ['/etc/x', /contains \/ or \\/],
  ['a\\b', /contains \/ or \\/],
  ['..\\x', /contains \/ or \\/],
  ['.', /folder reference/],
  ['..', /folder reference/],
  ['quartz\n', /control character/],
  ['line\nbreak', /control character/],
  ['carriage\rreturn', /control character/],
  ['esc\u001b[31mred', /control character/],
  ['nul\u0000byte', /control character/],
  ['tab\there', /control character/],
  ['del\u007f', /control character/],
  ['bell\u0007', /control character/],
  [' quartz', /starts or ends with a space/],
  ['quartz ', /starts or ends with a space/],
  ['.hidden', /starts or ends with a dot/],
  ['quartz.', /starts or ends with a dot/],
  ['...', /starts or ends with a dot/],
  ['CON', /device name Windows reserves/],
  ['con', /device name Windows reserves/],
  ['Prn', /device name Windows reserves/],
  ['aux', /device name Windows reserves/],
  ['NUL', /device name Windows reserves/],
  ['COM1', /device name Windows reserves/],
  ['com9', /device name Windows reserves/],
  ['LPT1', /device name Windows reserves/],
  ['lpt9', /device name Windows reserves/],
  ['con.txt', /device name Windows reserves/],
  ['NUL.tar.gz', /device name Windows reserves/],
  ['com1 .x', /device name Windows reserves/],
  ['_review', /_review/],
  ['_other', /reserved for Orelab's folders such as _review/],
];

test('class-name rule: a table of accepted and refused names; every refusal names the value', () => {
  for (const name of ACCEPTED) {
    assert.equal(classNameProblem(name), null, `${JSON.stringify(name)} should be accepted`);
    assert.equal(checkClassName(name), name);
  }
  for (const [name, why] of REFUSED) {
    const problem = classNameProblem(name);
    assert.ok(problem !== null, `${JSON.stringify(name)} should be refused`);
    assert.match(problem, why, JSON.stringify(name));
    // The value is quoted with its control characters escaped (a raw ESC would act on the terminal).
    if (name.length > 0) assert.ok(problem.includes(quoteClassName(name)), `${problem} should name ${JSON.stringify(name)}`);
    // eslint-disable-next-line no-control-regex
    assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(problem), `the message for ${JSON.stringify(name)} carries a raw control character`);
    assert.throws(() => checkClassName(name), (err: unknown) => err instanceof ClassNameError && /choose another name/.test(err.message));
  }
});

test('class names are quoted for messages with every control character escaped', () => {
  assert.equal(quoteClassName('esc\u001b[31m'), '"esc\\u001b[31m"');
  assert.equal(quoteClassName('del\u007f nel\u0085'), '"del\\u007f nel\\u0085"');
  assert.equal(quoteClassName('rtl\u202eoverride'), '"rtl\\u202eoverride"');
  assert.equal(quoteClassName('x'.repeat(80)), `"${'x'.repeat(60)}…"`);
});

test('class-name rule: typed input is trimmed, then checked; what is left is what gets stored', () => {
  assert.equal(normalizeClassName('  quartz  '), 'quartz');
  assert.throws(() => normalizeClassName('   '), /empty/);
  assert.throws(() => normalizeClassName(' .. '), /folder reference/);
  // A model's class list is not typed: it is checked as written, and two names differing only in case clash.
  assert.equal(classListProblem(['quartz', 'pyrite']), null);
  assert.match(classListProblem(['quartz', ' pyrite'])!, /starts or ends with a space/);
  assert.match(classListProblem(['Quartz', 'quartz'])!, /"Quartz" and "quartz" differ only in case/);
  assert.match(classListProblem(['quartz', 'quartz'])!, /"quartz" is listed twice/);
});

test('the catalogue applies the same rule: add, ensure and rename refuse, with a ClassError naming the value', () => {
  const db = openDatabase(path.join(tempDir(), 'catalogue.sqlite'));
  try {
    assert.equal(validateClassName('  black mica '), 'black mica');
    addClass(db, 'biotite');
    for (const [name, why] of REFUSED) {
      if (name.trim() !== name) continue; // typed spaces are trimmed, not refused
      assert.throws(() => addClass(db, name), (err: unknown) => err instanceof ClassError && why.test(err.message), JSON.stringify(name));
      assert.throws(() => ensureClass(db, name), ClassError, JSON.stringify(name));
      assert.throws(() => renameClass(db, 'biotite', name), ClassError, JSON.stringify(name));
    }
    for (const name of ['CON', 'con.txt', '_review', '..', 'a/b']) assert.throws(() => renameClass(db, 'biotite', name), ClassError);
    assert.deepEqual(
      listClasses(db).map((c) => c.name),
      ['biotite'],
    );
  } finally {
    db.close();
  }
});

test('orelab classes rename biotite .. is refused: exit 1, a message naming the value, the class unchanged', () => {
  const dbPath = path.join(tempDir(), 'catalogue.sqlite');
  assert.equal(runOrelab(['classes', 'add', 'biotite', '--db', dbPath]).status, 0);
  const run = runOrelab(['classes', 'rename', 'biotite', '..', '--db', dbPath]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /orelab classes: class name "\.\." is a folder reference/);
  assert.match(run.stderr, /choose another name/);
  assert.doesNotMatch(run.stderr, /unexpected error|\n\s+at /);
  for (const bad of ['con.txt', '_review', 'a/b']) {
    const r = runOrelab(['classes', 'rename', 'biotite', bad, '--db', dbPath]);
    assert.equal(r.status, 1, `${bad}: ${r.stderr}`);
    assert.ok(r.stderr.includes(JSON.stringify(bad)), r.stderr);
  }
  const list = runOrelab(['classes', 'list', '--db', dbPath, '--json']);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { name: string }[]).map((c) => c.name),
    ['biotite'],
  );
});

function metadata(classes: string[]): ModelMetadata {
  return {
    format: MODEL_FORMAT,
    classes,
    preprocessing: { size: 32, crop_fraction: 0.9, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], color: 'RGB', layout: 'NCHW' },
    architecture: { backbone: 'vit-test', prefilter: 'none', parameters: 1, config: {} },
    weights_source: 'test',
    training_run: null,
    dataset_sha256: null,
    metrics: [],
    outputs: { logits: 'logits', probabilities: 'probabilities', attention: null },
    input: 'images',
  };
}

test("a model's metadata is held to the rule: bad names and case-only duplicates are refused, naming the file and the name", () => {
  assert.deepEqual(decodeModelMetadata(encodeModelMetadata(metadata(['pyrite', 'quartz'])), 'm.onnx').classes, ['pyrite', 'quartz']);
  const cases: [string[], string][] = [
    [['quartz', '../../x'], '"../../x"'],
    [['quartz', '/etc/x'], '"/etc/x"'],
    [['quartz', 'a/b'], '"a/b"'],
    [['quartz', '.'], '"."'],
    [['quartz', '..'], '".."'],
    [['quartz', 'CON'], '"CON"'],
    [['quartz', 'pyrite '], '"pyrite "'],
    [['quartz', '_review'], '"_review"'],
    [['Quartz', 'quartz'], '"Quartz" and "quartz" differ only in case'],
  ];
  for (const [classes, named] of cases) {
    assert.throws(
      () => decodeModelMetadata(encodeModelMetadata(metadata(classes)), '/models/crafted.onnx'),
      (err: unknown) => err instanceof ModelMetadataError && err.message.startsWith('/models/crafted.onnx: metadata "classes"') && err.message.includes(named),
      JSON.stringify(classes),
    );
  }
});

test('training from a catalogue that already holds a refused name (".." from an old rename) stops, telling the user to rename it', async () => {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  for (const [c, seeds] of [['biotite', [1, 2, 3, 4, 5]], ['quartz', [6, 7, 8, 9, 10]]] as const) {
    fs.mkdirSync(path.join(photos, c), { recursive: true });
    for (const s of seeds) fs.writeFileSync(path.join(photos, c, `${s}.jpg`), await makeJpeg(s));
  }
  const dbPath = path.join(dir, 'catalogue.sqlite');
  const db = openDatabase(dbPath);
  try {
    await importFolder(db, { folder: photos, labelsFromFolders: true });
    // What an older Orelab's rename let through: the rule refuses it now, so it is written as that version did.
    db.prepare(`UPDATE classes SET name = '..' WHERE name = 'biotite'`).run();
    assert.throws(
      () => loadTrainingDataset(db),
      (err: unknown) => err instanceof DatasetError && /class name "\.\." is a folder reference/.test(err.message) && /orelab classes rename/.test(err.message),
    );
  } finally {
    db.close();
  }
  const run = runOrelab(['train', '--db', dbPath, '--out', path.join(dir, 'run'), '--weights', 'none', '--epochs', '1', '--image-size', '32', '--batch', '2']);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /orelab train: cannot train: class name "\.\." is a folder reference.*Rename the class \(orelab classes rename OLD NEW/);
  assert.equal(fs.existsSync(path.join(dir, 'run', 'model.onnx')), false);
});
