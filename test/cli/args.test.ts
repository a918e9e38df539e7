// CLI argument parsing: parseCommandArgs (node:util parseArgs, strict) and the option readers in
// src/main/cli/command.ts, the commands' own checks (train's numbers and choices, split's --ratios), and the
// contract at the process boundary: a usage error prints the message and the usage, and exits with status 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { boolOpt, choiceOpt, numberOpt, parseCommandArgs, stringOpt, UsageError, type Command } from '../../src/main/cli/command';
import { trainCommand } from '../../src/main/cli/commands/train';
import { internalErrorLine } from '../../src/main/cli/index';
import { splitCommand } from '../../src/main/cli/commands/split';
import { parseRatios } from '../../src/main/catalogue';
import { runCliInProcess, runOrelab } from '../helpers/cli';
import { tempDir } from '../helpers/fs';

function parse(command: Command, argv: string[]) {
  return parseCommandArgs(command, argv);
}

function usageError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

const cli = (argv: string[]) => runCliInProcess(argv);

test('flags with values: --flag value and --flag=value; the last of a repeated flag wins; positionals stay apart', () => {
  const a = parse(trainCommand, ['--out', 'runs/a', '--epochs=3', '--lr', '1e-4', 'extra']);
  assert.equal(stringOpt(a, 'out'), 'runs/a');
  assert.equal(stringOpt(a, 'epochs'), '3');
  assert.equal(stringOpt(a, 'lr'), '1e-4');
  assert.deepEqual(a.positionals, ['extra']);
  assert.equal(stringOpt(parse(trainCommand, ['--out', 'a', '--out', 'b']), 'out'), 'b');
  // An empty value given with = is a value (the command decides whether it is acceptable).
  assert.equal(stringOpt(parse(trainCommand, ['--out=']), 'out'), '');
  assert.equal(stringOpt(a, 'batch'), undefined);
});

test('booleans: present is true, absent is false, and they take no value', () => {
  const a = parse(trainCommand, ['--json', '--restart']);
  assert.equal(boolOpt(a, 'json'), true);
  assert.equal(boolOpt(a, 'restart'), true);
  assert.equal(boolOpt(parse(trainCommand, []), 'json'), false);
  usageError(() => parse(trainCommand, ['--json=1']), /Option '--json' does not take an argument/);
  // A boolean given as a string is not read as one.
  assert.equal(boolOpt(parse(trainCommand, ['--out', 'true']), 'out'), false);
});

test('a flag without its value is a usage error naming the flag', () => {
  usageError(() => parse(trainCommand, ['--out']), /Option '--out <value>' argument missing/);
  // The next flag is not taken as the value.
  usageError(() => parse(trainCommand, ['--out', '--json']), /Option '--out' argument is ambiguous/);
  // Nor is a negative number: it must be written --lr=-1.
  usageError(() => parse(trainCommand, ['--lr', '-1']), /Option '--lr' argument is ambiguous/);
});

test('an unknown flag is a usage error naming it, without the TypeError prefix', () => {
  usageError(() => parse(splitCommand, ['--nope']), /^Unknown option '--nope'/);
  usageError(() => parse(splitCommand, ['-x']), /^Unknown option '-x'/);
  // Options of another command are unknown here.
  usageError(() => parse(splitCommand, ['--epochs', '3']), /^Unknown option '--epochs'/);
});

test('numbers: parsed and range-checked, the message names the flag, the rule and the value', () => {
  assert.equal(numberOpt(parse(trainCommand, ['--epochs', '3']), 'epochs', 30, { integer: true, min: 1 }), 3);
  assert.equal(numberOpt(parse(trainCommand, []), 'epochs', 30, { integer: true, min: 1 }), 30, 'absent: the fallback');
  assert.equal(numberOpt(parse(trainCommand, ['--lr', '3e-5']), 'lr', 1, { min: 0, max: 1 }), 3e-5);
  assert.equal(numberOpt(parse(trainCommand, ['--lr', '0']), 'lr', 1, { min: 0, max: 1 }), 0, 'bounds are inclusive');
  usageError(() => numberOpt(parse(trainCommand, ['--epochs', 'abc']), 'epochs', 30, { integer: true, min: 1, max: 10000 }), /^--epochs must be an integer >= 1 <= 10000, got "abc"$/);
  usageError(() => numberOpt(parse(trainCommand, ['--epochs', '2.5']), 'epochs', 30, { integer: true, min: 1 }), /^--epochs must be an integer >= 1, got "2.5"$/);
  usageError(() => numberOpt(parse(trainCommand, ['--epochs', '0']), 'epochs', 30, { integer: true, min: 1 }), /^--epochs must be an integer >= 1, got "0"$/);
  usageError(() => numberOpt(parse(trainCommand, ['--lr=-1']), 'lr', 1, { min: 0, max: 1 }), /^--lr must be a number >= 0 <= 1, got "-1"$/);
  usageError(() => numberOpt(parse(trainCommand, ['--lr', 'Infinity']), 'lr', 1, { min: 0 }), /got "Infinity"/);
  // Number('') is 0: an empty value must not silently mean 0.
  usageError(() => numberOpt(parse(trainCommand, ['--seed=']), 'seed', 0, { integer: true, min: 0 }), /^--seed must be an integer >= 0, got ""$/);
  usageError(() => numberOpt(parse(trainCommand, ['--beta', ' ']), 'beta', 0.99, { min: 0 }), /^--beta must be a number >= 0, got " "$/);
});

test('choices: an unknown value is a usage error listing the known ones', () => {
  const args = parse(trainCommand, ['--backbone', 'vit-x', '--variant', 'resnet']);
  usageError(() => choiceOpt(args, 'backbone', ['vit-ti', 'vit-s', 'vit-b'] as const, 'vit-ti'), /^--backbone must be one of vit-ti, vit-s, vit-b, got "vit-x"$/);
  usageError(() => choiceOpt(args, 'variant', ['mavit', 'vit', 'vit-weighted'] as const, 'mavit'), /^--variant must be one of mavit, vit, vit-weighted, got "resnet"$/);
  assert.equal(choiceOpt(parse(trainCommand, []), 'backbone', ['vit-ti', 'vit-s'] as const, 'vit-ti'), 'vit-ti');
});

test('--ratios: three non-negative numbers separated by colons', () => {
  assert.deepEqual(parseRatios('8:1:1'), { train: 8, val: 1, test: 1 });
  assert.deepEqual(parseRatios('0.7:0.15:0.15'), { train: 0.7, val: 0.15, test: 0.15 });
  assert.deepEqual(parseRatios(' 6 : 2 : 2 '), { train: 6, val: 2, test: 2 });
  assert.deepEqual(parseRatios('1:0:0'), { train: 1, val: 0, test: 0 });
  for (const bad of ['8:1', '8:1:1:1', '8:-1:1', '0:0:0', '8:x:1', 'eight'])
    assert.throws(() => parseRatios(bad), /--ratios must be three non-negative numbers like 8:1:1/, bad);
});

test('orelab split --ratios 8:1:1 reaches the command; a bad --ratios is a usage error (exit 2)', async () => {
  const db = path.join(tempDir(), 'catalogue.sqlite');
  const ok = await cli(['split', '--ratios', '8:1:1', '--seed', '3', '--db', db, '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const out = JSON.parse(ok.stdout) as { seed: number; ratios: unknown };
  assert.equal(out.seed, 3);
  assert.deepEqual(out.ratios, { train: 8, val: 1, test: 1 });
  const bad = await cli(['split', '--ratios', '8:1', '--db', db]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^orelab split: --ratios must be three non-negative numbers like 8:1:1, got "8:1"\nusage: orelab split /);
});

test('orelab train: --lr 0 is a usage error naming --lr (the schema requires lr > 0)', async () => {
  const db = path.join(tempDir(), 'catalogue.sqlite');
  for (const lr of ['0', '0.0']) {
    const r = await cli(['train', '--db', db, '--out', path.join(path.dirname(db), 'run'), `--lr=${lr}`]);
    assert.equal(r.status, 2, `--lr=${lr}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^orelab train: --lr must be > 0, got "${lr}"\\nusage: orelab train `));
  }
  const empty = await cli(['train', '--db', db, '--out', path.join(path.dirname(db), 'run'), '--lr=']);
  assert.equal(empty.status, 2, empty.stderr);
  assert.match(empty.stderr, /^orelab train: --lr must be a number, got ""\nusage: orelab train /);
  const tooBig = await cli(['train', '--db', db, '--out', 'x', '--lr', '2']);
  assert.equal(tooBig.status, 2);
  assert.match(tooBig.stderr, /--lr must be <= 1, got "2"/);
});

test('orelab train: --epochs abc, an unknown --backbone or --variant are usage errors', async () => {
  const db = path.join(tempDir(), 'catalogue.sqlite');
  const out = path.join(path.dirname(db), 'run');
  const epochs = await cli(['train', '--db', db, '--out', out, '--epochs', 'abc']);
  assert.equal(epochs.status, 2);
  assert.match(epochs.stderr, /^orelab train: --epochs must be a number, got "abc"\n/);
  const backbone = await cli(['train', '--db', db, '--out', out, '--backbone', 'vit-x']);
  assert.equal(backbone.status, 2);
  assert.match(backbone.stderr, /^orelab train: --backbone must be one of vit-ti, vit-s, vit-b, got "vit-x"\nusage: /);
  const variant = await cli(['train', '--db', db, '--out', out, '--variant', 'resnet']);
  assert.equal(variant.status, 2);
  assert.match(variant.stderr, /^orelab train: --variant must be one of mavit, vit, vit-weighted, got "resnet"\n/);
  const noOut = await cli(['train', '--db', db]);
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /--out DIR is required/);
});

test('the orelab process: usage errors exit with status 2 and print the usage on stderr', () => {
  const unknown = runOrelab(['split', '--nope']);
  assert.equal(unknown.status, 2, unknown.stderr);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /^orelab split: Unknown option '--nope'.*\nusage: orelab split \[--seed N\] \[--ratios 8:1:1\]/s);
  const dir = tempDir();
  const lr = runOrelab(['train', '--db', path.join(dir, 'catalogue.sqlite'), '--out', path.join(dir, 'run'), '--lr', '0']);
  assert.equal(lr.status, 2, lr.stderr);
  assert.match(lr.stderr, /^orelab train: --lr must be > 0, got "0"\nusage: orelab train /);
});

test('an internal error is one line for the user; its stack goes to the log (or below the line when there is no log)', () => {
  const dir = tempDir();
  const previous = process.env.ORELAB_LOG_DIR;
  process.env.ORELAB_LOG_DIR = path.join(dir, 'logs');
  try {
    const bug = new TypeError('cannot read properties of undefined');
    const line = internalErrorLine(bug);
    assert.doesNotMatch(line, /\n/);
    assert.match(line, /^cannot read properties of undefined \(details in .*orelab-cli\.log; please report them\)$/);
    const log = fs.readFileSync(path.join(dir, 'logs', 'orelab-cli.log'), 'utf8');
    assert.ok(log.includes(bug.stack!), 'the stack is in the log');
    // A log folder that cannot be made (a file is in the way): the stack is printed instead of lost.
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    process.env.ORELAB_LOG_DIR = path.join(dir, 'file', 'logs');
    assert.ok(internalErrorLine(bug).includes(bug.stack!));
  } finally {
    if (previous === undefined) delete process.env.ORELAB_LOG_DIR;
    else process.env.ORELAB_LOG_DIR = previous;
  }
});
