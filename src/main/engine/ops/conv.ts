// 2-D convolution (NCHW, one group, no dilation) with gradients for input, weight and bias, all emitted as
// standard ops: ConvTranspose for the input, and Conv with batch and channel axes swapped for the weight.
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
      // ConvTranspose is the adjoint of Conv; output_padding restores the rows the forward stride dropped.
      const outPad = [h + pads[0] + pads[2] - (strides[0] * (ho - 1) + kh), wd + pads[1] + pads[3] - (strides[1] * (wo - 1) + kw)];
      dX = GraphBuilder.innermost([dy, w]).node1('ConvTranspose', [dy, w], { dtype: x.dtype, shape: x.shape, hint: 'dConvX' }, {
        kernel_shape: { ints: [kh, kw] },
        strides: { ints: strides },
        pads: { ints: pads },
        output_padding: { ints: outPad },
      });
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
