import fs from 'node:fs';
import zlib from 'node:zlib';
import { decodeToFloat32, elementCount, permute, WeightsFileError, type TensorMap } from './tensor-file';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_EOCD_LOCATOR = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const FULL32 = 0xffffffff;

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

/** The entries of a zip archive from its central directory (ZIP64 included: numpy writes it for large arrays). */
function zipEntries(bytes: Buffer, file: string): ZipEntry[] {
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (bytes.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new WeightsFileError(`${file}: not an .npz (zip) file`);
  let count = bytes.readUInt16LE(eocd + 10);
  let offset = bytes.readUInt32LE(eocd + 16);
  if ((offset === FULL32 || count === 0xffff) && eocd >= 20 && bytes.readUInt32LE(eocd - 20) === ZIP64_EOCD_LOCATOR) {
    const zip64Eocd = Number(bytes.readBigUInt64LE(eocd - 20 + 8));
    count = Number(bytes.readBigUInt64LE(zip64Eocd + 32));
    offset = Number(bytes.readBigUInt64LE(zip64Eocd + 48));
  }
  const entries: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (bytes.readUInt32LE(p) !== CENTRAL_SIGNATURE) throw new WeightsFileError(`${file}: damaged zip central directory`);
    const method = bytes.readUInt16LE(p + 10);
    let compressedSize = bytes.readUInt32LE(p + 20);
    let uncompressedSize = bytes.readUInt32LE(p + 24);
    const nameLength = bytes.readUInt16LE(p + 28);
    const extraLength = bytes.readUInt16LE(p + 30);
    const commentLength = bytes.readUInt16LE(p + 32);
    let localHeaderOffset = bytes.readUInt32LE(p + 42);
    const name = bytes.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    // ZIP64 extra field: the 64-bit values, in this order, for each 32-bit field that is saturated.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = bytes.readUInt16LE(e);
      const size = bytes.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (uncompressedSize === FULL32) {
          uncompressedSize = Number(bytes.readBigUInt64LE(q));
          q += 8;
        }
        if (compressedSize === FULL32) {
          compressedSize = Number(bytes.readBigUInt64LE(q));
          q += 8;
        }
        if (localHeaderOffset === FULL32) localHeaderOffset = Number(bytes.readBigUInt64LE(q));
      }
      e += 4 + size;
    }
    entries.push({ name, method, compressedSize, localHeaderOffset });
    p = extraEnd + commentLength;
  }
  return entries;
}

function entryData(bytes: Buffer, entry: ZipEntry, file: string): Buffer {
  const h = entry.localHeaderOffset;
  if (bytes.readUInt32LE(h) !== LOCAL_SIGNATURE) throw new WeightsFileError(`${file}: damaged zip entry ${entry.name}`);
  const start = h + 30 + bytes.readUInt16LE(h + 26) + bytes.readUInt16LE(h + 28);
  const raw = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return raw;
  if (entry.method === 8) return zlib.inflateRawSync(raw);
  throw new WeightsFileError(`${file}: entry ${entry.name} uses zip compression method ${entry.method}; only stored and deflate are supported`);
}

const NPY_TYPES: Record<string, 'f32' | 'f64' | 'f16'> = { '<f4': 'f32', '<f8': 'f64', '<f2': 'f16' };

/** Parses one .npy array (format versions 1 to 3) into float32, C order. */
export function parseNpy(bytes: Buffer, what: string) {
  if (bytes.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new WeightsFileError(`${what}: not a .npy array`);
  const major = bytes[6]!;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new WeightsFileError(`${what}: unreadable .npy header`);
  const type = NPY_TYPES[descr];
  if (!type) throw new WeightsFileError(`${what}: dtype ${descr} is not supported (float16/32/64 only)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = elementCount(shape);
  const data = decodeToFloat32(bytes.subarray(headerStart + headerLength), type, count, what);
  if (!fortran) return { shape, data };
  // Column-major: the bytes are the C-order array of the reversed shape, transposed.
  const reversed = [...shape].reverse();
  return permute({ shape: reversed, data }, reversed.map((_, i) => reversed.length - 1 - i));
}

/** Reads every array of an .npz archive (numpy.savez / savez_compressed), keyed by name without ".npy". */
export function readNpz(file: string): TensorMap {
  const bytes = fs.readFileSync(file);
  const tensors: TensorMap = new Map();
  for (const entry of zipEntries(bytes, file)) {
    if (!entry.name.endsWith('.npy')) continue;
    const name = entry.name.slice(0, -4);
    tensors.set(name, parseNpy(entryData(bytes, entry, file), `${file}: ${name}`));
  }
  return tensors;
}
