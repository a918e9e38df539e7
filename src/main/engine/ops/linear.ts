// MatMul (batched, broadcasting batch dims) and Gemm (2-D, transA/transB, optional bias).
import { GraphBuilder, GraphBuilderError, type Tensor } from '../graph/builder';
import { broadcastShape, reduceToShape, reshapeRaw, transposeRaw } from './emit';
import { only, registerOp } from './registry';
import { reshape } from './shape';

function matmulShape(a: readonly number[], b: readonly number[]): number[] {
  if (a.length < 2 || b.length < 2) throw new GraphBuilderError('MatMul here needs rank >= 2 on both sides');
  const [m, k] = a.slice(-2) as [number, number];
  const [k2, n] = b.slice(-2) as [number, number];
  if (k !== k2) throw new GraphBuilderError(`MatMul inner dims differ: [${a.join(', ')}] x [${b.join(', ')}]`);
  return [...broadcastShape(a.slice(0, -2), b.slice(0, -2)), m, n];
}

function matmulRaw(a: Tensor, b: Tensor): Tensor {
  const g = GraphBuilder.innermost([a, b]);
  return g.node1('MatMul', [a, b], { dtype: a.dtype, shape: matmulShape(a.shape, b.shape), hint: 'MatMul' });
}

function swapLast(t: Tensor): Tensor {
  const r = t.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transposeRaw(t, perm);
}

export interface GemmAttrs {
  transA: boolean;
  transB: boolean;
  alpha: number;
}

export function gemmRaw(a: Tensor, b: Tensor, c: Tensor | null, attrs: GemmAttrs): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new GraphBuilderError('Gemm needs 2-D A and B');
  const [m, ka] = attrs.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = attrs.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (ka !== kb) throw new GraphBuilderError(`Gemm inner dims differ: ${ka} vs ${kb}`);
  if (c) broadcastShape(c.shape, [m, n]);
  const g = GraphBuilder.innermost(c ? [a, b, c] : [a, b]);
  return g.node1('Gemm', c ? [a, b, c] : [a, b], { dtype: a.dtype, shape: [m, n], hint: 'Gemm' }, {
    transA: { i: attrs.transA ? 1 : 0 },
    transB: { i: attrs.transB ? 1 : 0 },
    alpha: { f: attrs.alpha },
  });
}

const matmulOp = registerOp<Record<string, never>>({
  name: 'MatMul',
  emit: (_g, [a, b]) => [matmulRaw(a!, b!)],
  gradient: ({ inputs: [a, b], dOutputs: [dy], needsGrad }) => {
    const A = a!;
    const B = b!;
    const dY = dy!;
    let dA: Tensor | null = null;
    let dB: Tensor | null = null;
    if (needsGrad[0]) {
      dA = reduceToShape(matmulRaw(dY, swapLast(B)), A.shape);
    }
    if (needsGrad[1]) {
      if (B.shape.length === 2) {
        // A shared weight: fold all batch dims into one large GEMM, Aᵀ·dY with transA instead of a Transpose.
        const k = A.shape[A.shape.length - 1]!;
        const n = dY.shape[dY.shape.length - 1]!;
        const rows = A.shape.slice(0, -1).reduce((p, q) => p * q, 1);
        dB = gemmRaw(reshapeRaw(A, [rows, k]), reshapeRaw(dY, [rows, n]), null, { transA: true, transB: false, alpha: 1 });
      } else {
        dB = reduceToShape(matmulRaw(swapLast(A), dY), B.shape);
      }
    }
    return [dA, dB];
  },
});

const gemmOp = registerOp<GemmAttrs>({
  name: 'Gemm',
  emit: (_g, inputs, attrs) => [gemmRaw(inputs[0]!, inputs[1]!, inputs[2] ?? null, attrs)],
  gradient: ({ inputs, dOutputs: [dy], needsGrad, attrs }) => {
    const [A, B, C] = inputs;
    const dY = dy!;
    const { transA, transB, alpha } = attrs;
    const t = (ta: boolean, tb: boolean) => ({ transA: ta, transB: tb, alpha });
    let dA: Tensor | null = null;
    let dB: Tensor | null = null;
    if (needsGrad[0]) {
      dA = !transA ? gemmRaw(dY, B!, null, t(false, !transB)) : gemmRaw(B!, dY, null, t(transB, true));
    }
    if (needsGrad[1]) {
      dB = !transB ? gemmRaw(A!, dY, null, t(!transA, false)) : gemmRaw(dY, A!, null, t(true, transA));
    }
    const dC = C && needsGrad[2] ? reduceToShape(dY, C.shape) : null;
    return C ? [dA, dB, dC] : [dA, dB];
  },
});

export const matmul = (a: Tensor, b: Tensor): Tensor => only(matmulOp([a, b], {} as Record<string, never>));

export function gemm(a: Tensor, b: Tensor, c: Tensor | null, attrs: Partial<GemmAttrs> = {}): Tensor {
  const full: GemmAttrs = { transA: attrs.transA ?? false, transB: attrs.transB ?? false, alpha: attrs.alpha ?? 1 };
  return only(gemmOp(c ? [a, b, c] : [a, b], full));
}

/** A PyTorch Linear over the last axis: x·Wᵀ + b with W [out, in]; N-D x is folded to 2-D for one GEMM. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const inF = x.shape[x.shape.length - 1]!;
  const outF = weight.shape[0]!;
  const rows = x.shape.slice(0, -1).reduce((p, q) => p * q, 1);
  const x2 = x.shape.length === 2 ? x : reshape(x, [rows, inF]);
  const y = gemm(x2, weight, bias, { transB: true });
  return x.shape.length === 2 ? y : reshape(y, [...x.shape.slice(0, -1), outF]);
}
