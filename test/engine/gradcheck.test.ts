// Finite-difference check of every registered op's gradient rule, on random shapes including broadcasting.
// float64 wherever ORT's CPU EP has the op's kernel in double; the few without one (Erf inside Gelu, Conv and
// ConvTranspose) run in float32 with a looser, stated tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, type Tensor } from '../../src/main/engine/graph/builder';
import type { DType } from '../../src/main/engine/graph/dtype';
import { encodeModel } from '../../src/main/engine/graph/encode';
import { Rng } from '../../src/main/engine/graph/random';
import * as op from '../../src/main/engine/ops/index';
import { backward } from '../../src/main/engine/autodiff/backward';
import { createSession, ort } from '../../src/main/engine/runtime/session';

interface InputSpec {
  shape: number[];
  /** 'float' (default): normal values; 'positive': in [0.5, 1.5]; 'spread': distinct, at least 0.05 apart;
   * 'awayFromZero': |x| >= 0.2 (kinks); 'labels' or 'index': int64 below `max`; 'mask': 0/1 floats. */
  kind?: 'float' | 'positive' | 'spread' | 'awayFromZero' | 'labels' | 'mask';
  max?: number;
  values?: number[];
  /** Differentiate wrt this input (default: floats yes). */
  diff?: boolean;
}

interface GradCase {
  /** The registered op this case checks. */
  op: string;
  name: string;
  dtype: 'float64' | 'float32';
  inputs: InputSpec[];
  build: (xs: Tensor[]) => Tensor;
}

// float64: step 1e-6 gives truncation error ~1e-12·f''' and rounding ~1e-16·|L|/1e-6; 1e-6 relative is ample.
// float32: ORT computes in float32 (ε ≈ 1.2e-7); with step 1e-2 the rounding error of a central difference is
// ~ε·|L|/h ≈ 1e-5·|L| and the truncation error ~h²·f''' ≈ 1e-4, so 1e-2 relative + 2e-3 absolute catches any
// wrong rule (those are off by O(1)) without flaking.
const TOL = {
  float64: { h: 1e-6, rtol: 1e-6, atol: 1e-8 },
  float32: { h: 1e-2, rtol: 1e-2, atol: 2e-3 },
};

const cases: GradCase[] = [
  { op: 'Add', name: 'broadcast [2,3,4] + [3,1]', dtype: 'float64', inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], build: ([a, b]) => op.add(a!, b!) },
  { op: 'Add', name: 'broadcast both ways [2,1,4] + [3,1]', dtype: 'float64', inputs: [{ shape: [2, 1, 4] }, { shape: [3, 1] }], build: ([a, b]) => op.add(a!, b!) },
  { op: 'Sub', name: 'broadcast [2,1,4] - [3,4]', dtype: 'float64', inputs: [{ shape: [2, 1, 4] }, { shape: [3, 4] }], build: ([a, b]) => op.sub(a!, b!) },
  { op: 'Mul', name: 'broadcast [2,3,4] * [4]', dtype: 'float64', inputs: [{ shape: [2, 3, 4] }, { shape: [4] }], build: ([a, b]) => op.mul(a!, b!) },
  { op: 'Mul', name: 'x used twice: x * x + x (accumulation)', dtype: 'float64', inputs: [{ shape: [3, 2] }], build: ([a]) => op.add(op.mul(a!, a!), a!) },
  { op: 'Div', name: 'broadcast [3,4] / [2,1,4]', dtype: 'float64', inputs: [{ shape: [3, 4] }, { shape: [2, 1, 4], kind: 'positive' }], build: ([a, b]) => op.div(a!, b!) },
  { op: 'MatMul', name: '[2,3,4] x [4,5] (shared weight)', dtype: 'float64', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: ([a, b]) => op.matmul(a!, b!) },
  { op: 'MatMul', name: 'batched [2,3,4] x [2,4,5]', dtype: 'float64', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5] }], build: ([a, b]) => op.matmul(a!, b!) },
  { op: 'MatMul', name: 'broadcast batch [2,1,3,4] x [3,4,2]', dtype: 'float64', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], build: ([a, b]) => op.matmul(a!, b!) },
  ...[false, true].flatMap((ta) =>
    [false, true].map(
      (tb): GradCase => ({
        op: 'Gemm',
        name: `transA=${ta} transB=${tb} alpha 0.5, bias [5]`,
        dtype: 'float64',
        inputs: [{ shape: ta ? [4, 3] : [3, 4] }, { shape: tb ? [5, 4] : [4, 5] }, { shape: [5] }],
        build: ([a, b, c]) => op.gemm(a!, b!, c!, { transA: ta, transB: tb, alpha: 0.5 }),
      }),
    ),
  ),
  { op: 'Gemm', name: 'bias [3,1] broadcast over columns', dtype: 'float64', inputs: [{ shape: [3, 4] }, { shape: [4, 2] }, { shape: [3, 1] }], build: ([a, b, c]) => op.gemm(a!, b!, c!) },
  { op: 'Reshape', name: '[2,3,4] -> [4,6]', dtype: 'float64', inputs: [{ shape: [2, 3, 4] }], build: ([a]) => op.reshape(a!, [4, 6]) },
  { op: 'Transpose', name: 'perm [2,0,1]', dtype: 'float64', inputs: [{ shape: [2, 3, 4] }], build: ([a]) => op.transpose(a!, [2, 0, 1]) },
  { op: 'Expand', name: '[1,1,3] -> [2,4,3]', dtype: 'float64', inputs: [{ shape: [1, 1, 3] }], build: ([a]) => op.expand(a!, [2, 4, 3]) },
  { op: 'Concat', name: 'three inputs on axis 1', dtype: 'float64', inputs: [{ shape: [2, 1, 3] }, { shape: [2, 4, 3] }, { shape: [2, 2, 3] }], build: (xs) => op.concat(xs, 1) },
  { op: 'Slice', name: 'two axes, negative end', dtype: 'float64', inputs: [{ shape: [3, 5, 4] }], build: ([a]) => op.slice(a!, { axes: [1, 2], starts: [1, 0], ends: [-1, 3] }) },
  { op: 'Split', name: 'axis 1 into [2, 3], pieces swapped', dtype: 'float64', inputs: [{ shape: [2, 5, 2] }], build: ([a]) => { const [p, q] = op.split(a!, 1, [2, 3]); return op.concat([q!, p!], 1); } },
  { op: 'Split', name: 'one piece unused (its gradient is zero)', dtype: 'float64', inputs: [{ shape: [3, 4] }], build: ([a]) => op.split(a!, 1, [1, 3])[1]! },
  { op: 'Gather', name: 'axis 1 with repeated indices', dtype: 'float64', inputs: [{ shape: [2, 4, 3] }, { shape: [4], kind: 'labels', values: [2, 0, 2, 3] }], build: ([a, i]) => op.gather(a!, i!, 1) },
  { op: 'Gather', name: 'scalar index drops the axis', dtype: 'float64', inputs: [{ shape: [3, 2, 4] }, { shape: [], kind: 'labels', values: [1] }], build: ([a, i]) => op.gather(a!, i!, 0) },
  { op: 'Softmax', name: 'last axis', dtype: 'float64', inputs: [{ shape: [2, 3, 5] }], build: ([a]) => op.softmax(a!, -1) },
  { op: 'Softmax', name: 'axis 1', dtype: 'float64', inputs: [{ shape: [2, 4, 3] }], build: ([a]) => op.softmax(a!, 1) },
  { op: 'LayerNormalization', name: '[2,3,6] eps 1e-6', dtype: 'float64', inputs: [{ shape: [2, 3, 6] }, { shape: [6] }, { shape: [6] }], build: ([x, w, b]) => op.layerNorm(x!, w!, b!, 1e-6) },
  { op: 'Gelu', name: 'exact erf GELU [3,5]', dtype: 'float32', inputs: [{ shape: [3, 5] }], build: ([a]) => op.gelu(a!) },
  { op: 'Sigmoid', name: '[3,5]', dtype: 'float64', inputs: [{ shape: [3, 5] }], build: ([a]) => op.sigmoid(a!) },
  { op: 'Relu', name: '[3,5] away from the kink', dtype: 'float64', inputs: [{ shape: [3, 5], kind: 'awayFromZero' }], build: ([a]) => op.relu(a!) },
  {
    op: 'Conv',
    name: 'patch embedding: 4x4 kernel, stride 4, with bias',
    dtype: 'float32',
    inputs: [{ shape: [2, 3, 8, 8] }, { shape: [5, 3, 4, 4] }, { shape: [5] }],
    build: ([x, w, b]) => op.conv2d(x!, w!, b!, { stride: 4 }),
  },
  {
    op: 'Conv',
    name: 'CBAM spatial: 7x7 kernel, pad 3, 2 -> 1 channels (dX by flipped-kernel Conv)',
    dtype: 'float32',
    inputs: [{ shape: [2, 2, 9, 9] }, { shape: [1, 2, 7, 7] }, { shape: [1] }],
    build: ([x, w, b]) => op.conv2d(x!, w!, b!, { pad: 3 }),
  },
  {
    op: 'Conv',
    name: '3x3 stride 2 pad 1 on odd 7x7 (dX by ConvTranspose with output_padding; weight-grad slicing), no bias',
    dtype: 'float32',
    inputs: [{ shape: [2, 2, 7, 7] }, { shape: [3, 2, 3, 3] }],
    build: ([x, w]) => op.conv2d(x!, w!, null, { stride: 2, pad: 1 }),
  },
  { op: 'ReduceSum', name: 'axes [0,2]', dtype: 'float64', inputs: [{ shape: [2, 3, 4] }], build: ([a]) => op.reduceSum(a!, [0, 2]) },
  { op: 'ReduceMean', name: 'global average pool [2,3,4,5] -> [2,3]', dtype: 'float64', inputs: [{ shape: [2, 3, 4, 5] }], build: ([a]) => op.globalAvgPool(a!) },
  { op: 'ReduceMean', name: 'mean over channels, keepdims', dtype: 'float64', inputs: [{ shape: [2, 3, 4] }], build: ([a]) => op.reduceMean(a!, [1], true) },
  { op: 'ReduceMax', name: 'global max pool [2,3,4,5] -> [2,3]', dtype: 'float64', inputs: [{ shape: [2, 3, 4, 5], kind: 'spread' }], build: ([a]) => op.globalMaxPool(a!) },
  { op: 'ReduceMax', name: 'max over channels, keepdims', dtype: 'float64', inputs: [{ shape: [2, 3, 4], kind: 'spread' }], build: ([a]) => op.reduceMax(a!, 1, true) },
  {
    op: 'DropPath',
    name: 'mask [1,0,1,1], keep 0.8',
    dtype: 'float64',
    inputs: [{ shape: [4, 3, 2] }, { shape: [4], kind: 'mask', values: [1, 0, 1, 1] }],
    build: ([x, m]) => op.dropPath(x!, m!, 0.8),
  },
  {
    op: 'WeightedSoftmaxCrossEntropy',
    name: '5 samples, 4 classes',
    dtype: 'float64',
    inputs: [{ shape: [5, 4] }, { shape: [5], kind: 'labels', values: [0, 3, 3, 1, 2] }, { shape: [4], kind: 'positive', diff: false }],
    build: ([z, y, w]) => op.weightedCrossEntropy(z!, y!, w!),
  },
];

/** Ops that declare no gradient; they may only sit where the loss does not depend on them. */
const notDifferentiable = ['ArgMax', 'Cast', 'Equal'];

function makeData(spec: InputSpec, dtype: DType, rng: Rng): Float64Array | BigInt64Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.kind === 'labels') return BigInt64Array.from(spec.values ?? Array.from({ length: n }, () => rng.int(spec.max ?? 2)), (v) => BigInt(v));
  if (spec.values) return Float64Array.from(spec.values);
  const out = new Float64Array(n);
  if (spec.kind === 'spread') {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    perm.forEach((p, i) => (out[i] = p * 0.05 - n * 0.025));
    return out;
  }
  for (let i = 0; i < n; i++) {
    if (spec.kind === 'positive') out[i] = rng.uniform(0.5, 1.5);
    else if (spec.kind === 'awayFromZero') out[i] = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.2, 1.5);
    else out[i] = rng.normal();
  }
  void dtype;
  return out;
}

function ortTensor(dtype: DType, data: Float64Array | BigInt64Array, shape: number[]): ort.Tensor {
  if (data instanceof BigInt64Array) return new ort.Tensor('int64', data, shape);
  return dtype === 'float64' ? new ort.Tensor('float64', Float64Array.from(data), shape) : new ort.Tensor('float32', Float32Array.from(data), shape);
}

async function checkCase(c: GradCase, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const g = new GraphBuilder('gradcheck');
  const isInt = (s: InputSpec) => s.kind === 'labels';
  const xs = c.inputs.map((s, i) => g.input(`x${i}`, isInt(s) ? 'int64' : c.dtype, s.shape));
  const out = c.build(xs);
  const proj = g.input('proj', c.dtype, out.shape);
  const loss = op.reduceSum(op.mul(out, proj), out.shape.map((_, i) => i));
  const wrtIdx = c.inputs.map((s, i) => (!isInt(s) && s.kind !== 'mask' && s.diff !== false ? i : -1)).filter((i) => i >= 0);
  const grads = backward(g, loss, wrtIdx.map((i) => xs[i]!));
  g.output(loss, 'loss');
  for (const i of wrtIdx) g.output(grads.get(`x${i}`)!, `grad${i}`);
  const { session } = await createSession(encodeModel(g), { providers: ['cpu'], intraOpThreads: 1 });

  const data = c.inputs.map((s) => makeData(s, c.dtype, rng));
  const projData = makeData({ shape: [...out.shape] }, c.dtype, rng);
  const feeds = (override?: { idx: number; data: Float64Array }) => {
    const f: Record<string, ort.Tensor> = { proj: ortTensor(c.dtype, projData, [...out.shape]) };
    c.inputs.forEach((s, i) => (f[`x${i}`] = ortTensor(c.dtype, override && override.idx === i ? override.data : data[i]!, s.shape)));
    return f;
  };
  const analytic = await session.run(feeds());
  const { h, rtol, atol } = TOL[c.dtype];
  for (const i of wrtIdx) {
    const base = data[i] as Float64Array;
    const grad = analytic[`grad${i}`]!.data as Float64Array | Float32Array;
    for (let k = 0; k < base.length; k++) {
      const plus = Float64Array.from(base);
      plus[k] = base[k]! + h;
      const minus = Float64Array.from(base);
      minus[k] = base[k]! - h;
      // In float32 the perturbed value is rounded; use the step actually taken.
      const step = c.dtype === 'float32' ? Math.fround(plus[k]!) - Math.fround(minus[k]!) : 2 * h;
      const lp = Number((await session.run(feeds({ idx: i, data: plus }), ['loss'])).loss!.data[0]);
      const lm = Number((await session.run(feeds({ idx: i, data: minus }), ['loss'])).loss!.data[0]);
      const numeric = (lp - lm) / step;
      const a = grad[k]!;
      assert.ok(
        Math.abs(numeric - a) <= atol + rtol * Math.max(Math.abs(numeric), Math.abs(a)),
        `${c.op} (${c.name}): d/dx${i}[${k}] analytic ${a} vs numeric ${numeric}`,
      );
    }
  }
  await session.release();
}

for (const [n, c] of cases.entries()) {
  test(`gradient of ${c.op}: ${c.name} (${c.dtype})`, async () => {
    await checkCase(c, 1000 + n);
  });
}

test('every registered op has a gradient check or is declared not differentiable', () => {
  const checked = new Set(cases.map((c) => c.op));
  for (const name of op.registeredOps()) {
    const def = op.getOp(name);
    if (def.gradient === 'not-differentiable') assert.ok(notDifferentiable.includes(name), `op ${name} is not differentiable but not listed`);
    else assert.ok(checked.has(name), `op ${name} has a gradient rule but no gradient check case`);
  }
});
