// `orelab embed` and ensureEmbeddings on real catalogues, real JPEGs and real ORT sessions: vectors are cached
// per model file hash, a cancelled run leaves valid rows and the re-run embeds only the rest, and an unreadable
// photo is named and skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { embeddingCount, getEmbeddings, groupEmbeddingModel, openDatabase, registerModel, specimensWithoutEmbedding, type Db } from '../../src/main/catalogue';
import { readModelFile } from '../../src/main/jobs/inference/model-file';
import { encodeModelMetadata } from '../../src/shared/model-metadata';
import { UserError } from '../../src/shared/errors';
import onnxProto from 'onnx-proto';
import { importFolder } from '../../src/main/jobs/import';
import { defaultWeightsPath } from '../../src/main/jobs/train/weights';
import { ensureEmbeddings } from '../../src/main/services/embed';
import type { EmbedProgress } from '../../src/shared/schemas/embed';
import { setTimeout as delay } from 'node:timers/promises';
import { runCliInProcess, spawnOrelab } from '../helpers/cli';
import { MINERALS7, tempDir } from '../helpers/fs';
import { makeJpeg } from '../helpers/images';
import { makeTinyClassifier } from '../helpers/model';

/** A catalogue of `n` distinct generated photos (unlabeled: embeddings do not need labels). */
async function catalogueOf(n: number): Promise<{ dir: string; file: string; db: Db; photos: string }> {
  const dir = tempDir();
  const photos = path.join(dir, 'photos');
  fs.mkdirSync(photos);
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(photos, `p${String(i).padStart(3, '0')}.jpg`), await makeJpeg(i + 1));
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  await importFolder(db, { folder: photos, labelsFromFolders: false });
  return { dir, file, db, photos };
}

const sha256File = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const vectorsById = (db: Db, sha: string) => new Map(getEmbeddings(db, sha).map((e) => [e.specimenId, Array.from(e.vector)]));

test('vectors are cached per model file hash: a re-run embeds nothing, a changed model file is embedded again', async () => {
  const { dir, file, db } = await catalogueOf(6);
  try {
    const model = makeTinyClassifier(dir, ['a', 'b'], { seed: 1 });
    const first = await ensureEmbeddings({ db, cataloguePath: file }, { model, device: 'cpu' });
    assert.equal(first.model.sha256, sha256File(model));
    assert.equal(first.model.kind, 'classifier');
    assert.deepEqual([first.specimens, first.embedded, first.cached, first.model.dim], [6, 6, 0, 32]);
    assert.equal(embeddingCount(db, first.model.sha256), 6);
    const before = vectorsById(db, first.model.sha256);

    const again = await ensureEmbeddings({ db, cataloguePath: file }, { model, device: 'cpu' });
    assert.deepEqual([again.embedded, again.cached, again.model.dim], [0, 6, 32]);

    // Other weights at the same path: another hash, so every specimen is embedded again, and the old rows
    // (still there under the old hash) are not what the new model reads.
    fs.copyFileSync(makeTinyClassifier(dir, ['a', 'b'], { seed: 2 }), model);
    const changed = await ensureEmbeddings({ db, cataloguePath: file }, { model, device: 'cpu' });
    assert.notEqual(changed.model.sha256, first.model.sha256);
    assert.deepEqual([changed.embedded, changed.cached], [6, 0]);
    const after = vectorsById(db, changed.model.sha256);
    for (const [id, v] of after) assert.notDeepEqual(v, before.get(id), `specimen ${id}: the new model's vector is the old one`);
    assert.deepEqual(vectorsById(db, first.model.sha256), before);
  } finally {
    db.close();
  }
});

test('a run cancelled mid-way leaves whole, correct rows, and the re-run embeds only the missing specimens', async () => {
  const { dir, file, db } = await catalogueOf(40);
  const reference = await catalogueOf(40);
  try {
    const model = makeTinyClassifier(dir, ['a', 'b'], { seed: 3 });
    const controller = new AbortController();
    // Cancel as soon as the first batch is stored (an event of the run, not a time).
    const onProgress = (p: EmbedProgress) => {
      if (p.done > 0) controller.abort();
    };
    const cut = await ensureEmbeddings({ db, cataloguePath: file }, { model, device: 'cpu' }, { signal: controller.signal, onProgress });
    assert.equal(cut.cancelled, true);
    assert.ok(cut.embedded > 0 && cut.embedded < 40, `embedded ${cut.embedded} of 40 before the cancel took effect`);
    const sha = cut.model.sha256;
    assert.equal(embeddingCount(db, sha), cut.embedded);
    const missing = specimensWithoutEmbedding(db, sha).map((s) => s.id);
    assert.equal(missing.length, 40 - cut.embedded);
    const kept = vectorsById(db, sha);

    const rest = await ensureEmbeddings({ db, cataloguePath: file }, { model, device: 'cpu' });
    assert.deepEqual([rest.cancelled, rest.cached, rest.embedded, rest.errors.length], [false, cut.embedded, 40 - cut.embedded, 0]);
    const all = vectorsById(db, sha);
    for (const [id, v] of kept) assert.deepEqual(all.get(id), v, `specimen ${id} was embedded again`);

    // Every vector, from either run, is the one an uninterrupted run gives the same photo.
    const whole = await ensureEmbeddings({ db: reference.db, cataloguePath: reference.file }, { model, device: 'cpu' });
    assert.equal(whole.embedded, 40);
    const want = vectorsById(reference.db, sha);
    assert.equal(all.size, 40);
    for (const [id, v] of all) {
      const w = want.get(id)!;
      assert.ok(Math.max(...v.map((x, k) => Math.abs(x - w[k]!))) < 1e-5, `specimen ${id}: its vector is not its photo's`);
    }
  } finally {
    db.close();
    reference.db.close();
  }
});

test('an unreadable or changed photo is reported by path and skipped; the others are embedded', async () => {
  const { dir, file, db, photos } = await catalogueOf(5);
  try {
    const changed = path.join(photos, 'p001.jpg');
    const gone = path.join(photos, 'p003.jpg');
    fs.writeFileSync(changed, 'not a photo any more');
    fs.rmSync(gone);
    const model = makeTinyClassifier(dir, ['a', 'b'], { seed: 4 });
    const r = await ensureEmbeddings({ db, cataloguePath: file }, { model, device: 'cpu' });
    const reasons = new Map(r.errors.map((e) => [path.basename(e.path), e.reason]));
    assert.deepEqual([...reasons.keys()].sort(), ['p001.jpg', 'p003.jpg']);
    assert.match(reasons.get('p001.jpg')!, /changed since it was catalogued/);
    assert.match(reasons.get('p003.jpg')!, /no longer there/);
    assert.deepEqual([r.embedded, r.cancelled], [3, false]);
    assert.equal(embeddingCount(db, r.model.sha256), 3);
    // A re-run tries the two again (still failing) and embeds nothing else.
    const again = await ensureEmbeddings({ db, cataloguePath: file }, { model, device: 'cpu' });
    assert.deepEqual([again.embedded, again.cached, again.errors.length], [0, 3, 2]);
  } finally {
    db.close();
  }
});

test('orelab embed: the shipped ViT-Ti by default (keyed by its weights file), a model by its catalogue id, a clear error for an unknown one', async () => {
  const { dir, file, db } = await catalogueOf(3);
  db.close();
  const run = await runCliInProcess(['embed', '--db', file, '--json']);
  assert.equal(run.status, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { model: { sha256: string; kind: string; dim: number }; embedded: number; specimens: number };
  assert.deepEqual([out.model.kind, out.model.dim, out.embedded, out.specimens], ['pretrained', 192, 3, 3]);
  assert.equal(out.model.sha256, sha256File(defaultWeightsPath()));
  // The shipped backbone's embeddings become the catalogue's grouping model; a trained model's (below) do not.
  const grouping = () => {
    const read = openDatabase(file);
    try {
      return groupEmbeddingModel(read);
    } finally {
      read.close();
    }
  };
  assert.equal(grouping(), out.model.sha256);

  const unknown = await runCliInProcess(['embed', '--db', file, '--model', 'feedfacefeedface']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no model "feedfacefeedface" in the catalogue/);

  const model = makeTinyClassifier(dir, ['a', 'b'], { seed: 5 });
  const text = await runCliInProcess(['embed', '--db', file, '--model', model]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /3 embedded now, 0 already stored, 0 failed, of 3 specimens/);
  assert.equal(grouping(), out.model.sha256);

  // The same file named by its id in the catalogue: the same hash, so nothing to do.
  const m = readModelFile(model);
  const registered = openDatabase(file);
  registerModel(registered, { id: m.id, path: model, runId: null, name: 'tiny', classes: ['a', 'b'], metadata: encodeModelMetadata(m.metadata) });
  registered.close();
  const byId = await runCliInProcess(['embed', '--db', file, '--model', m.id.slice(0, 8), '--json']);
  assert.equal(byId.status, 0, byId.stderr);
  assert.deepEqual(
    (({ model: { sha256 }, embedded, cached }) => [sha256, embedded, cached])(JSON.parse(byId.stdout) as { model: { sha256: string }; embedded: number; cached: number }),
    [sha256File(model), 0, 3],
  );
});

test('a model file Orelab cannot rebuild is refused with a message naming it, and nothing is stored', async () => {
  const { dir, file, db } = await catalogueOf(2);
  try {
    const notModel = path.join(dir, 'notes.onnx');
    fs.writeFileSync(notModel, 'not a model');
    await assert.rejects(ensureEmbeddings({ db, cataloguePath: file }, { model: notModel, device: 'cpu' }), (err: Error) => err instanceof UserError && /notes\.onnx: not an ONNX model/.test(err.message));

    // A classifier whose engine config was stripped: its metadata is valid, its backbone cannot be rebuilt.
    const model = makeTinyClassifier(dir, ['a', 'b'], { seed: 6 });
    const proto = onnxProto.onnx.ModelProto.decode(fs.readFileSync(model));
    proto.metadataProps = proto.metadataProps.filter((p) => p.key !== 'orelab.model');
    const stripped = path.join(dir, 'stripped.onnx');
    fs.writeFileSync(stripped, onnxProto.onnx.ModelProto.encode(proto).finish());
    await assert.rejects(
      ensureEmbeddings({ db, cataloguePath: file }, { model: stripped, device: 'cpu' }),
      (err: Error) => err instanceof UserError && /stripped\.onnx: cannot embed with this model: .*no "orelab\.model" metadata/.test(err.message),
    );
    assert.equal(embeddingCount(db, sha256File(stripped)), 0);
  } finally {
    db.close();
  }
});

test('kill -9 during orelab embed leaves whole rows, and the re-run embeds exactly the specimens without one', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'c.sqlite');
  const db = openDatabase(file);
  await importFolder(db, { folder: MINERALS7, labelsFromFolders: true });
  db.close();
  const model = makeTinyClassifier(dir, ['a', 'b'], { seed: 7 });
  const sha = sha256File(model);
  const child = spawnOrelab(['embed', '--db', file, '--model', model]);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  let finished = false;
  void exited.then(() => (finished = true));
  const reader = openDatabase(file, { readonly: true });
  try {
    while (!finished && embeddingCount(reader, sha) < 16) await delay(10);
  } finally {
    reader.close();
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the run finished before it could be killed');

  const after = openDatabase(file);
  try {
    assert.equal((after.pragma('integrity_check') as { integrity_check: string }[])[0]!.integrity_check, 'ok');
    const kept = getEmbeddings(after, sha);
    assert.ok(kept.length >= 16 && kept.length < 804, `${kept.length} rows survived the kill`);
    // Batches of 8 are stored whole (one transaction each), and every minerals7 photo is readable.
    assert.equal(kept.length % 8, 0, `${kept.length} rows: a batch was stored in part`);
    for (const e of kept) assert.equal(e.vector.length, 32);
    const rerun = await ensureEmbeddings({ db: after, cataloguePath: file }, { model, device: 'cpu' });
    assert.deepEqual([rerun.cached, rerun.embedded, rerun.errors.length], [kept.length, 804 - kept.length, 0]);
    assert.equal(embeddingCount(after, sha), 804);
  } finally {
    after.close();
  }
});
