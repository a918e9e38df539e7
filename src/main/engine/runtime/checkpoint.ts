// Training state (parameters, Adam moments, step count) and its checkpoint file, written atomically
// (src/main/base/atomic-write.ts: exclusive temp file in the same folder, fsync, rename, fsync the folder). A crash leaves either the
// old checkpoint or the new one, never a torn file.
//
// File layout: "ORELABCK" | u32 version | u32 header bytes | header JSON | zero padding to 8 | float32 data.
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../../base/atomic-write';
import { UserError } from '../../../shared/errors';

export interface TrainState {
  /** Optimizer steps taken so far (the Adam step count t). */
  step: number;
  params: Map<string, Float32Array>;
  /** Adam first and second moments of the trainable parameters. */
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export interface CheckpointMeta {
  /** Free-form, e.g. the model config and the training job's position (epoch, best accuracy). */
  [key: string]: unknown;
}

const MAGIC = 'ORELABCK';
const VERSION = 1;

interface HeaderEntry {
  kind: 'param' | 'm' | 'v';
  name: string;
  length: number;
  offset: number;
}

interface Header {
  step: number;
  meta: CheckpointMeta;
  tensors: HeaderEntry[];
}

export class CheckpointError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

export function saveCheckpoint(path: string, state: TrainState, meta: CheckpointMeta = {}): void {
  const tensors: HeaderEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [kind, map] of [['param', state.params], ['m', state.m], ['v', state.v]] as const) {
    for (const [name, data] of map) {
      tensors.push({ kind, name, length: data.length, offset });
      chunks.push(data);
      offset += data.byteLength;
    }
  }
  const header = Buffer.from(JSON.stringify({ step: state.step, meta, tensors } satisfies Header), 'utf8');
  const prefix = Buffer.alloc(16);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(VERSION, 8);
  prefix.writeUInt32LE(header.length, 12);
  const pad = Buffer.alloc((8 - ((16 + header.length) % 8)) % 8);

  writeFileAtomicSync(path, [prefix, header, pad, ...chunks.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength))]);
}

export function loadCheckpoint(path: string): { state: TrainState; meta: CheckpointMeta } {
  const buf = readFileSync(path);
  if (buf.length < 16 || buf.toString('ascii', 0, 8) !== MAGIC) throw new CheckpointError(`${path} is not an Orelab checkpoint`);
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new CheckpointError(`${path}: checkpoint version ${version} is not supported (expected ${VERSION})`);
  const headerLen = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', 16, 16 + headerLen)) as Header;
  const dataStart = 16 + headerLen + ((8 - ((16 + headerLen) % 8)) % 8);
  const state: TrainState = { step: header.step, params: new Map(), m: new Map(), v: new Map() };
  for (const t of header.tensors) {
    const start = dataStart + t.offset;
    const end = start + 4 * t.length;
    if (end > buf.length) throw new CheckpointError(`${path} is truncated (tensor ${t.name})`);
    // Copy out so each tensor owns an aligned buffer.
    const data = new Float32Array(t.length);
    new Uint8Array(data.buffer).set(buf.subarray(start, end));
    (t.kind === 'param' ? state.params : t.kind === 'm' ? state.m : state.v).set(t.name, data);
  }
  return { state, meta: header.meta };
}
