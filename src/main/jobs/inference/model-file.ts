import fs from 'node:fs';
import crypto from 'node:crypto';
import onnxProto from 'onnx-proto';
import { decodeModelMetadata, type ModelMetadata } from '../../../shared/model-metadata';
import { UserError } from '../../../shared/errors';

export class ModelFileError extends UserError {
  constructor(message: string) {
    super('invalid-input', message);
  }
}

export interface ModelFile {
  path: string;
  /** First 16 hex digits of the file's sha256: the model's id in the catalogue and in CSV reports. */
  id: string;
  metadata: ModelMetadata;
  /** The input's batch dimension when the graph fixes it, else null (any batch). */
  batchSize: number | null;
  bytes: Buffer;
}

/**
 * Reads an Orelab model.onnx: its id, its self-description (metadata_props), and its input's batch size. The
 * metadata is checked against the graph it describes before anything runs, so a damaged or crafted file is
 * refused with a message naming the file and the mismatch, not part-way through a folder.
 */
export function readModelFile(file: string): ModelFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new ModelFileError(`${file}: cannot read the model (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return modelFileFromBytes(bytes, file);
}

/** The same, for bytes already read from `file` (named in the messages). */
export function modelFileFromBytes(bytes: Buffer, file: string): ModelFile {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch {
    throw new ModelFileError(`${file}: not an ONNX model`);
  }
  const props: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) props[p.key] = p.value ?? '';
  const metadata = decodeModelMetadata(props, file);
  const batch = checkGraphAgainstMetadata(file, model, metadata);
  return {
    path: file,
    id: crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    metadata,
    batchSize: batch,
    bytes,
  };
}

/** ONNX TensorProto.DataType FLOAT: the only input type the preprocessing writes. */
const ONNX_FLOAT = 1;

type ValueInfo = onnxProto.onnx.IValueInfoProto;

/**
 * A value's declared dimensions (a fixed size, or null for a symbolic or unset one), or null when the graph
 * declares no shape for it. Unset proto fields decode as 0, so only a positive dim_value counts as fixed.
 */
function declaredDims(v: ValueInfo): (number | null)[] | null {
  const shape = v.type?.tensorType?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => {
    const n = d.dimValue === undefined || d.dimValue === null ? 0 : Number(d.dimValue);
    return n > 0 ? n : null;
  });
}

const showDims = (dims: readonly (number | null)[]) => `[${dims.map((d) => d ?? '?').join(', ')}]`;

/**
 * Checks the graph's declared input and outputs against the metadata, so that the metadata can be trusted
 * for everything the classifier does with it: the input is float32 [N, 3, S, S] with S = preprocessing.size,
 * and the logits and probabilities are [N, C] with C = the number of class names (three names on a 7-class
 * model would misalign every row; ten would sort photos into classes the model has no output for). A
 * symbolic dimension is accepted here; the classifier checks the sizes it actually gets back. Returns the
 * input's batch dimension when the graph fixes it.
 */
function checkGraphAgainstMetadata(file: string, model: onnxProto.onnx.ModelProto, metadata: ModelMetadata): number | null {
  const fail = (what: string) => new ModelFileError(`${file}: ${what}; the file does not match its own metadata (damaged, edited, or not exported by Orelab), so it cannot be used`);
  const graph = model.graph;
  const input = graph?.input?.find((i) => i.name === metadata.input);
  if (!input) throw new ModelFileError(`${file}: the model has no input named "${metadata.input}"`);
  const elemType = input.type?.tensorType?.elemType;
  if (elemType !== ONNX_FLOAT) throw fail(`input "${metadata.input}" is not a float32 tensor (ONNX type ${elemType ?? 'unknown'})`);
  const size = metadata.preprocessing.size;
  const inDims = declaredDims(input);
  if (!inDims) throw fail(`input "${metadata.input}" declares no shape (expected [N, 3, ${size}, ${size}])`);
  const inputFits = inDims.length === 4 && [3, size, size].every((want, i) => inDims[i + 1] === null || inDims[i + 1] === want);
  if (!inputFits) throw fail(`input "${metadata.input}" is ${showDims(inDims)}, but preprocessing.size ${size} needs [N, 3, ${size}, ${size}]`);

  const classes = metadata.classes.length;
  const outputs = [
    ['logits', metadata.outputs.logits],
    ['probabilities', metadata.outputs.probabilities],
  ] as const;
  for (const [role, name] of outputs) {
    const output = graph?.output?.find((o) => o.name === name);
    if (!output) throw fail(`the model has no output "${name}" (the metadata's ${role})`);
    const dims = declaredDims(output);
    if (!dims) continue;
    const last = dims[dims.length - 1];
    if (dims.length !== 2 || (last !== null && last !== classes)) {
      throw fail(`output "${name}" is ${showDims(dims)}, but the metadata lists ${classes} classes (${metadata.classes.join(', ')}), which needs [N, ${classes}]`);
    }
  }
  const attention = metadata.outputs.attention;
  if (attention !== null && !graph?.output?.some((o) => o.name === attention)) throw fail(`the model has no output "${attention}" (the metadata's attention map)`);
  return inDims[0] ?? null;
}
