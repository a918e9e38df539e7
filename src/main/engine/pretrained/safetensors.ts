import fs from 'node:fs';
import { decodeToFloat32, elementCount, WeightsFileError, type TensorMap } from './tensor-file';

const DTYPES = { F32: 'f32', F64: 'f64', F16: 'f16', BF16: 'bf16' } as const;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Reads a .safetensors file (8-byte little-endian header length, JSON header, raw tensor bytes) into float32
 * tensors. Floating tensors only (F32, F64, F16, BF16); anything else is named in the error.
 */
export function readSafetensors(file: string): { tensors: TensorMap; metadata: Record<string, string> } {
  const bytes = fs.readFileSync(file);
  if (bytes.length < 8) throw new WeightsFileError(`${file}: too short to be a safetensors file`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength <= 0 || 8 + headerLength > bytes.length) throw new WeightsFileError(`${file}: not a safetensors file (bad header length)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new WeightsFileError(`${file}: not a safetensors file (header is not JSON)`);
  }
  const base = 8 + headerLength;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const entry = value as HeaderEntry;
    const type = DTYPES[entry.dtype as keyof typeof DTYPES];
    if (!type) throw new WeightsFileError(`${file}: tensor "${name}" has dtype ${entry.dtype}; only F32, F64, F16 and BF16 are supported`);
    const [start, end] = entry.data_offsets;
    if (!(start >= 0 && end >= start && base + end <= bytes.length)) throw new WeightsFileError(`${file}: tensor "${name}" points outside the file`);
    const count = elementCount(entry.shape);
    tensors.set(name, { shape: [...entry.shape], data: decodeToFloat32(bytes.subarray(base + start, base + end), type, count, `${file}: tensor "${name}"`) });
  }
  return { tensors, metadata };
}

/** Writes float32 tensors as .safetensors (used to export fine-tuned weights and to build test fixtures). */
export function writeSafetensors(file: string, tensors: TensorMap, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header so tensor data starts 8-byte aligned, as the format recommends.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const parts: Buffer[] = [length, Buffer.from(json, 'utf8')];
  for (const name of names) {
    const t = tensors.get(name)!;
    parts.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  fs.writeFileSync(file, Buffer.concat(parts));
}
