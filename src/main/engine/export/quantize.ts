// Dynamic int8 quantization of an exported inference graph's Linear layers, with standard ONNX ops only, so any
// ONNX runtime runs the result (issue 14). Each Gemm/MatMul whose weight is a constant becomes
//   DynamicQuantizeLinear(x) → MatMulInteger(x_q, W_q, x_zp, 0) → Cast(float) → Mul(x_scale · w_scale) [→ Add(bias)]
// which is the pattern ORT's own quantize_dynamic writes and which its CPU optimizer fuses into one
// DynamicQuantizeMatMul / MatMulIntegerToFloat kernel (u8 activations × s8 weights: the VNNI path).
// Weights are symmetric int8 (zero point 0), so per-channel scales need no per-column zero point: the scales
// are a [N] vector in the float rescale Mul, which broadcasts over the output columns.
import onnxProto from 'onnx-proto';
import { UserError } from '../../../shared/errors';

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.ModelProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;
const INT64 = onnx.TensorProto.DataType.INT64;

/** Ops only a quantized graph has: a file holding them is already quantized. */
const QUANTIZED_OPS = new Set(['MatMulInteger', 'DynamicQuantizeLinear', 'QLinearMatMul', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat']);

/**
 * Parameters kept in float by name (the engine's timm names, models/vit.ts and models/cbam.ts): the patch
 * embedding (its input is raw pixels, the first layer's error reaches every token), the CBAM pre-filter (tiny,
 * and its gate scales the image itself) and the classifier head (its output is the logits).
 */
export const FLOAT_KEPT_PARAMS = /^(patch_embed|cbam|head)\./;

export class QuantizeError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

export interface QuantizeOptions {
  /** One scale per output column (default) or one per weight matrix. */
  perChannel?: boolean;
  /** More parameters to keep in float, by name (besides FLOAT_KEPT_PARAMS). */
  keepFloat?: RegExp;
  /** metadata_props to set (added, or replacing the source's value of the same key). */
  metadata?: Readonly<Record<string, string>>;
}

export interface QuantizedModel {
  bytes: Uint8Array;
  /** The weights quantized, by their source initializer (e.g. blocks.0.mlp.fc1.weight). */
  quantized: string[];
  /** Linear layers with a constant weight left in float, and why. */
  keptFloat: { weight: string; reason: string }[];
}

interface Const {
  dims: number[];
  data: Float32Array | BigInt64Array;
  /** The initializers it was computed from (to keep layers in float by their parameter names). */
  sources: string[];
}

function tensorData(t: TensorProto): Float32Array | BigInt64Array | null {
  const count = (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataType === FLOAT) {
    if (raw) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return Float32Array.from(t.floatData ?? []).subarray(0, count);
  }
  if (t.dataType === INT64) {
    if (raw) return new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    return BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v))));
  }
  return null;
}

const attrInt = (n: NodeProto, name: string, fallback: number) => {
  const a = n.attribute?.find((x) => x.name === name);
  return a ? Number(a.i ?? 0) : fallback;
};
const attrFloat = (n: NodeProto, name: string, fallback: number) => {
  const a = n.attribute?.find((x) => x.name === name);
  return a ? (a.f ?? 0) : fallback;
};

/**
 * Folds what the exporter computes from initializers (the q rows of the qkv weight are Slice and Mul on it):
 * initializers, Identity, Reshape, Slice on constant indices, and Mul by a constant scalar. Anything else is
 * not a constant here.
 */
class Constants {
  private readonly cache = new Map<string, Const | null>();
  private readonly producers = new Map<string, NodeProto>();

  constructor(
    private readonly initializers: ReadonlyMap<string, TensorProto>,
    nodes: readonly NodeProto[],
  ) {
    for (const n of nodes) for (const o of n.output ?? []) this.producers.set(o, n);
  }

  get(name: string): Const | null {
    if (!this.cache.has(name)) this.cache.set(name, this.compute(name));
    return this.cache.get(name)!;
  }

  private compute(name: string): Const | null {
    const init = this.initializers.get(name);
    if (init) {
      const data = tensorData(init);
      return data ? { dims: (init.dims ?? []).map(Number), data, sources: [name] } : null;
    }
    const n = this.producers.get(name);
    if (!n) return null;
    const ins = (n.input ?? []).map((i) => (i === '' ? null : this.get(i)));
    if (ins.some((c, i) => c === null && (n.input ?? [])[i] !== '')) return null;
    const [a, b] = ins;
    if (!a) return null;
    const sources = ins.flatMap((c) => c?.sources ?? []);
    switch (n.opType) {
      case 'Identity':
        return a;
      case 'Reshape': {
        if (!b || !(b.data instanceof BigInt64Array)) return null;
        const total = a.data.length;
        const shape = Array.from(b.data, (v, i) => (v === 0n ? a.dims[i]! : Number(v)));
        const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
        return { dims: shape.map((d) => (d === -1 ? total / known : d)), data: a.data, sources };
      }
      case 'Mul': {
        if (!b || !(a.data instanceof Float32Array) || !(b.data instanceof Float32Array)) return null;
        const [big, small] = a.data.length >= b.data.length ? [a, b] : [b, a];
        if (small.data.length !== 1) return null;
        const s = (small.data as Float32Array)[0]!;
        return { dims: big.dims, data: (big.data as Float32Array).map((v) => Math.fround(v * s)), sources };
      }
      case 'Slice':
        return sliceConst(a, ins[1] ?? null, ins[2] ?? null, ins[3] ?? null, ins[4] ?? null, sources);
      default:
        return null;
    }
  }
}

function sliceConst(x: Const, starts: Const | null, ends: Const | null, axes: Const | null, steps: Const | null, sources: string[]): Const | null {
  const ints = (c: Const | null) => (c && c.data instanceof BigInt64Array ? Array.from(c.data, Number) : null);
  const s = ints(starts);
  const e = ints(ends);
  if (!s || !e || !(x.data instanceof Float32Array)) return null;
  const ax = ints(axes) ?? s.map((_, i) => i);
  if ((ints(steps) ?? []).some((v) => v !== 1)) return null;
  const rank = x.dims.length;
  const lo = x.dims.map(() => 0);
  const hi = [...x.dims];
  ax.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + rank : a0;
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + x.dims[a]! : v, 0), x.dims[a]!);
    lo[a] = clamp(s[i]!);
    hi[a] = clamp(e[i]!);
  });
  const dims = hi.map((h, i) => Math.max(0, h - lo[i]!));
  const out = new Float32Array(dims.reduce((p, d) => p * d, 1));
  const strides = x.dims.map((_, i) => x.dims.slice(i + 1).reduce((p, d) => p * d, 1));
  const idx = dims.map(() => 0);
  for (let k = 0; k < out.length; k++) {
    let off = 0;
    for (let i = 0; i < rank; i++) off += (idx[i]! + lo[i]!) * strides[i]!;
    out[k] = x.data[off]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i]! < dims[i]!) break;
      idx[i] = 0;
    }
  }
  return { dims, data: out, sources };
}

/** W [K, N] to symmetric int8 (range ±127), with one scale per column or one for the whole matrix. */
export function quantizeWeight(w: Float32Array, k: number, n: number, perChannel: boolean): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(perChannel ? n : 1);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      const j = perChannel ? c : 0;
      scales[j] = Math.max(scales[j]!, Math.abs(w[r * n + c]!));
    }
  }
  // An all-zero column keeps scale 1 (any scale gives 0; this one avoids dividing by zero).
  for (let j = 0; j < scales.length; j++) scales[j] = scales[j]! > 0 ? Math.fround(scales[j]! / 127) : 1;
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) q[r * n + c] = Math.max(-127, Math.min(127, roundHalfEven(w[r * n + c]! / scales[perChannel ? c : 0]!)));
  }
  return { q, scales };
}

/**
 * Rewrites a float ONNX model's Linear layers (Gemm with transA = 0, and MatMul, whose weight is a constant
 * 2-D float tensor) into dynamic int8 quantization; everything else is left as it was. Refuses a model that is
 * already quantized or has no Linear layer to quantize, naming `source`.
 */
export function quantizeModel(bytes: Uint8Array, source: string, options: QuantizeOptions = {}): QuantizedModel {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw new QuantizeError(`${source}: not an ONNX model (it cannot be decoded)`);
  }
  const graph = model.graph;
  if (!graph || (graph.node ?? []).length === 0) throw new QuantizeError(`${source}: not an ONNX model (it has no graph)`);
  const nodes = graph.node ?? [];
  graph.initializer ??= [];
  graph.output ??= [];
  const already = nodes.find((n) => QUANTIZED_OPS.has(n.opType ?? ''));
  if (already) throw new QuantizeError(`${source}: the model is already quantized (it has ${already.opType} nodes); quantize its float source instead`);
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const constants = new Constants(initializers, nodes);
  const perChannel = options.perChannel ?? true;

  const head = headNode(nodes, (graph.output ?? []).map((o) => o.name ?? ''));
  const quantized: string[] = [];
  const keptFloat: { weight: string; reason: string }[] = [];
  const out: NodeProto[] = [];
  const newInits: TensorProto[] = [];
  let serial = 0;
  const fresh = (base: string) => `${base}__q${serial++}`;
  for (const n of nodes) {
    const linear = linearWeight(n, constants);
    if (!linear) {
      out.push(n);
      continue;
    }
    const { weight, k, cols, transposed } = linear;
    const weightName = weight.sources[0] ?? n.input![1]!;
    const kept = n === head ? 'the classifier head' : weight.sources.some((s) => FLOAT_KEPT_PARAMS.test(s) || (options.keepFloat?.test(s) ?? false)) ? 'kept in float by name' : null;
    if (kept) {
      keptFloat.push({ weight: weightName, reason: kept });
      out.push(n);
      continue;
    }
    // W as [K, N] (Gemm's transB stores it [N, K], PyTorch's Linear layout).
    const w = weight.data as Float32Array;
    const wkn = transposed ? transpose(w, cols, k) : w;
    const { q, scales } = quantizeWeight(wkn, k, cols, perChannel);
    const base = n.name || weightName;
    const names = {
      wq: fresh(`${weightName}.int8`),
      wzp: fresh(`${weightName}.zero_point`),
      wscale: fresh(`${weightName}.scale`),
      xq: fresh(`${base}.x_int8`),
      xscale: fresh(`${base}.x_scale`),
      xzp: fresh(`${base}.x_zero_point`),
      acc: fresh(`${base}.int32`),
      accf: fresh(`${base}.float`),
      scale: fresh(`${base}.rescale`),
      y: fresh(`${base}.y`),
    };
    newInits.push(
      { name: names.wq, dims: [k, cols], dataType: INT8, rawData: new Uint8Array(q.buffer) },
      { name: names.wzp, dims: [], dataType: INT8, rawData: new Uint8Array(1) },
      { name: names.wscale, dims: perChannel ? [cols] : [], dataType: FLOAT, rawData: new Uint8Array(scales.buffer) },
    );
    const output = n.output![0]!;
    const bias = n.opType === 'Gemm' ? (n.input ?? [])[2] : undefined;
    const beta = attrFloat(n, 'beta', 1);
    const alpha = attrFloat(n, 'alpha', 1);
    const node = (opType: string, input: string[], output: string[], attribute: onnxProto.onnx.IAttributeProto[] = []): NodeProto => ({ name: fresh(`${base}.${opType}`), opType, domain: '', input, output, attribute });
    out.push(
      node('DynamicQuantizeLinear', [n.input![0]!], [names.xq, names.xscale, names.xzp]),
      node('MatMulInteger', [names.xq, names.wq, names.xzp, names.wzp], [names.acc]),
      node('Cast', [names.acc], [names.accf], [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }]),
      node('Mul', [names.xscale, names.wscale], [names.scale]),
    );
    let scaleName = names.scale;
    if (alpha !== 1) {
      const alphaName = fresh(`${base}.alpha`);
      newInits.push({ name: alphaName, dims: [], dataType: FLOAT, rawData: new Uint8Array(Float32Array.of(alpha).buffer) });
      scaleName = fresh(`${base}.rescale_alpha`);
      out.push(node('Mul', [names.scale, alphaName], [scaleName]));
    }
    if (bias) {
      let biasName = bias;
      if (beta !== 1) {
        const betaName = fresh(`${base}.beta`);
        newInits.push({ name: betaName, dims: [], dataType: FLOAT, rawData: new Uint8Array(Float32Array.of(beta).buffer) });
        biasName = fresh(`${base}.bias_beta`);
        out.push(node('Mul', [bias, betaName], [biasName]));
      }
      out.push(node('Mul', [names.accf, scaleName], [names.y]), node('Add', [names.y, biasName], [output]));
    } else {
      out.push(node('Mul', [names.accf, scaleName], [output]));
    }
    quantized.push(weightName);
  }
  if (quantized.length === 0) {
    const why = keptFloat.length > 0 ? ` (its only ones, ${keptFloat.map((k) => k.weight).join(', ')}, stay in float)` : '';
    throw new QuantizeError(`${source}: the model has no Linear layer to quantize (no MatMul or Gemm with a constant float weight)${why}`);
  }
  graph.node = out;
  graph.initializer = [...(graph.initializer ?? []), ...newInits];
  removeDead(graph);
  if (options.metadata) {
    const props = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
    for (const [k, v] of Object.entries(options.metadata)) props.set(k, v);
    model.metadataProps = [...props].map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }));
  }
  // DynamicQuantizeLinear and MatMulInteger are opset 11 and 10: any opset the engine writes has them.
  return { bytes: onnx.ModelProto.encode(model).finish(), quantized, keptFloat };
}

/** Round half to even, as ONNX QuantizeLinear rounds. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c]!;
  return t;
}

/** A Linear layer's constant weight: Gemm(x, W, b) without transA, or MatMul(x, W), W a constant 2-D float. */
function linearWeight(n: NodeProto, constants: Constants): { weight: Const; k: number; cols: number; transposed: boolean } | null {
  if (n.opType !== 'Gemm' && n.opType !== 'MatMul') return null;
  const inputs = n.input ?? [];
  if (n.opType === 'Gemm' && attrInt(n, 'transA', 0) !== 0) return null;
  // A constant activation side (both constant) is folded by the runtime anyway.
  if (constants.get(inputs[0] ?? '')) return null;
  const weight = constants.get(inputs[1] ?? '');
  if (!weight || !(weight.data instanceof Float32Array) || weight.dims.length !== 2) return null;
  const transposed = n.opType === 'Gemm' && attrInt(n, 'transB', 0) !== 0;
  const [r, c] = weight.dims as [number, number];
  return transposed ? { weight, k: c, cols: r, transposed } : { weight, k: r, cols: c, transposed };
}

/**
 * The Linear layer whose output becomes a graph output through shape-only ops, a bias Add or a Softmax: the
 * head, which stays in float whatever its parameter is called (a model Orelab did not write).
 */
function headNode(nodes: readonly NodeProto[], outputs: readonly string[]): NodeProto | null {
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const passThrough = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Add', 'Softmax']);
  let found: NodeProto | null = null;
  let foundAt = -1;
  for (const o of outputs) {
    let n = producer.get(o);
    const seen = new Set<NodeProto>();
    while (n && !seen.has(n)) {
      seen.add(n);
      if (n.opType === 'Gemm' || n.opType === 'MatMul') {
        const at = nodes.indexOf(n);
        if (at > foundAt) [found, foundAt] = [n, at];
        break;
      }
      if (!passThrough.has(n.opType ?? '')) break;
      n = producer.get((n.input ?? [])[0] ?? '');
    }
  }
  return found;
}

/** Drops nodes none of whose outputs is used, then initializers nothing reads (the float weights replaced). */
function removeDead(graph: onnxProto.onnx.IGraphProto): void {
  const nodes = () => graph.node ?? [];
  // A subgraph may read outer-scope values without listing them as node inputs: leave such graphs whole.
  if (nodes().some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length > 0))) return;
  const outputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
  for (;;) {
    const used = new Set<string>(outputs);
    for (const n of nodes()) for (const i of n.input ?? []) used.add(i);
    const live = nodes().filter((n) => (n.output ?? []).some((o) => used.has(o)));
    if (live.length === nodes().length) {
      graph.initializer = (graph.initializer ?? []).filter((t) => used.has(t.name ?? ''));
      return;
    }
    graph.node = live;
  }
}
