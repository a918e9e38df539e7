// What a model definition gives the rest of the engine: parameter specs, a forward function over the graph
// builder, and the per-sample DropPath layout. The train-chunk, evaluation and inference-export builders
// work from this interface alone. Definitions are made by the architecture registry (registry.ts) from
// parameters declared once in a ParamTable.
import type { Tensor } from '../graph/builder';
import { Rng } from '../graph/random';

export type ParamInit =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'normal'; std: number }
  /** timm's trunc_normal_(std) with its absolute cut at ±2. */
  | { kind: 'truncNormal'; std: number }
  /** PyTorch's default Linear/Conv init: U(−1/√fanIn, 1/√fanIn) (kaiming_uniform with a=√5 gives the same bound). */
  | { kind: 'torchDefault'; fanIn: number };

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
  /** Whether AdamW's weight decay applies when decay is per parameter (false: biases, norms, tokens). */
  readonly decay: boolean;
}

/**
 * Where a model declares its parameters, each exactly once: `declare` returns the spec, which the model's
 * forward then reads (by `spec.name`), so the parameter list and the forward pass cannot drift apart and a
 * name is written in one place. `scope('blocks.0')` declares under a dotted prefix into the same table.
 * The order of declaration is the order of `specs` (graph inputs, checkpoints and initializers follow it).
 */
export class ParamTable {
  private constructor(
    private readonly prefix: string,
    private readonly list: ParamSpec[],
    private readonly names: Set<string>,
  ) {}

  static create(): ParamTable {
    return new ParamTable('', [], new Set());
  }

  /**
   * Declares one parameter. Weight decay follows timm's rule unless `decay` says otherwise: parameters of
   * rank ≤ 1 (biases, norm scales) get none; tokens and embeddings that should not decay pass
   * `{ decay: false }` (timm's `no_weight_decay()`).
   */
  declare(name: string, shape: readonly number[], init: ParamInit, options: { decay?: boolean } = {}): ParamSpec {
    const full = this.prefix + name;
    if (this.names.has(full)) throw new Error(`parameter "${full}" is declared twice`);
    this.names.add(full);
    const spec: ParamSpec = { name: full, shape: [...shape], init, decay: options.decay ?? shape.length > 1 };
    this.list.push(spec);
    return spec;
  }

  /** A view of this table that declares under `${prefix}${name}.`. */
  scope(name: string): ParamTable {
    return new ParamTable(`${this.prefix}${name}.`, this.list, this.names);
  }

  get specs(): readonly ParamSpec[] {
    return this.list;
  }
}

export interface ForwardContext {
  readonly training: boolean;
  /** [dropPathSlots, B] 0/1 masks for this step, when training with stochastic depth. */
  readonly dropMasks?: Tensor;
}

export interface ForwardOutputs {
  readonly logits: Tensor;
  /** Named extra outputs worth exporting, e.g. the CBAM spatial attention map. */
  readonly extras: Readonly<Record<string, Tensor>>;
}

export interface ModelDefinition {
  readonly kind: string;
  readonly numClasses: number;
  /** Per-sample input shape, [3, H, W]. */
  readonly inputShape: readonly [number, number, number];
  readonly params: readonly ParamSpec[];
  /** Drop probability of each DropPath slot (the masks input has one row per slot). */
  readonly dropPathRates: readonly number[];
  forward(params: ReadonlyMap<string, Tensor>, images: Tensor, ctx: ForwardContext): ForwardOutputs;
  /** The backbone embedding the head reads, [B, D], in the inference form (no DropPath): for a ViT the class
   * token after the final LayerNorm, for MA-ViT the same behind the CBAM pre-filter. Absent: no embedding. */
  embed?(params: ReadonlyMap<string, Tensor>, images: Tensor): Tensor;
  /** Plain-data description (stored in checkpoints and model metadata). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The no-weight-decay rule (from each parameter's declaration); throws for a name the model lacks. */
  noDecay(paramName: string): boolean;
}

export type ParamValues = Map<string, Float32Array>;

/** Deterministic initialisation from a seed: the same seed gives the same parameters on every machine. */
export function initParams(model: ModelDefinition, seed: number): ParamValues {
  const rng = new Rng(seed);
  const out: ParamValues = new Map();
  for (const p of model.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const init = p.init;
    switch (init.kind) {
      case 'zeros':
        break;
      case 'ones':
        data.fill(1);
        break;
      case 'normal':
        for (let i = 0; i < n; i++) data[i] = rng.normal() * init.std;
        break;
      case 'truncNormal':
        for (let i = 0; i < n; i++) data[i] = rng.truncNormal(init.std);
        break;
      case 'torchDefault': {
        const bound = 1 / Math.sqrt(init.fanIn);
        for (let i = 0; i < n; i++) data[i] = rng.uniform(-bound, bound);
        break;
      }
    }
    out.set(p.name, data);
  }
  return out;
}

export function paramCount(model: ModelDefinition): number {
  return model.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** The tensor bound to a declared parameter in a forward pass. */
export function paramTensor(params: ReadonlyMap<string, Tensor>, spec: ParamSpec): Tensor {
  return requireParam(params, spec.name);
}

export function requireParam(params: ReadonlyMap<string, Tensor>, name: string): Tensor {
  const t = params.get(name);
  if (!t) throw new Error(`parameter "${name}" is missing`);
  return t;
}
