// 2-D convolution (NCHW, one group, no dilation) with gradients for input, weight and bias, all emitted as
// standard ops: for the input a Conv with the flipped kernel (stride 1) or ConvTranspose (strided), and for
// the weight a Conv with batch and channel axes swapped.
import { GraphBuilder, GraphBuilderError, type Tensor } from '../graph/builder';
import { reduceRaw, transposeRaw } from './emit';
import { only, registerOp } from './registry';

export interface ConvAttrs {
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right], as ONNX orders them. */
  readonly pads: readonly [number, number, number, number];
}

function convOutShape(x: Tensor, w: Tensor, { strides, pads }: ConvAttrs): number[] {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cw, kh, kw] = w.shape as [number, number, number, number];
  if (x.shape.length !== 4 || w.shape.length !== 4 || c !== cw) {
    throw new GraphBuilderError(`Conv needs NCHW input and [O, C, kh, kw] weight with equal C: [${x.shape.join(', ')}] * [${w.shape.join(', ')}]`);
  }
  const ho = Math.floor((h + pads[0] + pads[2] - kh) / strides[0]) + 1;
  const wo = Math.floor((wd + pads[1] + pads[3] - kw) / strides[1]) + 1;
  return [n, o, ho, wo];
}

const convOp = registerOp<ConvAttrs>({
  name: 'Conv',
  emit: (g, inputs, attrs) => {
    const [x, w] = inputs as [Tensor, Tensor];
    const [, , kh, kw] = w.shape as [number, number, number, number];
    return [
      g.node1('Conv', inputs, { dtype: x.dtype, shape: convOutShape(x, w, attrs), hint: 'Conv' }, {
        kernel_shape: { ints: [kh, kw] },
        strides: { ints: attrs.strides },
        pads: { ints: attrs.pads },
      }),
    ];
  },
  gradient: ({ inputs, dOutputs: [dyOpt], needsGrad, attrs }) => {
    const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
    const dy = dyOpt!;
    const { strides, pads } = attrs;
    const [, , h, wd] = x.shape as [number, number, number, number];
    const [o, c, kh, kw] = w.shape as [number, number, number, number];
    const [, , ho, wo] = dy.shape as [number, number, number, number];
    let dX: Tensor | null = null;
    let dW: Tensor | null = null;
    if (needsGrad[0]) {
      const flipPads = [kh - 1 - pads[0], kw - 1 - pads[1], kh - 1 - pads[2], kw - 1 - pads[3]];
      if (strides[0] === 1 && strides[1] === 1 && flipPads.every((p) => p >= 0)) {
        // Stride 1: dX is the full correlation of dy with the flipped kernel, i.e. a plain Conv with weight
        // flip(W)ᵀ [C, O, kh, kw]. ORT runs that as im2col + GEMM, several times faster than its ConvTranspose
        // (GEMM + col2im) on CBAM's 7×7 kernel over 224×224.
        const gw = w.graph;
        const flipped = gw.node1(
          'Slice',
          [w, gw.constant('int64', [2], [-1, -1], 'starts'), gw.constant('int64', [2], [-(kh + 1), -(kw + 1)], 'ends'), gw.constant('int64', [2], [2, 3], 'axes'), gw.constant('int64', [2], [-1, -1], 'steps')],
          { dtype: w.dtype, shape: w.shape, hint: 'flipW' },
        );
        const wT = transposeRaw(flipped, [1, 0, 2, 3]);
        dX = GraphBuilder.innermost([dy, wT]).node1('Conv', [dy, wT], { dtype: x.dtype, shape: x.shape, hint: 'dConvX' }, {
          kernel_shape: { ints: [kh, kw] },
          pads: { ints: flipPads },
        });
      } else {
        // ConvTranspose is the adjoint of Conv; output_padding restores the rows the forward stride dropped.
        const outPad = [h + pads[0] + pads[2] - (strides[0] * (ho - 1) + kh), wd + pads[1] + pads[3] - (strides[1] * (wo - 1) + kw)];
        dX = GraphBuilder.innermost([dy, w]).node1('ConvTranspose', [dy, w], { dtype: x.dtype, shape: x.shape, hint: 'dConvX' }, {
          kernel_shape: { ints: [kh, kw] },
          strides: { ints: strides },
          pads: { ints: pads },
          output_padding: { ints: outPad },
        });
      }
    }
    if (needsGrad[1]) {
      // dW[o,c,i,j] = Σ_n,p,q dy[n,o,p,q]·x[n,c,s·p+i−pad,s·q+j−pad]: a Conv of xᵀ [C,N,H,W] with dyᵀ [O,N,Ho,Wo]
      // as the kernel, dilated by the forward stride. Its extent can exceed k by the rows the stride dropped,
      // so it is sliced back to k.
      const xT = transposeRaw(x, [1, 0, 2, 3]);
      const dyT = transposeRaw(dy, [1, 0, 2, 3]);
      const eh = h + pads[0] + pads[2] - strides[0] * (ho - 1);
      const ew = wd + pads[1] + pads[3] - strides[1] * (wo - 1);
      const g = GraphBuilder.innermost([xT, dyT]);
      let corr = g.node1('Conv', [xT, dyT], { dtype: x.dtype, shape: [c, o, eh, ew], hint: 'dConvW' }, {
        kernel_shape: { ints: [ho, wo] },
        dilations: { ints: strides },
        pads: { ints: pads },
      });
      if (eh !== kh || ew !== kw) {
        corr = g.node1(
          'Slice',
          [corr, g.constant('int64', [2], [0, 0], 'starts'), g.constant('int64', [2], [kh, kw], 'ends'), g.constant('int64', [2], [2, 3], 'axes')],
          { dtype: x.dtype, shape: [c, o, kh, kw], hint: 'dConvW' },
        );
      }
      dW = transposeRaw(corr, [1, 0, 2, 3]);
    }
    const dB = b && needsGrad[2] ? reduceRaw('ReduceSum', dy, [0, 2, 3], false) : null;
    return b ? [dX, dW, dB] : [dX, dW];
  },
});

export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, attrs: { stride?: number; pad?: number } = {}): Tensor {
  const s = attrs.stride ?? 1;
  const p = attrs.pad ?? 0;
  return only(convOp(bias ? [x, weight, bias] : [x, weight], { strides: [s, s], pads: [p, p, p, p] }));
}
