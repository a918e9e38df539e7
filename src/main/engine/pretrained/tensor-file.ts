import { UserError } from '../../../shared/errors';

/** A named float32 tensor read from a weights file, row-major. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Map<string, HostTensor>;

export class WeightsFileError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE half precision to float32. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Decodes little-endian numeric bytes of the given element type to float32. */
export function decodeToFloat32(bytes: Uint8Array, type: 'f32' | 'f64' | 'f16' | 'bf16', count: number, what: string): Float32Array {
  const width = { f32: 4, f64: 8, f16: 2, bf16: 2 }[type];
  if (bytes.length !== count * width) {
    throw new WeightsFileError(`${what}: expected ${count * width} bytes for ${count} ${type} values, found ${bytes.length}`);
  }
  // One copy; the source may not be 4-byte aligned, so it cannot be viewed in place.
  if (type === 'f32') return new Float32Array(new Uint8Array(bytes).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (type) {
    case 'f64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'f16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'bf16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        word.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        out[i] = word.getFloat32(0, true);
      }
      break;
    }
  }
  return out;
}

/** Reorders a tensor's axes (numpy.transpose): out.shape[i] = in.shape[axes[i]]. */
export function permute(t: HostTensor, axes: readonly number[]): HostTensor {
  const rank = t.shape.length;
  if (axes.length !== rank || [...axes].sort().some((a, i) => a !== i)) throw new RangeError(`bad permutation ${axes} for rank ${rank}`);
  const outShape = axes.map((a) => t.shape[a]!);
  const inStrides = new Array<number>(rank);
  let stride = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = stride;
    stride *= t.shape[i]!;
  }
  const strides = axes.map((a) => inStrides[a]!);
  const out = new Float32Array(t.data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += index[d]! * strides[d]!;
    out[o] = t.data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return { shape: outShape, data: out };
}

export function reshape(t: HostTensor, shape: number[]): HostTensor {
  if (elementCount(shape) !== t.data.length) throw new RangeError(`cannot reshape [${t.shape}] to [${shape}]`);
  return { shape, data: t.data };
}
