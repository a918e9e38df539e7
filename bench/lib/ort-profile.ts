// Shared by the *-profile benches: reading ORT's profiler output and the optimized graph it saved.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { ort } from '../../src/main/engine/runtime/session';

export interface ProfileEvent {
  cat?: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

/** Ends profiling and reads the events. onnxruntime-node's endProfiling() returns nothing; the file is <prefix>_<date>.json in `dir`. */
export function endProfiling(session: ort.InferenceSession, dir: string): ProfileEvent[] {
  session.endProfiling();
  const profileName = readdirSync(dir).find((f) => f.startsWith('profile') && f.endsWith('.json'));
  if (!profileName) throw new Error(`ORT wrote no profile in ${dir}`);
  return JSON.parse(readFileSync(join(dir, profileName), 'utf8')) as ProfileEvent[];
}

/** Node counts per op type (domain-qualified) of a saved ONNX model, subgraphs (Loop bodies) included. */
export function countNodes(modelFile: string): Map<string, number> {
  const counts = new Map<string, number>();
  const walk = (g: onnxProto.onnx.IGraphProto) => {
    for (const n of g.node ?? []) {
      const k = `${n.domain ? `${n.domain}:` : ''}${n.opType}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      for (const a of n.attribute ?? []) if (a.g) walk(a.g);
    }
  };
  walk(onnxProto.onnx.ModelProto.decode(readFileSync(modelFile)).graph!);
  return counts;
}

export function formatCounts(counts: Map<string, number>): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
