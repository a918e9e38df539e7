// GraphBuilder: records ONNX nodes over symbolic tensors with static shapes and dtypes, plus a tape of
// primitive-op applications that autodiff walks backwards. A builder can own subgraphs (Loop bodies);
// a subgraph may read tensors of its ancestors by name (ONNX outer-scope values).
import type { DType, HostArray } from './dtype';
import { hostArrayFromNumbers, numel } from './dtype';

export interface Tensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly graph: GraphBuilder;
}

/** An ONNX node attribute; the key says the ONNX attribute type. */
export type AttrValue =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly s: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly g: GraphBuilder }
  | { readonly t: ConstTensor };

export interface ConstTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: HostArray;
}

export interface NodeRecord {
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly name: string;
}

export interface ValueRecord {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface InitializerRecord extends ValueRecord {
  readonly data: HostArray;
}

/** One application of a registered primitive op, as autodiff needs it. */
export interface TapeEntry {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: unknown;
}

/** State shared by a root graph and all its subgraphs. */
interface SharedState {
  next: number;
  used: Set<string>;
  recording: boolean;
}

export class GraphBuilderError extends Error {}

export class GraphBuilder {
  readonly nodes: NodeRecord[] = [];
  readonly inputs: ValueRecord[] = [];
  readonly outputs: ValueRecord[] = [];
  readonly initializers: InitializerRecord[] = [];
  readonly tape: TapeEntry[] = [];
  readonly parent: GraphBuilder | undefined;
  readonly depth: number;
  private readonly names: SharedState;
  private readonly scalarCache = new Map<string, Tensor>();
  private readonly tensors = new Map<string, Tensor>();

  constructor(
    readonly name: string,
    parent?: GraphBuilder,
  ) {
    this.parent = parent;
    this.depth = parent ? parent.depth + 1 : 0;
    this.names = parent ? parent.names : { next: 0, used: new Set(), recording: true };
  }

  /** While false, ops emit nodes but leave no tape entries (gradient and optimizer emission). Shared by
   * the whole model, so gradient code that lands in an outer graph is not taped either. */
  get recording(): boolean {
    return this.names.recording;
  }

  set recording(on: boolean) {
    this.names.recording = on;
  }

  /** Runs `fn` with taping off. */
  untaped<T>(fn: () => T): T {
    const was = this.recording;
    this.recording = false;
    try {
      return fn();
    } finally {
      this.recording = was;
    }
  }

  /** A builder for a subgraph (e.g. a Loop body) that can read this graph's tensors. */
  subgraph(name: string): GraphBuilder {
    return new GraphBuilder(name, this);
  }

  /** A fresh value name, unique across this graph and all its sub- and parent graphs. */
  uniqueName(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]/g, '_');
    let name = base;
    while (this.names.used.has(name)) name = `${base}__${this.names.next++}`;
    this.names.used.add(name);
    return name;
  }

  /** Claims an exact name (graph inputs/outputs, parameters); throws if it is taken. */
  private claimName(name: string): string {
    if (this.names.used.has(name)) throw new GraphBuilderError(`value name "${name}" is already used in this model`);
    this.names.used.add(name);
    return name;
  }

  private tensor(name: string, dtype: DType, shape: readonly number[]): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new GraphBuilderError(`bad static shape [${shape.join(', ')}] for "${name}"`);
    }
    const t: Tensor = { name, dtype, shape: [...shape], graph: this };
    this.tensors.set(name, t);
    return t;
  }

  input(name: string, dtype: DType, shape: readonly number[]): Tensor {
    this.claimName(name);
    this.inputs.push({ name, dtype, shape: [...shape] });
    return this.tensor(name, dtype, shape);
  }

  initializer(name: string, dtype: DType, shape: readonly number[], data: HostArray): Tensor {
    if (data.length !== numel(shape)) {
      throw new GraphBuilderError(`initializer "${name}" has ${data.length} elements, shape [${shape.join(', ')}] needs ${numel(shape)}`);
    }
    const claimed = this.names.used.has(name) ? this.uniqueName(name) : this.claimName(name);
    this.initializers.push({ name: claimed, dtype, shape: [...shape], data });
    return this.tensor(claimed, dtype, shape);
  }

  /** A constant from numbers, stored as an initializer of this graph. Scalars and short vectors are shared. */
  constant(dtype: DType, shape: readonly number[], values: readonly number[], hint = 'const'): Tensor {
    const cacheable = values.length <= 16;
    const key = `${dtype}|${shape.join(',')}|${values.join(',')}`;
    if (cacheable) {
      const hit = this.scalarCache.get(key);
      if (hit) return hit;
    }
    const t = this.initializer(this.uniqueName(hint), dtype, shape, hostArrayFromNumbers(dtype, values));
    if (cacheable) this.scalarCache.set(key, t);
    return t;
  }

  scalar(value: number, dtype: DType): Tensor {
    return this.constant(dtype, [], [value], 'scalar');
  }

  /** Marks a tensor as a graph output under `name` (adds an Identity when the value has another name). */
  output(t: Tensor, name?: string): Tensor {
    this.assertVisible(t);
    let out = t;
    if (name !== undefined && name !== t.name) {
      const outName = this.claimName(name);
      this.nodes.push({ opType: 'Identity', domain: '', inputs: [t.name], outputs: [outName], attrs: {}, name: this.uniqueName(`Identity_${outName}`) });
      out = this.tensor(outName, t.dtype, t.shape);
    } else if (t.graph !== this || this.inputs.some((i) => i.name === t.name) || this.outputs.some((o) => o.name === t.name)) {
      // ONNX outputs must be produced inside this graph and be distinct values.
      const outName = this.uniqueName(`${t.name}_out`);
      this.nodes.push({ opType: 'Identity', domain: '', inputs: [t.name], outputs: [outName], attrs: {}, name: this.uniqueName(`Identity_${outName}`) });
      out = this.tensor(outName, t.dtype, t.shape);
    }
    this.outputs.push({ name: out.name, dtype: out.dtype, shape: [...out.shape] });
    return out;
  }

  /** Whether `other` is this graph or one of its ancestors. */
  sees(other: GraphBuilder): boolean {
    return other === this || (this.parent !== undefined && this.parent.sees(other));
  }

  /** Throws unless `t` belongs to this graph or one of its ancestors. */
  assertVisible(t: Tensor): void {
    if (this.sees(t.graph)) return;
    throw new GraphBuilderError(`tensor "${t.name}" of graph "${t.graph.name}" is not visible in graph "${this.name}"`);
  }

  /** Emits one raw ONNX node. Shapes and dtypes of the outputs are the caller's (the op's) responsibility. */
  node(
    opType: string,
    inputs: readonly (Tensor | null)[],
    outputs: readonly { dtype: DType; shape: readonly number[]; hint?: string }[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    domain = '',
  ): Tensor[] {
    for (const t of inputs) if (t) this.assertVisible(t);
    const outs = outputs.map((o) => this.tensor(this.uniqueName(o.hint ?? opType), o.dtype, o.shape));
    this.nodes.push({
      opType,
      domain,
      inputs: inputs.map((t) => (t ? t.name : '')),
      outputs: outs.map((t) => t.name),
      attrs,
      name: this.uniqueName(`${opType}_n`),
    });
    return outs;
  }

  /** Emits a node with exactly one output. */
  node1(
    opType: string,
    inputs: readonly (Tensor | null)[],
    out: { dtype: DType; shape: readonly number[]; hint?: string },
    attrs: Readonly<Record<string, AttrValue>> = {},
  ): Tensor {
    const [t] = this.node(opType, inputs, [out], attrs);
    if (!t) throw new GraphBuilderError('unreachable: node1 produced no output');
    return t;
  }

  /** The builder among `tensors`' graphs that is nested deepest: where an op over them must be emitted. */
  static innermost(tensors: readonly Tensor[]): GraphBuilder {
    const first = tensors[0];
    if (!first) throw new GraphBuilderError('an op needs at least one tensor input');
    let g = first.graph;
    for (const t of tensors) if (t.graph.depth > g.depth) g = t.graph;
    for (const t of tensors) g.assertVisible(t);
    return g;
  }
}
