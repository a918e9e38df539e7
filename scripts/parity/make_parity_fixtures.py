#!/usr/bin/python3
"""Writes the PyTorch parity fixtures for the engine (test/fixtures/parity/).

Run with Debian's python3-torch:  /usr/bin/python3 scripts/parity/make_parity_fixtures.py

A small ViT with a CBAM pre-filter, written here in plain PyTorch with timm's parameter names and layout,
is evaluated in float64 on float32-representable parameters and inputs. The fixture holds the parameters,
the inputs (images, labels, class weights, DropPath masks, Adam state), and the expected outputs: logits
with and without DropPath, the class-weighted loss normalised by N (the MA-ViT paper's, not PyTorch's
weighted mean), every parameter gradient, and parameters and moments after one torch.optim.AdamW step.
The engine's test (test/engine/parity.test.ts) rebuilds the same model from its own ops and compares.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(20240611)

CFG = dict(image=32, patch=8, dim=32, depth=2, heads=2, mlp_ratio=4, classes=4, batch=4,
           drop_path_rate=0.1, ln_eps=1e-6, cbam_hidden=8, cbam_kernel=7, gate='plain')
ADAMW = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
STEP0 = 5  # Adam step count before the update (so bias correction is exercised beyond step 1)

OUT_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'parity')


def param_specs(c):
    d, hid = c['dim'], c['dim'] * c['mlp_ratio']
    t = (c['image'] // c['patch']) ** 2 + 1
    k = c['cbam_kernel']
    specs = [
        ('cbam.channel.fc1.weight', (c['cbam_hidden'], 3)), ('cbam.channel.fc1.bias', (c['cbam_hidden'],)),
        ('cbam.channel.fc2.weight', (3, c['cbam_hidden'])), ('cbam.channel.fc2.bias', (3,)),
        ('cbam.spatial.conv.weight', (1, 2, k, k)), ('cbam.spatial.conv.bias', (1,)),
        ('cls_token', (1, 1, d)), ('pos_embed', (1, t, d)),
        ('patch_embed.proj.weight', (d, 3, c['patch'], c['patch'])), ('patch_embed.proj.bias', (d,)),
    ]
    for i in range(c['depth']):
        b = f'blocks.{i}'
        specs += [(f'{b}.norm1.weight', (d,)), (f'{b}.norm1.bias', (d,)),
                  (f'{b}.attn.qkv.weight', (3 * d, d)), (f'{b}.attn.qkv.bias', (3 * d,)),
                  (f'{b}.attn.proj.weight', (d, d)), (f'{b}.attn.proj.bias', (d,)),
                  (f'{b}.norm2.weight', (d,)), (f'{b}.norm2.bias', (d,)),
                  (f'{b}.mlp.fc1.weight', (hid, d)), (f'{b}.mlp.fc1.bias', (hid,)),
                  (f'{b}.mlp.fc2.weight', (d, hid)), (f'{b}.mlp.fc2.bias', (d,))]
    specs += [('norm.weight', (d,)), ('norm.bias', (d,)), ('head.weight', (c['classes'], d)), ('head.bias', (c['classes'],))]
    return specs


def init_value(name, shape):
    # Random but well-scaled values (not the real init): every gradient should be clearly non-zero.
    if name.endswith('norm1.weight') or name.endswith('norm2.weight') or name == 'norm.weight':
        return 1 + 0.1 * torch.randn(shape)
    fan_in = shape[1] if len(shape) == 2 else (math.prod(shape[1:]) if len(shape) == 4 else 4)
    scale = 1 / math.sqrt(fan_in) if len(shape) in (2, 4) else 0.1
    return scale * torch.randn(shape)


def drop_path_rates(c):
    rates = []
    for i in range(c['depth']):
        r = c['drop_path_rate'] * i / (c['depth'] - 1) if c['depth'] > 1 else c['drop_path_rate']
        rates += [r, r]
    return rates


def forward(P, x, c, masks):
    """masks: None (eval) or [slots, B] 0/1."""
    B = x.shape[0]
    # CBAM: channel attention (shared MLP over avg and max pool), then spatial attention (7x7 conv).
    def mlp(v):
        return F.linear(F.relu(F.linear(v, P['cbam.channel.fc1.weight'], P['cbam.channel.fc1.bias'])),
                        P['cbam.channel.fc2.weight'], P['cbam.channel.fc2.bias'])
    avg = x.mean(dim=(2, 3))
    mx = x.flatten(2).max(dim=2)[0]
    gate = (lambda a: a) if c['gate'] == 'plain' else (lambda a: 2 * a)
    x1 = x * gate(torch.sigmoid(mlp(avg) + mlp(mx)))[:, :, None, None]
    maps = torch.cat([x1.mean(dim=1, keepdim=True), x1.max(dim=1, keepdim=True)[0]], dim=1)
    zs = F.conv2d(maps, P['cbam.spatial.conv.weight'], P['cbam.spatial.conv.bias'], padding=c['cbam_kernel'] // 2)
    sa = torch.sigmoid(zs)
    x = x1 * gate(sa)
    # ViT (timm layout).
    d, H = c['dim'], c['heads']
    hd = d // H
    x = F.conv2d(x, P['patch_embed.proj.weight'], P['patch_embed.proj.bias'], stride=c['patch']).flatten(2).transpose(1, 2)
    x = torch.cat([P['cls_token'].expand(B, -1, -1), x], dim=1) + P['pos_embed']
    T = x.shape[1]
    rates = drop_path_rates(c)

    def drop(branch, slot):
        r = rates[slot]
        if masks is None or r == 0:
            return branch
        return branch * (masks[slot] / (1 - r))[:, None, None]

    for i in range(c['depth']):
        b = f'blocks.{i}'
        h = F.layer_norm(x, (d,), P[f'{b}.norm1.weight'], P[f'{b}.norm1.bias'], c['ln_eps'])
        qkv = F.linear(h, P[f'{b}.attn.qkv.weight'], P[f'{b}.attn.qkv.bias']).reshape(B, T, 3, H, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * hd ** -0.5, qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        o = (a @ v).transpose(1, 2).reshape(B, T, d)
        x = x + drop(F.linear(o, P[f'{b}.attn.proj.weight'], P[f'{b}.attn.proj.bias']), 2 * i)
        h = F.layer_norm(x, (d,), P[f'{b}.norm2.weight'], P[f'{b}.norm2.bias'], c['ln_eps'])
        h = F.linear(F.gelu(F.linear(h, P[f'{b}.mlp.fc1.weight'], P[f'{b}.mlp.fc1.bias'])), P[f'{b}.mlp.fc2.weight'], P[f'{b}.mlp.fc2.bias'])
        x = x + drop(h, 2 * i + 1)
    x = F.layer_norm(x, (d,), P['norm.weight'], P['norm.bias'], c['ln_eps'])
    return F.linear(x[:, 0], P['head.weight'], P['head.bias']), sa


def main():
    c = CFG
    specs = param_specs(c)
    f32 = lambda t: t.float().double()  # values exactly representable in float32
    P = {n: f32(init_value(n, s)).requires_grad_(True) for n, s in specs}
    B = c['batch']
    images = f32(torch.rand(B, 3, c['image'], c['image']) * 2 - 1)
    labels = torch.tensor([0, 3, 3, 1], dtype=torch.int64)
    class_weights = f32(torch.tensor([0.5, 2.0, 1.0, 1.5]))
    slots = 2 * c['depth']
    masks = torch.ones(slots, B, dtype=torch.float64)
    masks[2] = torch.tensor([1.0, 0.0, 1.0, 1.0])
    masks[3] = torch.tensor([1.0, 1.0, 0.0, 1.0])
    m0 = {n: f32(0.01 * torch.randn(s)) for n, s in specs}
    v0 = {n: f32(1e-4 * torch.rand(s) + 1e-6) for n, s in specs}

    logits_eval, sa_eval = forward(P, images, c, None)
    logits, _ = forward(P, images, c, masks)
    # The paper's normalisation: −(1/N) Σ_j w[y_j] log p[y_j] (PyTorch's weight= mean divides by Σ w[y_j]).
    loss = F.cross_entropy(logits, labels, weight=class_weights, reduction='none').sum() / B
    loss.backward()
    grads = {n: P[n].grad.detach().clone() for n, _ in specs}

    before = {n: P[n].detach().clone() for n, _ in specs}
    params = [P[n] for n, _ in specs]
    opt = torch.optim.AdamW(params, lr=ADAMW['lr'], betas=ADAMW['betas'], eps=ADAMW['eps'],
                            weight_decay=ADAMW['weight_decay'], foreach=False)
    for n, _ in specs:
        opt.state[P[n]] = {'step': torch.tensor(float(STEP0)), 'exp_avg': m0[n].clone(), 'exp_avg_sq': v0[n].clone()}
    opt.step()

    tensors = []
    blob = bytearray()

    def put(name, t):
        arr = t.detach().to(torch.float32).contiguous().flatten().tolist()
        tensors.append({'name': name, 'shape': list(t.shape), 'offset': len(blob)})
        blob.extend(struct.pack(f'<{len(arr)}f', *arr))

    for n, _ in specs:
        put(f'param/{n}', before[n])
        put(f'grad/{n}', grads[n])
        put(f'm0/{n}', m0[n])
        put(f'v0/{n}', v0[n])
        put(f'after/{n}', P[n])
        put(f'm1/{n}', opt.state[P[n]]['exp_avg'])
        put(f'v1/{n}', opt.state[P[n]]['exp_avg_sq'])
    put('input/images', images)
    put('input/class_weights', class_weights)
    put('input/drop_masks', masks)
    put('expected/logits_eval', logits_eval)
    put('expected/spatial_attention_eval', sa_eval)
    put('expected/logits_train', logits)
    put('expected/loss', loss.detach().reshape(()))

    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, 'vit_cbam_small.bin'), 'wb') as f:
        f.write(bytes(blob))
    manifest = {
        'about': 'Written by scripts/parity/make_parity_fixtures.py (float64 PyTorch reference, stored as float32).',
        'torch': torch.__version__,
        'config': CFG,
        'adamw': {**ADAMW, 'betas': list(ADAMW['betas'])},
        'step0': STEP0,
        'labels': labels.tolist(),
        'params': [{'name': n, 'shape': list(s)} for n, s in specs],
        'tensors': tensors,
    }
    with open(os.path.join(OUT_DIR, 'vit_cbam_small.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print(f'wrote {len(tensors)} tensors, {len(blob)} bytes, loss {loss.item():.6f}')


if __name__ == '__main__':
    main()
