import fs from 'node:fs';
import crypto from 'node:crypto';
import onnxProto from 'onnx-proto';
import { decodeModelMetadata, type ModelMetadata } from '../../../shared/model-metadata';

export class ModelFileError extends Error {}

export interface ModelFile {
  path: string;
  /** First 16 hex digits of the file's sha256: the model's id in the catalogue and in CSV reports. */
  id: string;
  metadata: ModelMetadata;
  /** The input's batch dimension when the graph fixes it, else null (any batch). */
  batchSize: number | null;
  bytes: Buffer;
}

/** Reads an Orelab model.onnx: its id, its self-description (metadata_props), and its input's batch size. */
export function readModelFile(file: string): ModelFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new ModelFileError(`${file}: cannot read the model (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch {
    throw new ModelFileError(`${file}: not an ONNX model`);
  }
  const props: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) props[p.key] = p.value ?? '';
  const metadata = decodeModelMetadata(props, file);
  const input = model.graph?.input?.find((i) => i.name === metadata.input);
  if (!input) throw new ModelFileError(`${file}: the model has no input named "${metadata.input}"`);
  const firstDim = input.type?.tensorType?.shape?.dim?.[0];
  const batch = firstDim?.dimValue !== undefined && firstDim.dimValue !== null ? Number(firstDim.dimValue) : 0;
  return {
    path: file,
    id: crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    metadata,
    batchSize: batch > 0 ? batch : null,
    bytes,
  };
}
