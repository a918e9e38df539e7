// The primitive-op registry. Each op couples its forward emission with its gradient rule; an op must say
// explicitly that it has no gradient ('not-differentiable'), and autodiff refuses to differentiate through
// such an op at graph-build time, naming it.
import { GraphBuilder, type Tensor } from '../graph/builder';

export interface GradientContext<A> {
  /** The graph gradients are emitted into (the graph autodiff was called on). */
  readonly g: GraphBuilder;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: A;
  /** Gradient of the loss wrt each output; null where nothing downstream depends on that output. */
  readonly dOutputs: readonly (Tensor | null)[];
  /** Which inputs need a gradient; a rule may skip the others (return null). */
  readonly needsGrad: readonly boolean[];
}

export type GradientRule<A> = (ctx: GradientContext<A>) => readonly (Tensor | null)[];

export interface OpDef<A> {
  readonly name: string;
  /** Emits the forward nodes into `g` and returns the op's outputs. */
  readonly emit: (g: GraphBuilder, inputs: readonly Tensor[], attrs: A) => Tensor[];
  readonly gradient: GradientRule<A> | 'not-differentiable';
}

export class OpRegistryError extends Error {}

type AnyOpDef = OpDef<never>;
const registry = new Map<string, AnyOpDef>();

/** Registers an op; refuses one that does not state its gradient rule. Returns a function that applies it. */
export function registerOp<A>(def: OpDef<A>): (inputs: readonly Tensor[], attrs: A) => Tensor[] {
  if (typeof def.gradient !== 'function' && def.gradient !== 'not-differentiable') {
    throw new OpRegistryError(`op "${def.name}" has no gradient rule: give one, or declare it 'not-differentiable'`);
  }
  if (registry.has(def.name)) throw new OpRegistryError(`op "${def.name}" is registered twice`);
  registry.set(def.name, def as unknown as AnyOpDef);
  return (inputs, attrs) => applyOp(def, inputs, attrs);
}

export function applyOp<A>(def: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor[] {
  const g = GraphBuilder.innermost(inputs);
  // An op whose emission folds away (e.g. a reshape to the same shape) still needs its own output value,
  // or autodiff would see the op's output and input as one tensor and count its gradient twice.
  const outputs = def.emit(g, inputs, attrs).map((t) =>
    inputs.includes(t) ? g.node1('Identity', [t], { dtype: t.dtype, shape: t.shape, hint: 'Identity' }) : t,
  );
  if (g.recording) g.tape.push({ op: def.name, inputs, outputs, attrs });
  return outputs;
}

export function getOp(name: string): OpDef<unknown> {
  const def = registry.get(name);
  if (!def) throw new OpRegistryError(`no op named "${name}" is registered`);
  return def as unknown as OpDef<unknown>;
}

export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}

/** The single output of an op application. */
export function only(ts: readonly Tensor[]): Tensor {
  const t = ts[0];
  if (!t) throw new OpRegistryError('op produced no output');
  return t;
}
