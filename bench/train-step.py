#!/usr/bin/python3
"""PyTorch eager reference for bench/train-step.ts: MA-ViT (CBAM pre-filter + ViT-Ti/16) training steps at
224x224, batch 32, AdamW, class-weighted cross-entropy, DropPath 0.1, on the CPU with a fixed thread count.

Run with Debian's python3-torch: /usr/bin/python3 bench/train-step.py --threads 2 --steps 4 --batch 32
Prints one JSON line: {"img_per_s": median, "step_s": [...], "torch": version, ...}.
With --serve it builds the model, prints {"ready": ...} and then, for each line "steps N" on stdin, runs N
training steps and prints {"step_s": [...]}, so that bench/train-step.ts can interleave its own chunks
with PyTorch's steps and both see the same machine state.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Cbam(nn.Module):
    """Same structure as the engine's CBAM (models/cbam.ts), residual gate x*2*sigmoid(z)."""

    def __init__(self, hidden=8, kernel=7):
        super().__init__()
        self.fc1 = nn.Linear(3, hidden)
        self.fc2 = nn.Linear(hidden, 3)
        self.conv = nn.Conv2d(2, 1, kernel, padding=kernel // 2)
        for p in (self.fc2.weight, self.fc2.bias, self.conv.weight, self.conv.bias):
            nn.init.zeros_(p)

    def forward(self, x):
        mlp = lambda v: self.fc2(F.relu(self.fc1(v)))
        z = mlp(x.mean(dim=(2, 3))) + mlp(x.flatten(2).max(dim=2)[0])
        x = x * (2 * torch.sigmoid(z))[:, :, None, None]
        maps = torch.cat([x.mean(dim=1, keepdim=True), x.max(dim=1, keepdim=True)[0]], dim=1)
        return x * 2 * torch.sigmoid(self.conv(maps))


def drop_path(x, rate, training):
    if rate == 0 or not training:
        return x
    keep = 1 - rate
    mask = x.new_empty(x.shape[0], 1, 1).bernoulli_(keep)
    return x * mask / keep


class Block(nn.Module):
    def __init__(self, dim, heads, rate):
        super().__init__()
        self.heads, self.rate = heads, rate
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        B, T, D = x.shape
        hd = D // self.heads
        qkv = self.qkv(self.norm1(x)).reshape(B, T, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * hd ** -0.5, qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        o = (a @ v).transpose(1, 2).reshape(B, T, D)
        x = x + drop_path(self.proj(o), self.rate, self.training)
        return x + drop_path(self.fc2(F.gelu(self.fc1(self.norm2(x)))), self.rate, self.training)


class MaVit(nn.Module):
    def __init__(self, classes=7, dim=192, depth=12, heads=3, patch=16, image=224, drop_path_rate=0.1):
        super().__init__()
        self.cbam = Cbam()
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        t = (image // patch) ** 2 + 1
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, t, dim) * 0.02)
        rates = [drop_path_rate * i / (depth - 1) for i in range(depth)]
        self.blocks = nn.ModuleList([Block(dim, heads, r) for r in rates])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(self.cbam(x)).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x)[:, 0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=4)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--classes', type=int, default=7)
    ap.add_argument('--serve', action='store_true')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MaVit(classes=args.classes)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
    weights = torch.rand(args.classes) + 0.5
    x = torch.randn(args.batch, 3, 224, 224)
    y = torch.randint(0, args.classes, (args.batch,))

    def step():
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        # The paper's normalisation: sum of w[y]*(-log p[y]) over the batch, divided by N.
        loss = F.cross_entropy(model(x), y, weight=weights, reduction='none').sum() / args.batch
        loss.backward()
        opt.step()
        return time.perf_counter() - t0, loss.item()

    if args.serve:
        print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            parts = line.split()
            if len(parts) == 2 and parts[0] == 'steps':
                print(json.dumps({'step_s': [step()[0] for _ in range(int(parts[1]))]}), flush=True)
        return
    times = []
    for i in range(args.warmup + args.steps):
        dt, loss = step()
        if i >= args.warmup:
            times.append(dt)
    med = statistics.median(times)
    print(json.dumps({'img_per_s': args.batch / med, 'step_s': times, 'torch': torch.__version__,
                      'threads': torch.get_num_threads(), 'batch': args.batch,
                      'mkldnn': torch.backends.mkldnn.is_available(), 'loss': loss}))


if __name__ == '__main__':
    main()
