import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import { openDatabase } from '../../src/main/catalogue';
import { tempDir } from '../helpers/fs';
import { runOrelab } from '../helpers/cli';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** A refusal as the CLI should give it: exit 1, one line on stderr naming the file, no stack trace. */
function assertOneLineRefusal(run: { status: number | null; stderr: string }, file: string, reason: RegExp): void {
  assert.equal(run.status, 1, run.stderr);
  const lines = run.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one line expected:\n${run.stderr}`);
  assert.ok(lines[0]!.includes(file), `names ${file}: ${lines[0]}`);
  assert.match(lines[0]!, reason);
  assert.doesNotMatch(run.stderr, /unexpected error|SqliteError|\bat .*\.ts:\d+/);
}

test('a file that is not SQLite is refused in one line naming it, and left as it was', () => {
  const dir = tempDir();
  const file = path.join(dir, 'notes.sqlite');
  fs.writeFileSync(file, 'Sample 17, found near the creek. Not a database at all, but long enough to have a header.\n');
  const before = sha256(file);
  const run = runOrelab(['stats', '--db', file]);
  assertOneLineRefusal(run, file, /is not an Orelab catalogue \(not a SQLite database\)/);
  assert.equal(sha256(file), before);
  assert.deepEqual(fs.readdirSync(dir), ['notes.sqlite']);
});

test('a read-only catalogue is refused when it is opened for writing, not at its first write', () => {
  const dir = tempDir();
  const file = path.join(dir, 'c.sqlite');
  openDatabase(file).close();
  // No write bit at all is the read-only signal, also as root (where access(W_OK) passes; see open.ts).
  fs.chmodSync(file, 0o444);
  const before = sha256(file);
  const run = runOrelab(['classes', 'add', 'quartz', '--db', file]);
  assertOneLineRefusal(run, file, /is read-only; /);
  assert.equal(sha256(file), before);
  assert.throws(() => openDatabase(file), /is read-only; /);
  // Reading it is still possible.
  const ro = openDatabase(file, { readonly: true });
  assert.equal((ro.prepare('SELECT COUNT(*) AS n FROM classes').get() as { n: number }).n, 0);
  ro.close();
});

test('a catalogue from a newer Orelab is refused without being changed: same bytes, still a rollback journal, no -wal/-shm', () => {
  const dir = tempDir();
  const file = path.join(dir, 'future.sqlite');
  openDatabase(file).close();
  const raw = new Database(file);
  raw.pragma('journal_mode = DELETE');
  raw.pragma('user_version = 999');
  raw.close();
  assert.deepEqual(fs.readdirSync(dir), ['future.sqlite']);
  const before = sha256(file);

  const run = runOrelab(['stats', '--db', file]);
  assertOneLineRefusal(run, file, /has schema version 999, newer than this Orelab understands/);
  assert.equal(sha256(file), before, 'the refused file is byte-identical');
  assert.deepEqual(fs.readdirSync(dir), ['future.sqlite'], 'no -wal, -shm or -journal left beside it');

  // The service refuses it the same way, also when opening read-only.
  assert.throws(() => openDatabase(file), /newer than this Orelab understands/);
  assert.throws(() => openDatabase(file, { readonly: true }), /newer than this Orelab understands/);
  assert.equal(sha256(file), before);
  assert.deepEqual(fs.readdirSync(dir), ['future.sqlite']);
});
