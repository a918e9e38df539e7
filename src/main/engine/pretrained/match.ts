// Matching pretrained tensors to a model's parameters, for any architecture: each registry entry's weights
// adapter supplies the rules (which parameters are the head, which are new, which can be resized).
import { WeightsFileError, type HostTensor, type TensorMap } from './tensor-file';

export interface ParameterShape {
  name: string;
  shape: readonly number[];
}

export interface PretrainedFit {
  /** Values for the model's parameters that come from the file, adapted to the model's shapes. */
  values: TensorMap;
  /** Model parameters left to the model's own initialisation (the new head, CBAM). */
  initialised: string[];
  /** Parameters whose values were resized (position embeddings for another image size). */
  resized: string[];
  /** File tensors the model does not use. */
  unused: string[];
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** A weights file's tensors under an architecture's parameter names (what a weights adapter's `convert` gives). */
export interface ConvertedWeights<L extends string = string> {
  tensors: TensorMap;
  /** Which of the adapter's source layouts the file was in. */
  layout: L;
  /** Source tensors that have no place in the architecture (pre-logits, poolers), left out. */
  ignored: string[];
}

/** What a weights adapter knows about its architecture's parameters when fitting. */
export interface FitRules {
  /** The classifier head: trained for the lab's classes, so replaced unless asked to keep it. */
  isHead(name: string): boolean;
  /** Parameters the pretrained network never had (the CBAM pre-filter): they keep the model's init. */
  isNew(name: string): boolean;
  /** A tensor of another shape adapted to `shape` (position embeddings for another grid), or null if the
   * parameter cannot be adapted. */
  resize(name: string, t: HostTensor, shape: readonly number[]): HostTensor | null;
}

/**
 * Matches converted pretrained tensors to a model's parameters. The classifier head is replaced (it is
 * trained for the lab's classes) unless `keepHead` and the shapes agree; parameters the backbone never had
 * keep their initialisation; resizable parameters are resized. Any other mismatch is an error naming the
 * tensor.
 */
export function fitWeights(weights: TensorMap, params: readonly ParameterShape[], rules: FitRules, options: { keepHead?: boolean } = {}): PretrainedFit {
  const values: TensorMap = new Map();
  const initialised: string[] = [];
  const resized: string[] = [];
  const used = new Set<string>();
  for (const p of params) {
    const isHead = rules.isHead(p.name);
    const t = weights.get(p.name);
    if (isHead && !(options.keepHead && t && sameShape(t.shape, p.shape))) {
      initialised.push(p.name);
      if (t) used.add(p.name);
      continue;
    }
    if (!t) {
      if (rules.isNew(p.name)) {
        initialised.push(p.name);
        continue;
      }
      throw new WeightsFileError(`the pretrained weights have no tensor "${p.name}" (expected shape ${fmt(p.shape)})`);
    }
    used.add(p.name);
    if (sameShape(t.shape, p.shape)) {
      values.set(p.name, t);
      continue;
    }
    const adapted = rules.resize(p.name, t, p.shape);
    if (!adapted) throw new WeightsFileError(`pretrained tensor "${p.name}" has shape ${fmt(t.shape)}, but the model expects ${fmt(p.shape)}`);
    values.set(p.name, adapted);
    resized.push(p.name);
  }
  return { values, initialised, resized, unused: [...weights.keys()].filter((n) => !used.has(n)).sort() };
}

/**
 * Resamples a [1, 1 + g*g, D] position embedding (class token first) to [1, 1 + h*h, D] with bicubic
 * interpolation over the patch grid (PyTorch's `interpolate(mode='bicubic', align_corners=False)`, as timm
 * does when fine-tuning at another image size). The class token's embedding is kept as it is.
 */
export function resamplePositionEmbedding(t: HostTensor, tokens: number): HostTensor {
  const dim = t.shape[2]!;
  const from = Math.round(Math.sqrt(t.shape[1]! - 1));
  const to = Math.round(Math.sqrt(tokens - 1));
  if (from * from + 1 !== t.shape[1] || to * to + 1 !== tokens) {
    throw new WeightsFileError(`pos_embed: cannot resample ${t.shape[1]} tokens to ${tokens}: both must be 1 + a square grid`);
  }
  const out = new Float32Array(tokens * dim);
  out.set(t.data.subarray(0, dim), 0);
  const taps = (n: number) => bicubicTaps(from, to, n);
  for (let y = 0; y < to; y++) {
    const ty = taps(y);
    for (let x = 0; x < to; x++) {
      const tx = taps(x);
      const dst = (1 + y * to + x) * dim;
      for (const [sy, wy] of ty) {
        for (const [sx, wx] of tx) {
          const w = wy * wx;
          const src = (1 + sy * from + sx) * dim;
          for (let d = 0; d < dim; d++) out[dst + d]! += w * t.data[src + d]!;
        }
      }
    }
  }
  return { shape: [1, tokens, dim], data: out };
}

/** Source indices and weights for output index `n` of a 1-D bicubic resize (A = -0.75, borders clamped). */
function bicubicTaps(inSize: number, outSize: number, n: number): [number, number][] {
  const A = -0.75;
  const cubic = (x: number) => {
    const a = Math.abs(x);
    if (a <= 1) return ((A + 2) * a - (A + 3)) * a * a + 1;
    if (a < 2) return ((A * a - 5 * A) * a + 8 * A) * a - 4 * A;
    return 0;
  };
  const src = (n + 0.5) * (inSize / outSize) - 0.5;
  const base = Math.floor(src);
  const frac = src - base;
  const taps: [number, number][] = [];
  for (let k = -1; k <= 2; k++) taps.push([Math.min(inSize - 1, Math.max(0, base + k)), cubic(k - frac)]);
  return taps;
}
