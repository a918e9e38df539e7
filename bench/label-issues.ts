// bench/label-issues: does the quick mode find wrong labels? minerals7 is imported into a temp catalogue, a
// seeded random 5% (then 10%) of its labels are flipped, class-conditionally (each to the class the quick model
// confuses most with its true class, as real noise does), and `findLabelIssues` (what `orelab label-issues`
// runs) audits it. Precision, recall and F1 of its issues against the flipped set, three seeds each; against a
// baseline that ranks by out-of-fold loss and takes as many as confident learning returned.
//
// Only flipped specimens count as true positives, although minerals7's own labels hold real errors too (the
// unmodified catalogue already has issues): an issue on an original wrong label counts against precision here.
//
//   npm run bench -- label-issues            (BENCH_SEEDS=1,2,3 by default)
//
// Last line: `label-issues: noise 5%, precision P, recall R, f1 F, loss-baseline f1 B, seconds S`: the means
// over the seeds at 5%, and S the cold end-to-end audit of the clean catalogue (embeddings made, then audited).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyLabelChanges, findClass, getEmbeddings, openDatabase, photoGroups, undoLabelOp, type Db } from '../src/main/catalogue';
import { auditSpecimens } from '../src/main/catalogue/label-issues';
import { importFolder } from '../src/main/jobs/import';
import { planQuickFolds, quickOutOfFold } from '../src/main/jobs/label-issues/quick';
import { findLabelIssues } from '../src/main/services/label-issues';
import { LabelIssuesParamsSchema } from '../src/shared/schemas';
import { mulberry32 } from '../src/shared/random';

const DATASET = path.resolve(import.meta.dirname, '../../shared/datasets/minerals7');
const SEEDS = (process.env.BENCH_SEEDS ?? '1,2,3').split(',').map(Number);
const NOISE = [0.05, 0.1];
const PARAMS = LabelIssuesParamsSchema.parse({});

interface Scores {
  precision: number;
  recall: number;
  f1: number;
}

function score(flagged: readonly number[], flipped: ReadonlySet<number>): Scores {
  const tp = flagged.filter((id) => flipped.has(id)).length;
  const precision = flagged.length > 0 ? tp / flagged.length : 0;
  const recall = flipped.size > 0 ? tp / flipped.size : 0;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** The quick mode's out-of-fold probabilities, as the service computes them (same folds, same regression). */
function outOfFold(db: Db, modelSha256: string) {
  const vectors = new Map(getEmbeddings(db, modelSha256).map((e) => [e.specimenId, e.vector]));
  const { groupOf } = photoGroups(db);
  const input = auditSpecimens(db)
    .filter((s) => s.label !== null && vectors.has(s.id))
    .map((s) => ({ id: s.id, sha256: s.sha256, class: s.label!, group: groupOf.get(s.id) ?? s.id, vector: vectors.get(s.id)! }));
  return quickOutOfFold(planQuickFolds(input, PARAMS.folds, PARAMS.seed), PARAMS.folds)!;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-bench-label-issues-'));
  try {
    const file = path.join(dir, 'minerals7.sqlite');
    const db = openDatabase(file);
    const imported = await importFolder(db, { folder: DATASET, labelsFromFolders: true });
    console.log(`imported ${imported.new} photos of minerals7 into ${file}`);
    const ctx = { db, cataloguePath: file };

    // Cold: the embeddings are made here.
    const cpu0 = process.cpuUsage();
    const clean = await findLabelIssues(ctx, PARAMS);
    const cpu = process.cpuUsage(cpu0);
    const coldSeconds = clean.seconds;
    console.log(
      `clean catalogue, cold (embedding ${clean.outliers_scored} photos, then the audit): ${coldSeconds.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; ` +
        `${clean.issues.length} issues (minerals7's own), noise rate ${(100 * clean.estimated_noise_rate).toFixed(1)}%, ${clean.outliers.length} outliers`,
    );
    const sha = clean.source.embedding_model.sha256;
    const ownIssues = new Set(clean.issues.map((i) => i.id));

    // The class each true class is most confused with, by the clean out-of-fold predictions.
    const base = outOfFold(db, sha);
    const K = base.classes.length;
    const confusion = base.classes.map(() => new Array<number>(K).fill(0));
    base.specimens.forEach((s, i) => {
      let best = 0;
      for (let k = 1; k < K; k++) if (base.probabilities[i * K + k]! > base.probabilities[i * K + best]!) best = k;
      confusion[base.classes.indexOf(s.class)]![best]!++;
    });
    const confusedWith = base.classes.map((_, c) => {
      let best = -1;
      for (let k = 0; k < K; k++) if (k !== c && (best < 0 || confusion[c]![k]! > confusion[c]![best]!)) best = k;
      return base.classes[best]!;
    });
    console.log(`flips go to: ${base.classes.map((c, i) => `${c} → ${confusedWith[i]}`).join(', ')}`);
    const classIds = new Map(base.classes.map((c) => [c, findClass(db, c)!.id]));

    const rows: { noise: number; seed: number; flipped: number; issues: number; cl: Scores; baseline: Scores; seconds: number; cpu: number; ownPrecision: number }[] = [];
    for (const noise of NOISE) {
      for (const seed of SEEDS) {
        // A seeded sample of the labeled specimens (a partial Fisher–Yates shuffle of the ids in order).
        const ids = base.specimens.map((s) => s.id);
        const random = mulberry32(seed * 1000 + Math.round(noise * 100));
        const count = Math.round(noise * ids.length);
        for (let i = 0; i < count; i++) {
          const j = i + Math.floor(random() * (ids.length - i));
          [ids[i], ids[j]] = [ids[j]!, ids[i]!];
        }
        const flippedIds = ids.slice(0, count);
        const classOf = new Map(base.specimens.map((s) => [s.id, s.class]));
        const byTarget = new Map<string, number[]>();
        for (const id of flippedIds) {
          const target = confusedWith[base.classes.indexOf(classOf.get(id)!)]!;
          byTarget.set(target, [...(byTarget.get(target) ?? []), id]);
        }
        const ops = [...byTarget].map(([target, specimenIds]) =>
          applyLabelChanges(db, { specimenIds, toClassId: classIds.get(target)!, source: 'manual', kind: 'bench-flip', description: `bench: flip ${specimenIds.length} to ${target}` }),
        );
        try {
          const cpuRun = process.cpuUsage();
          const result = await findLabelIssues(ctx, PARAMS);
          const cpuUsed = process.cpuUsage(cpuRun);
          const flipped = new Set(flippedIds);
          const flagged = result.issues.map((i) => i.id);
          // Baseline: the highest out-of-fold losses, as many as confident learning flagged.
          const noisy = outOfFold(db, sha);
          const losses = noisy.specimens.map((s, i) => ({ id: s.id, loss: -Math.log(Math.max(1e-300, noisy.probabilities[i * K + noisy.classes.indexOf(s.class)]!)) }));
          const byLoss = losses.sort((a, b) => b.loss - a.loss || a.id - b.id).slice(0, flagged.length).map((l) => l.id);
          // For the caveat: precision when the clean catalogue's own issues (likely real errors) are not counted at all.
          const notOwn = flagged.filter((id) => flipped.has(id) || !ownIssues.has(id));
          rows.push({
            noise,
            seed,
            flipped: flipped.size,
            issues: flagged.length,
            cl: score(flagged, flipped),
            baseline: score(byLoss, flipped),
            seconds: result.seconds,
            cpu: (cpuUsed.user + cpuUsed.system) / 1e6,
            ownPrecision: score(notOwn, flipped).precision,
          });
          const r = rows[rows.length - 1]!;
          console.log(
            `noise ${Math.round(noise * 100)}% seed ${seed}: ${r.flipped} flipped, ${r.issues} issues; confident learning P ${r.cl.precision.toFixed(3)} R ${r.cl.recall.toFixed(3)} F1 ${r.cl.f1.toFixed(3)}; ` +
              `loss baseline F1 ${r.baseline.f1.toFixed(3)}; precision without the clean catalogue's own issues ${r.ownPrecision.toFixed(3)}; ${r.seconds.toFixed(1)} s wall, ${r.cpu.toFixed(1)} s CPU (cached embeddings)`,
          );
        } finally {
          for (const op of ops.reverse()) undoLabelOp(db, op);
        }
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const noise of NOISE) {
      const at = rows.filter((r) => r.noise === noise);
      console.log(
        `mean at ${Math.round(noise * 100)}% over seeds ${SEEDS.join(',')}: precision ${mean(at.map((r) => r.cl.precision)).toFixed(3)}, recall ${mean(at.map((r) => r.cl.recall)).toFixed(3)}, ` +
          `f1 ${mean(at.map((r) => r.cl.f1)).toFixed(3)}; loss baseline precision ${mean(at.map((r) => r.baseline.precision)).toFixed(3)}, recall ${mean(at.map((r) => r.baseline.recall)).toFixed(3)}, f1 ${mean(at.map((r) => r.baseline.f1)).toFixed(3)}; ` +
          `precision without the clean catalogue's own issues ${mean(at.map((r) => r.ownPrecision)).toFixed(3)}; ` +
          `audit ${mean(at.map((r) => r.seconds)).toFixed(1)} s wall, ${mean(at.map((r) => r.cpu)).toFixed(1)} s CPU with cached embeddings`,
      );
    }
    console.log('(only flipped specimens count as true positives; minerals7\'s own wrong labels, found as issues, count against precision)');
    const five = rows.filter((r) => r.noise === 0.05);
    db.close();
    console.log(
      `label-issues: noise 5%, precision ${mean(five.map((r) => r.cl.precision)).toFixed(3)}, recall ${mean(five.map((r) => r.cl.recall)).toFixed(3)}, ` +
        `f1 ${mean(five.map((r) => r.cl.f1)).toFixed(3)}, loss-baseline f1 ${mean(five.map((r) => r.baseline.f1)).toFixed(3)}, seconds ${coldSeconds.toFixed(1)}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
