#!/usr/bin/python3
"""PyTorch eager peer for bench/classify.ts: MA-ViT-Ti (the same model as bench/train-step.py) forward
passes in eval mode under torch.no_grad(), batch 8, 224x224, fixed thread count.

Run with Debian's python3-torch: /usr/bin/python3 bench/classify.py --threads 2 --batch 8 --batches 6
With --serve it waits for lines "batches N" on stdin and answers each with {"batch_s": [...]}, so that the
TypeScript bench can interleave its own measurements with PyTorch's.
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time

import torch

spec = importlib.util.spec_from_file_location('train_step', os.path.join(os.path.dirname(__file__), 'train-step.py'))
train_step = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train_step)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--batches', type=int, default=6)
    ap.add_argument('--serve', action='store_true')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = train_step.MaVit(classes=7).eval()
    x = torch.randn(args.batch, 3, 224, 224)

    def batch():
        t0 = time.perf_counter()
        with torch.no_grad():
            model(x).softmax(dim=-1)
        return time.perf_counter() - t0

    batch()  # warm-up
    if args.serve:
        print(json.dumps({'ready': True, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            parts = line.split()
            if len(parts) == 2 and parts[0] == 'batches':
                print(json.dumps({'batch_s': [batch() for _ in range(int(parts[1]))]}), flush=True)
        return
    times = [batch() for _ in range(args.batches)]
    print(json.dumps({'img_per_s': args.batch / statistics.median(times), 'batch_s': times, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
