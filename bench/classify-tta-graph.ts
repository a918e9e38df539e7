// bench/classify-tta-graph: test-time augmentation built into the inference graph against the 8 views batched
// from the host (what jobs/batch-classifier.ts withTestTimeAugmentation does), on MA-ViT-Ti 224 with a batch
// of 8: one photo per run either way. The graph version is the exported model.onnx with the views made in
// front of it (Slice with step -1 for the flips, Transpose for the quarter turns, Concat) and a ReduceMean over
// the 8 probability rows behind it. Interleaved rounds on one session each (2 threads, as the inference worker
// sets them up); medians reported. BENCH_ROUNDS, BENCH_PHOTOS (per round) override the defaults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { presetModel } from '../src/main/engine/models/mavit';
import { initParams } from '../src/main/engine/models/model';
import { createSession, ort } from '../src/main/engine';
import { exportClassifier } from '../src/main/jobs/train/export';
import { AUGREG_PREPROCESS } from '../src/main/images/preprocess';
import { writeDihedralChw } from '../src/main/images/dihedral';
import { TTA_VIEWS } from '../src/main/jobs/batch-classifier';

const { onnx } = onnxProto;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 6);
const CLASSES = ['biotite', 'bornite', 'chrysocolla', 'malachite', 'muscovite', 'pyrite', 'quartz'];
const S = AUGREG_PREPROCESS.size;
const PER_IMAGE = 3 * S * S;
const VIEWS = TTA_VIEWS.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The model with its batch-of-8 input fed by the 8 views of one photo, and the mean of their probabilities as its output. */
function withViewsInGraph(modelBytes: Uint8Array): { bytes: Uint8Array; input: string; output: string } {
  const proto = onnx.ModelProto.decode(modelBytes);
  const g = proto.graph!;
  const modelInput = g.input![0]!.name!;
  const probabilities = g.output!.find((o) => o.name === 'probabilities')!.name!;
  const int64 = (name: string, value: number) => ({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [value] });
  g.initializer!.push(int64('tta_minus1', -1), int64('tta_lowest', -Number.MAX_SAFE_INTEGER), int64('tta_rows', 2), int64('tta_columns', 3));
  const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) => ({ opType, input, output: [output], attribute, name: output });
  const flip = (x: string, axis: 'tta_rows' | 'tta_columns', out: string) => node('Slice', [x, 'tta_minus1', 'tta_lowest', axis, 'tta_minus1'], out);
  const views = [
    flip('tta_photo', 'tta_columns', 'tta_v1'),
    flip('tta_photo', 'tta_rows', 'tta_v2'),
    flip('tta_v1', 'tta_rows', 'tta_v3'),
    node('Transpose', ['tta_photo'], 'tta_v4', [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 1, 3, 2] }]),
    flip('tta_v4', 'tta_columns', 'tta_v5'),
    flip('tta_v4', 'tta_rows', 'tta_v6'),
    flip('tta_v5', 'tta_rows', 'tta_v7'),
    node('Concat', ['tta_photo', 'tta_v1', 'tta_v2', 'tta_v3', 'tta_v4', 'tta_v5', 'tta_v6', 'tta_v7'], modelInput, [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]),
  ];
  const mean = node('ReduceMean', [probabilities], 'tta_probabilities', [
    { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [0] },
    { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
  ]);
  g.node = [...views, ...g.node!, mean];
  const oneRow = (info: onnxProto.onnx.IValueInfoProto, name: string) => {
    const copy = onnx.ValueInfoProto.fromObject(onnx.ValueInfoProto.toObject(info as onnxProto.onnx.ValueInfoProto));
    copy.name = name;
    copy.type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
    return copy;
  };
  g.input = [oneRow(g.input![0]!, 'tta_photo')];
  g.output = [oneRow(g.output!.find((o) => o.name === probabilities)!, 'tta_probabilities')];
  return { bytes: onnx.ModelProto.encode(proto).finish(), input: 'tta_photo', output: 'tta_probabilities' };
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'orelab-bench-tta-'));
  try {
    const model = presetModel('mavit', 'vit-ti', CLASSES.length);
    const modelPath = path.join(work, 'model.onnx');
    exportClassifier(modelPath, { model, params: initParams(model, 0), variant: 'mavit', backbone: 'vit-ti', classes: CLASSES, preprocessing: AUGREG_PREPROCESS, weightsSource: 'bench', trainingRun: null, datasetSha256: null, metrics: [], batchSize: VIEWS });
    const graph = withViewsInGraph(fs.readFileSync(modelPath));
    const options = { spinning: false, optimizationLevel: 'extended' as const, providers: ['cpu' as const], intraOpThreads: 2 };
    const plainSession = (await createSession(modelPath, options)).session;
    const graphSession = (await createSession(graph.bytes, options)).session;
    const photo = new Float32Array(PER_IMAGE).map((_, i) => Math.sin(i * 0.001));
    const batched = async () => {
      const started = performance.now();
      const views = new Float32Array(VIEWS * PER_IMAGE);
      TTA_VIEWS.forEach((view, v) => writeDihedralChw(photo, 0, S, 3, view, views, v * PER_IMAGE));
      const viewsMs = performance.now() - started;
      const out = await plainSession.run({ [plainSession.inputNames[0]!]: new ort.Tensor('float32', views, [VIEWS, 3, S, S]) }, ['probabilities']);
      const rows = out['probabilities']!.data as Float32Array;
      const mean = CLASSES.map((_, c) => TTA_VIEWS.reduce((sum, _view, v) => sum + rows[v * CLASSES.length + c]!, 0) / VIEWS);
      return { ms: performance.now() - started, viewsMs, mean };
    };
    const inGraph = async () => {
      const started = performance.now();
      const out = await graphSession.run({ [graph.input]: new ort.Tensor('float32', photo, [1, 3, S, S]) }, [graph.output]);
      return { ms: performance.now() - started, mean: Array.from(out[graph.output]!.data as Float32Array) };
    };
    const [a, b] = [await batched(), await inGraph()];
    const agreement = Math.max(...a.mean.map((p, c) => Math.abs(p - b.mean[c]!)));
    console.log(`MA-ViT-Ti ${S}, ${VIEWS} views per photo, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; the two means differ by at most ${agreement.toExponential(1)}`);
    const results = { batched: [] as number[], graph: [] as number[], views: [] as number[] };
    let batchedFaster = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const runs = { batched: 0, graph: 0, views: 0 };
      for (let i = 0; i < PHOTOS; i++) {
        const r = await batched();
        runs.batched += r.ms / PHOTOS;
        runs.views += r.viewsMs / PHOTOS;
      }
      for (let i = 0; i < PHOTOS; i++) runs.graph += (await inGraph()).ms / PHOTOS;
      results.batched.push(runs.batched);
      results.graph.push(runs.graph);
      results.views.push(runs.views);
      if (runs.batched < runs.graph) batchedFaster++;
      console.log(`round ${round + 1}: batched ${runs.batched.toFixed(1)} ms/photo (views on the host ${runs.views.toFixed(2)}), in the graph ${runs.graph.toFixed(1)} ms/photo`);
    }
    console.log(
      `tta: batched ${median(results.batched).toFixed(1)} ms/photo (host views ${median(results.views).toFixed(2)}), in the graph ${median(results.graph).toFixed(1)} ms/photo; batched faster in ${batchedFaster} of ${ROUNDS} rounds of ${PHOTOS} photos (load ${os.loadavg()[0]!.toFixed(1)})`,
    );
    await plainSession.release();
    await graphSession.release();
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main();
