// Sigmoid, ReLU and exact (erf) GELU.
import type { Tensor } from '../graph/builder';
import { binary, cast, scalarLike, unary } from './emit';
import { only, registerOp } from './registry';

const none = {} as Record<string, never>;

const sigmoidOp = registerOp<Record<string, never>>({
  name: 'Sigmoid',
  emit: (_g, [x]) => [unary('Sigmoid', x!)],
  gradient: ({ outputs: [y], dOutputs: [dy] }) => {
    const oneMinusY = binary('Sub', scalarLike(y!, 1), y!);
    return [binary('Mul', dy!, binary('Mul', y!, oneMinusY))];
  },
});

const reluOp = registerOp<Record<string, never>>({
  name: 'Relu',
  emit: (_g, [x]) => [unary('Relu', x!)],
  // The subgradient at 0 is taken as 0, like PyTorch.
  gradient: ({ inputs: [x], dOutputs: [dy] }) => [binary('Mul', dy!, cast(binary('Greater', x!, scalarLike(x!, 0), 'bool'), x!.dtype))],
});

const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluOp = registerOp<Record<string, never>>({
  name: 'Gelu',
  // 0.5·x·(1 + erf(x/√2)), in the node pattern ORT's GeluFusion turns into one Gelu kernel.
  emit: (_g, [x]) => {
    const erf = unary('Erf', binary('Div', x!, scalarLike(x!, SQRT2)));
    const onePlus = binary('Add', erf, scalarLike(x!, 1));
    return [binary('Mul', binary('Mul', x!, onePlus), scalarLike(x!, 0.5))];
  },
  // d/dx = Φ(x) + x·φ(x), Φ(x) = (1 + erf(x/√2))/2, φ(x) = exp(-x²/2)/√(2π). erf is recomputed rather than
  // kept from the forward pass, which would stop ORT from fusing the forward into one Gelu kernel.
  gradient: ({ inputs: [x], dOutputs: [dy] }) => {
    const xv = x!;
    const cdf = binary('Mul', binary('Add', unary('Erf', binary('Mul', xv, scalarLike(xv, 1 / SQRT2))), scalarLike(xv, 1)), scalarLike(xv, 0.5));
    const pdf = binary('Mul', unary('Exp', binary('Mul', binary('Mul', xv, xv), scalarLike(xv, -0.5))), scalarLike(xv, INV_SQRT_2PI));
    return [binary('Mul', dy!, binary('Add', cdf, binary('Mul', xv, pdf)))];
  },
});

export const sigmoid = (x: Tensor): Tensor => only(sigmoidOp([x], none));
export const relu = (x: Tensor): Tensor => only(reluOp([x], none));
export const gelu = (x: Tensor): Tensor => only(geluOp([x], none));
