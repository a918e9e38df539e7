import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ImportSummary } from '../../src/shared/domain';
import { tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';
import { parseJson, runOrelab } from '../helpers/cli';

/** `dir/name` as raw bytes, so that a name may hold bytes that are not UTF-8. */
const rawPath = (dir: string, name: Buffer) => Buffer.concat([Buffer.from(dir + path.sep), name]);

test('a broken symbolic link and a file name that is not UTF-8 each get their own true reason, not "vanished"', async () => {
  const dir = tempDir();
  const root = path.join(dir, 'photos');
  fs.mkdirSync(root);
  fs.writeFileSync(path.join(root, 'good.jpg'), await makeJpeg(1));
  fs.symlinkSync('missing/nowhere.jpg', path.join(root, 'dangling.jpg'));
  // "bad\xff.jpg" (Latin-1 ÿ written as one byte) and a folder "mica\xfe" holding a photo: both unreachable through a UTF-8 path.
  fs.writeFileSync(rawPath(root, Buffer.from([...Buffer.from('bad'), 0xff, ...Buffer.from('.jpg')])), await makeJpeg(2));
  const badFolder = rawPath(root, Buffer.from([...Buffer.from('mica'), 0xfe]));
  fs.mkdirSync(badFolder);
  fs.writeFileSync(Buffer.concat([badFolder, Buffer.from('/inside.jpg')]), await makeJpeg(3));
  // A non-image with such a name is skipped quietly, as any non-image is.
  fs.writeFileSync(rawPath(root, Buffer.from([...Buffer.from('notes'), 0xff, ...Buffer.from('.txt')])), 'text');

  const run = runOrelab(['import', root, '--db', path.join(dir, 'c.sqlite'), '--json']);
  assert.equal(run.status, 0, run.stderr);
  const summary = parseJson<ImportSummary>(run);
  assert.equal(summary.new, 1);
  assert.equal(summary.skippedNonImage, 1);
  const reasons = Object.fromEntries(summary.errors.map((e) => [path.relative(root, e.path), e.reason]));
  assert.deepEqual(reasons, {
    'dangling.jpg': 'broken symbolic link → missing/nowhere.jpg',
    'bad\uFFFD.jpg': 'the file name is not valid UTF-8; rename it',
    'mica\uFFFD': 'the file name is not valid UTF-8; rename it',
  });

  const human = runOrelab(['import', root, '--db', path.join(dir, 'c2.sqlite')]);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /dangling\.jpg: broken symbolic link → missing\/nowhere\.jpg/);
  assert.doesNotMatch(human.stdout, /vanished/);
});
