// Encodes a GraphBuilder as ONNX ModelProto bytes through onnx-proto (protobufjs static code for onnx.proto).
import onnxProto from 'onnx-proto';
import type { AttrValue, ConstTensor, GraphBuilder, ValueRecord } from './builder';
import { bytesOf, onnxDataType } from './dtype';

const { onnx } = onnxProto;

/** Opset 17 brings LayerNormalization; IR version 8 is the one that goes with opsets 15 to 18. */
export const OPSET = 17;
export const IR_VERSION = 8;

export interface ModelOptions {
  /** Free-form key/value pairs stored in ModelProto.metadata_props (e.g. classes, image size). */
  metadata?: Readonly<Record<string, string>>;
  producerName?: string;
  docString?: string;
}

function valueInfo(v: ValueRecord): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: { tensorType: { elemType: onnxDataType[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
  };
}

function tensorProto(name: string, t: ConstTensor): onnxProto.onnx.ITensorProto {
  // raw_data is little-endian, which every platform Node runs on is.
  return { name, dims: [...t.shape], dataType: onnxDataType[t.dtype], rawData: bytesOf(t.data) };
}

function attribute(name: string, a: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ('floats' in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  if ('g' in a) return { name, type: T.GRAPH, g: graphProto(a.g) };
  return { name, type: T.TENSOR, t: tensorProto(name, a.t) };
}

export function graphProto(g: GraphBuilder): onnxProto.onnx.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      input: [...n.inputs],
      output: [...n.outputs],
      attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
    })),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
    initializer: g.initializers.map((i) => tensorProto(i.name, i)),
  };
}

export function encodeModel(g: GraphBuilder, options: ModelOptions = {}): Uint8Array {
  if (g.parent) throw new Error(`graph "${g.name}" is a subgraph; encode its root`);
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: options.producerName ?? 'orelab-engine',
    producerVersion: '1',
    docString: options.docString ?? '',
    graph: graphProto(g),
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads metadata_props back from model bytes (for tests and for the app to read an exported model). */
export function readModelMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  const out: Record<string, string> = {};
  for (const p of model.metadataProps) if (p.key) out[p.key] = p.value ?? '';
  return out;
}
