// Add, Sub, Mul, Div with NumPy broadcasting. Each gradient is summed back to its input's shape.
import type { Tensor } from '../graph/builder';
import { binary, reduceToShape, unary } from './emit';
import { only, registerOp } from './registry';

const addOp = registerOp<Record<string, never>>({
  name: 'Add',
  emit: (_g, [a, b]) => [binary('Add', a!, b!)],
  gradient: ({ inputs: [a, b], dOutputs: [dy], needsGrad }) => [
    needsGrad[0] ? reduceToShape(dy!, a!.shape) : null,
    needsGrad[1] ? reduceToShape(dy!, b!.shape) : null,
  ],
});

const subOp = registerOp<Record<string, never>>({
  name: 'Sub',
  emit: (_g, [a, b]) => [binary('Sub', a!, b!)],
  gradient: ({ inputs: [a, b], dOutputs: [dy], needsGrad }) => [
    needsGrad[0] ? reduceToShape(dy!, a!.shape) : null,
    needsGrad[1] ? reduceToShape(unary('Neg', dy!), b!.shape) : null,
  ],
});

const mulOp = registerOp<Record<string, never>>({
  name: 'Mul',
  emit: (_g, [a, b]) => [binary('Mul', a!, b!)],
  gradient: ({ inputs: [a, b], dOutputs: [dy], needsGrad }) => [
    needsGrad[0] ? reduceToShape(binary('Mul', dy!, b!), a!.shape) : null,
    needsGrad[1] ? reduceToShape(binary('Mul', dy!, a!), b!.shape) : null,
  ],
});

const divOp = registerOp<Record<string, never>>({
  name: 'Div',
  emit: (_g, [a, b]) => [binary('Div', a!, b!)],
  gradient: ({ inputs: [a, b], outputs: [y], dOutputs: [dy], needsGrad }) => {
    const da = needsGrad[0] || needsGrad[1] ? binary('Div', dy!, b!) : null;
    return [
      needsGrad[0] ? reduceToShape(da!, a!.shape) : null,
      // d(a/b)/db = -(a/b)/b, so -dy/b * y.
      needsGrad[1] ? reduceToShape(unary('Neg', binary('Mul', da!, y!)), b!.shape) : null,
    ];
  },
});

const none = {} as Record<string, never>;
export const add = (a: Tensor, b: Tensor): Tensor => only(addOp([a, b], none));
export const sub = (a: Tensor, b: Tensor): Tensor => only(subOp([a, b], none));
export const mul = (a: Tensor, b: Tensor): Tensor => only(mulOp([a, b], none));
export const div = (a: Tensor, b: Tensor): Tensor => only(divOp([a, b], none));
/** x times a constant (emitted as Mul by a scalar initializer). */
export const scale = (x: Tensor, c: number): Tensor => mul(x, x.graph.scalar(c, x.dtype));
