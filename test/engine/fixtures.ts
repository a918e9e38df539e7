// Reads the committed PyTorch parity fixture (scripts/parity/make_parity_fixtures.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ParityFixture {
  config: {
    image: number;
    patch: number;
    dim: number;
    depth: number;
    heads: number;
    mlp_ratio: number;
    classes: number;
    batch: number;
    drop_path_rate: number;
    ln_eps: number;
    cbam_hidden: number;
    cbam_kernel: number;
    gate: 'plain' | 'residual';
  };
  adamw: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  step0: number;
  labels: number[];
  params: { name: string; shape: number[] }[];
  tensor(name: string): { shape: number[]; data: Float32Array };
}

export function loadParityFixture(): ParityFixture {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'parity');
  const manifest = JSON.parse(readFileSync(join(dir, 'vit_cbam_small.json'), 'utf8')) as Omit<ParityFixture, 'tensor'> & {
    tensors: { name: string; shape: number[]; offset: number }[];
  };
  const blob = readFileSync(join(dir, 'vit_cbam_small.bin'));
  const byName = new Map(manifest.tensors.map((t) => [t.name, t]));
  return {
    ...manifest,
    tensor(name: string) {
      const t = byName.get(name);
      if (!t) throw new Error(`fixture has no tensor ${name}`);
      const n = t.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = blob.readFloatLE(t.offset + 4 * i);
      return { shape: t.shape, data };
    },
  };
}
