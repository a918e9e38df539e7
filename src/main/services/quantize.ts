// Use case: an int8 copy of a float model for CPU-only machines (issue 14). The CLI (`orelab quantize`) comes
// here; the graph rewrite is the engine's (engine/export/quantize.ts).
//
//   model.onnx ──quantizeModel──▶ int8 bytes (temp file) ──evaluate both on the same photos (jobs/evaluate.ts)──▶
//   agreement, largest probability change, both accuracies ──guard──▶ out (metadata: precision int8, source
//   sha256, the agreement) or a refusal (written anyway with --force, and said loudly)
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { UserError } from '../../shared/errors';
import { argmax } from '../../shared/metrics';
import { encodeModelMetadata, modelPrecision, type ModelMetadata, type Quantization } from '../../shared/model-metadata';
import type { Split } from '../../shared/domain';
import { quantizeModel } from '../engine';
import { writeFileAtomicSync } from '../base/atomic-write';
import { sha256FileSync } from '../base/file-hash';
import { labeledSplitSpecimens, type Db } from '../catalogue';
import { scanFolder } from '../images/scan';
import { evaluateItems, type ScoredItem } from '../jobs/evaluate';
import type { DataItem } from '../jobs/cached-batches';
import { OnnxClassifier } from '../jobs/inference/classifier';
import { modelFileFromBytes } from '../jobs/inference/model-file';
import { requireOutputFile, type RunHooks } from './context';

/** The issue's guard: at least 99% of the predicted classes unchanged, and at most 1 point of accuracy lost. */
export const MIN_AGREEMENT = 0.99;
export const MAX_ACCURACY_DROP = 0.01;

export type QuantizeCheck = { kind: 'split'; db: Db; cataloguePath: string; split: Split } | { kind: 'folder'; dir: string };

export interface QuantizeParams {
  model: string;
  out: string;
  /** Per-column weight scales (default) or one per matrix. */
  perChannel?: boolean;
  /** More layers to keep in float, by parameter name (e.g. /mlp\.fc2/). */
  keepFloat?: RegExp;
  /** Where to measure the agreement; null: not measured (said in the result and in the file). */
  check: QuantizeCheck | null;
  /** Write even when the guard fails (the result then carries the warning). */
  force?: boolean;
}

export type Agreement = NonNullable<Quantization['agreement']>;

export interface QuantizeResult {
  out: string;
  sourceSha256: string;
  quantized: string[];
  keptFloat: { weight: string; reason: string }[];
  agreement: Agreement | null;
  /** Why the guard failed (the file was written only under force), or null. */
  guardFailure: string | null;
  /** True when the source is not an Orelab classifier (quantized, but nothing could be checked). */
  foreign: boolean;
  bytes: { source: number; int8: number };
}

export class QuantizeGuardError extends UserError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export async function runQuantize(params: QuantizeParams, hooks: RunHooks<{ stage: string; done: number; total: number }> = {}): Promise<QuantizeResult> {
  const source = path.resolve(params.model);
  const out = path.resolve(params.out);
  if (source === out) throw new UserError('invalid-input', `${out}: the output would overwrite the model it is made from; name another file`);
  requireOutputFile(out);
  const sourceBytes = readSource(source);
  const sourceSha256 = crypto.createHash('sha256').update(sourceBytes).digest('hex');
  const metadata = orelabMetadata(sourceBytes, source);
  if (metadata && modelPrecision(metadata) === 'int8') throw new UserError('invalid-input', `${source}: the model is already int8; quantize its float source instead`);
  if (params.check && !metadata) throw new UserError('invalid-input', `${source}: not an Orelab classifier, so its agreement cannot be checked on photos (it has no preprocessing or classes); quantize it without --db/--check`);
  const perChannel = params.perChannel ?? true;
  const scheme = `dynamic int8 (DynamicQuantizeLinear + MatMulInteger), ${perChannel ? 'per-channel' : 'per-tensor'} weight scales${params.keepFloat ? `, float: ${params.keepFloat.source}` : ''}`;
  const describe = (agreement: Agreement | null): Record<string, string> =>
    metadata ? encodeModelMetadata({ ...metadata, precision: 'int8', quantization: { source_sha256: sourceSha256, scheme, agreement } }) : { precision: 'int8', quantization: JSON.stringify({ source_sha256: sourceSha256, scheme, agreement }) };
  const first = quantizeModel(sourceBytes, source, { perChannel, metadata: describe(null), ...(params.keepFloat ? { keepFloat: params.keepFloat } : {}) });

  let agreement: Agreement | null = null;
  if (params.check && metadata) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-quantize-'));
    try {
      const int8File = path.join(tmp, 'model.int8.onnx');
      fs.writeFileSync(int8File, first.bytes);
      agreement = await measureAgreement(source, int8File, metadata, params.check, tmp, hooks);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  const guardFailure = agreement ? guardProblem(agreement) : null;
  if (guardFailure && !params.force) throw new QuantizeGuardError(`refused to write ${out}: ${guardFailure}. Keep the fp32 model, keep more layers in float (a ViT's post-GELU activations quantize worst: --keep-float 'mlp\\.fc2'), or write it anyway with --force`);
  const final = agreement ? setMetadata(first.bytes, describe(agreement)) : first.bytes;
  writeFileAtomicSync(out, final);
  return { out, sourceSha256, quantized: first.quantized, keptFloat: first.keptFloat, agreement, guardFailure, foreign: metadata === null, bytes: { source: sourceBytes.length, int8: final.length } };
}

/** The guard's verdict: null when the int8 model may replace its source. */
export function guardProblem(a: Agreement): string | null {
  const problems: string[] = [];
  if (a.agreement < MIN_AGREEMENT) problems.push(`the int8 model agrees with its source on ${(100 * a.agreement).toFixed(1)}% of ${a.photos} photos (at least ${100 * MIN_AGREEMENT}% needed)`);
  if (a.accuracy_fp32 !== null && a.accuracy_int8 !== null && a.accuracy_fp32 - a.accuracy_int8 > MAX_ACCURACY_DROP + 1e-9) {
    problems.push(`its accuracy drops by ${(100 * (a.accuracy_fp32 - a.accuracy_int8)).toFixed(1)} points (${(100 * a.accuracy_fp32).toFixed(1)}% → ${(100 * a.accuracy_int8).toFixed(1)}%; at most ${100 * MAX_ACCURACY_DROP} allowed)`);
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

function readSource(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UserError('not-found', `${file}: cannot read the model (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * The source's Orelab metadata, checked against its graph as classify checks it; null for a model Orelab did
 * not write (no metadata at all), which still quantizes but cannot be checked. A file that claims to be an
 * Orelab model and does not parse is refused (the model reader's message, from the bytes already read).
 */
function orelabMetadata(bytes: Buffer, file: string): ModelMetadata | null {
  let props: Record<string, string>;
  try {
    props = Object.fromEntries(onnxProto.onnx.ModelProto.decode(bytes).metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
  } catch {
    throw new UserError('invalid-input', `${file}: not an ONNX model (it cannot be decoded)`);
  }
  if (!('format' in props)) return null;
  return modelFileFromBytes(bytes, file).metadata;
}

function setMetadata(bytes: Uint8Array, props: Readonly<Record<string, string>>): Uint8Array {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  model.metadataProps = Object.entries(props).map(([key, value]) => onnxProto.onnx.StringStringEntryProto.create({ key, value }));
  return onnxProto.onnx.ModelProto.encode(model).finish();
}

/** The photos to compare on, with their labels where known (-1: unlabeled, in a folder outside a class folder). */
async function checkItems(check: QuantizeCheck, classes: readonly string[]): Promise<{ items: DataItem[]; labeled: Set<number>; on: string; cataloguePath: string | null }> {
  const index = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
  const items: DataItem[] = [];
  const labeled = new Set<number>();
  if (check.kind === 'split') {
    for (const r of labeledSplitSpecimens(check.db, check.split)) {
      const classIndex = index.get(r.class.toLowerCase());
      if (classIndex === undefined) continue;
      items.push({ specimenId: r.id, sha256: r.sha256, path: r.path, classIndex });
      labeled.add(r.id);
    }
    if (items.length === 0) throw new UserError('invalid-input', `${check.cataloguePath}: the ${check.split} split has no labeled photo of the model's classes to check the int8 model on; assign splits first, or give a folder with --check`);
    return { items, labeled, on: `catalogue split ${check.split}`, cataloguePath: check.cataloguePath };
  }
  let id = 0;
  for await (const e of scanFolder(check.dir)) {
    if (e.kind !== 'image') continue;
    const classIndex = e.classFolder === null ? undefined : index.get(e.classFolder.toLowerCase());
    items.push({ specimenId: id, sha256: sha256FileSync(e.path), path: e.path, classIndex: classIndex ?? 0 });
    if (classIndex !== undefined) labeled.add(id);
    id++;
  }
  if (items.length === 0) throw new UserError('invalid-input', `${check.dir}: no photos to check the int8 model on`);
  return { items, labeled, on: `folder ${check.dir}`, cataloguePath: null };
}

/** Both models on the same photos, one after the other (the second run reads the first's decoded pixels). */
async function measureAgreement(fp32File: string, int8File: string, metadata: ModelMetadata, check: QuantizeCheck, tmp: string, hooks: RunHooks<{ stage: string; done: number; total: number }>): Promise<Agreement> {
  const { items, labeled, on, cataloguePath } = await checkItems(check, metadata.classes);
  // A folder has no catalogue: its decoded pixels go to a cache in the temp folder.
  const cachePath = cataloguePath ?? path.join(tmp, 'check');
  const run = async (file: string, stage: string) => {
    const classifier = await OnnxClassifier.open(file);
    try {
      return await evaluateItems(cachePath, classifier, items, {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onProgress: (done, total) => hooks.onProgress?.({ stage, done, total }),
      });
    } finally {
      await classifier.close();
    }
  };
  const a = await run(fp32File, 'fp32');
  const b = await run(int8File, 'int8');
  if (a.partial || b.partial) throw new UserError('invalid-input', 'quantize: the check was cancelled before every photo was scored; nothing written');
  return compareScores(a.scored, b.scored, labeled, on);
}

/** Agreement of the predicted classes, the largest probability change, and both accuracies over the labeled photos. */
export function compareScores(fp32: readonly ScoredItem[], int8: readonly ScoredItem[], labeled: ReadonlySet<number>, on: string): Agreement {
  const other = new Map(int8.map((s) => [s.specimenId, s]));
  let same = 0;
  let n = 0;
  let maxChange = 0;
  let right32 = 0;
  let right8 = 0;
  let nLabeled = 0;
  for (const s of fp32) {
    const t = other.get(s.specimenId);
    if (!t) continue;
    n++;
    const p32 = argmax(s.probabilities);
    const p8 = argmax(t.probabilities);
    if (p32 === p8) same++;
    s.probabilities.forEach((p, i) => (maxChange = Math.max(maxChange, Math.abs(p - t.probabilities[i]!))));
    if (labeled.has(s.specimenId)) {
      nLabeled++;
      if (p32 === s.classIndex) right32++;
      if (p8 === s.classIndex) right8++;
    }
  }
  if (n === 0) throw new UserError('invalid-input', `quantize: no photo of the ${on} could be read to check the int8 model on`);
  return {
    on,
    photos: n,
    agreement: same / n,
    max_probability_change: maxChange,
    accuracy_fp32: nLabeled > 0 ? right32 / nLabeled : null,
    accuracy_int8: nLabeled > 0 ? right8 / nLabeled : null,
  };
}
