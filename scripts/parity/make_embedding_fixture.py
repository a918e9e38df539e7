#!/usr/bin/python3
"""Writes the PyTorch reference of the shipped ViT-Ti's backbone embedding (test/fixtures/parity/vit_ti_embedding.json).

Run with Debian's python3-torch:  /usr/bin/python3 scripts/parity/make_embedding_fixture.py

The embedding is the class token after the final LayerNorm, the vector the head reads. This script runs
timm's VisionTransformer forward (written here in plain PyTorch, float64, from the safetensors file that ships
in resources/models) on three fixed synthetic inputs and stores the 192 values of each. As a check of the
script itself, the logits it gets from the same vectors must match the independent NumPy reference in
../shared/weights/vit_tiny_patch16_224_augreg_in1k/reference_outputs.json (top-5 within 1e-3).
test/embed/parity.test.ts compares the engine's embedding graph with the stored vectors.
"""
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(2)
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
WEIGHTS = os.path.join(ROOT, 'resources', 'models', 'vit_tiny_patch16_224_augreg_in1k.safetensors')
REFERENCE = os.path.join(ROOT, '..', 'shared', 'weights', 'vit_tiny_patch16_224_augreg_in1k', 'reference_outputs.json')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'parity', 'vit_ti_embedding.json')
DIM, DEPTH, HEADS, PATCH, SIZE, EPS = 192, 12, 3, 16, 224, 1e-6


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        assert e['dtype'] == 'F32', name
        a, b = e['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], dtype='<f4').reshape(e['shape']).astype(np.float64))
    return out


def embedding(w, x):
    """timm VisionTransformer.forward_features + the class-token pooling, before the head."""
    b = x.shape[0]
    t = F.conv2d(x, w['patch_embed.proj.weight'], w['patch_embed.proj.bias'], stride=PATCH).flatten(2).transpose(1, 2)
    t = torch.cat([w['cls_token'].expand(b, -1, -1), t], 1) + w['pos_embed']
    hd = DIM // HEADS
    for i in range(DEPTH):
        p = lambda n: w[f'blocks.{i}.{n}']
        h = F.layer_norm(t, (DIM,), p('norm1.weight'), p('norm1.bias'), EPS)
        qkv = F.linear(h, p('attn.qkv.weight'), p('attn.qkv.bias')).reshape(b, -1, 3, HEADS, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax((q * hd ** -0.5) @ k.transpose(-2, -1), -1)
        o = (a @ v).transpose(1, 2).reshape(b, -1, DIM)
        t = t + F.linear(o, p('attn.proj.weight'), p('attn.proj.bias'))
        h = F.layer_norm(t, (DIM,), p('norm2.weight'), p('norm2.bias'), EPS)
        t = t + F.linear(F.gelu(F.linear(h, p('mlp.fc1.weight'), p('mlp.fc1.bias'))), p('mlp.fc2.weight'), p('mlp.fc2.bias'))
    t = F.layer_norm(t, (DIM,), w['norm.weight'], w['norm.bias'], EPS)
    return t[:, 0]


# The same formulas as test/embed/parity.test.ts (normalised inputs, NCHW); the first two are reference_outputs.json's.
INPUTS = {
    'zeros': lambda c, h, w: 0.0,
    'sin_pattern': lambda c, h, w: 0.8 * math.sin(0.05 * w + 0.07 * h + 1.3 * c),
    'cos_pattern': lambda c, h, w: 0.9 * math.cos(0.031 * w * (c + 1) - 0.043 * h + 0.7 * c),
}


def make_input(f):
    c, h, w = np.meshgrid(np.arange(3), np.arange(SIZE), np.arange(SIZE), indexing='ij')
    x = np.vectorize(f)(c, h, w).astype(np.float32).astype(np.float64)  # float32-representable, as the test feeds
    return torch.from_numpy(x)[None]


def main():
    w = read_safetensors(WEIGHTS)
    x = torch.cat([make_input(f) for f in INPUTS.values()])
    with torch.no_grad():
        e = embedding(w, x)
        logits = F.linear(e, w['head.weight'], w['head.bias'])
    ref = json.load(open(REFERENCE))
    for i, name in enumerate(['zeros', 'sin_pattern']):
        top = torch.topk(logits[i], 5)
        assert top.indices.tolist() == ref[name]['top5_index'], (name, top.indices.tolist())
        assert max(abs(a - b) for a, b in zip(top.values.tolist(), ref[name]['top5_logit'])) < 1e-3, name
    fixture = {
        'about': 'ViT-Ti/16 (resources/models, sha256 940bff51...) class token after the final LayerNorm, float64 PyTorch; '
                 'made by scripts/parity/make_embedding_fixture.py',
        'torch': torch.__version__,
        'inputs': {name: {'embedding': [round(v, 8) for v in e[i].tolist()]} for i, name in enumerate(INPUTS)},
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f, indent=1)
        f.write('\n')
    print(f'wrote {OUT}: {len(INPUTS)} inputs × {e.shape[1]} values; logits check against reference_outputs.json passed')


if __name__ == '__main__':
    main()
