#!/usr/bin/env python3
"""train_toy.py - train the demo model: a tiny Stable Diffusion 1.x that draws captioned shapes.

A maintainer tool, never needed to build or run sd.h. It makes a synthetic captioned data set in
code (circles, squares, triangles and stripes on plain backgrounds, 64x64), trains the three parts
of SD 1.x at tiny widths in the real checkpoint layout (the VAE, the CLIP text encoder and the UNet
with cross-attention), and writes an ordinary single-file checkpoint that sd.h loads like any SD 1.x
model, beside a small CLIP BPE vocabulary (merges.txt) that makes every caption word one token:
sd finds merges.txt beside the model by itself.

    python3 tools/train_toy.py --threads 1 --check  # the shipped model: tools/toy/model.safetensors
    python3 tools/train_toy.py --smoke --threads 1 --out-dir /tmp/toy --check   # 3 minutes, a test
    python3 tools/train_toy.py --check-only         # parity with build/sd and a few txt2img runs
    python3 tools/train_toy.py --vae-from tools/toy/model.safetensors --steps 1500 --out-dir /tmp/t
                                                    # UNet settings tried on the shipped VAE (25 min)

Needs Debian's python3-torch and python3-numpy (torch 1.13 is enough), nothing else: run it with
Debian's /usr/bin/python3 where a pyenv or venv python3 comes first in PATH. The shipped model is
made by the first command (the defaults, seed 0): 57 minutes on one core of the project's 2-core
machine (AMD EPYC, torch 1.13.1 from Debian 12, 2026-12-06) while other work ran on the other
core: the VAE 19 minutes (0.25-0.4 s a step), encoding the pool 2, the UNet 35 (0.7 s a step; its
small products gain nothing from a second thread). The time is not in the file, so that the same
command with the same torch and thread count gives the same bytes; another torch or thread count
may change the last bits of float sums and so the weights, not what the model draws.

WHAT IT TRAINS
  data      scenes drawn with anti-aliased signed distances, 64x64 RGB in [-1,1], and a caption made
            from the same parameters, parts of it left out at random so that partial prompts work:
              one shape  "a [small|big] red circle [on the left|on the right|at the top|at the bottom|
                         in the center] [on a blue background]"
              two shapes "two green squares [on a black background]" (side by side, left and right)
              stripes    "[vertical|horizontal] red and white stripes" (16-pixel bands: two of each colour across the picture)
            six colours (red green blue yellow white black), three shapes (circle,
            square, triangle; plurals for two), a shape never the colour of its background. All of
            it from seeded generators: no data set on disk.
  vocab     merges.txt in the Hugging Face CLIP format: ids 0..511 the byte symbols (and their
            </w> forms), then one per merge, then <|startoftext|> and <|endoftext|>, as CLIP and
            sd.h number them; the merges build each caption word, and nothing else, as one token
            (106 merges, 620 ids). The tokenizer below is CLIP's byte-level BPE for ASCII prompts;
            --check compares its ids with `sd tokenize` for every caption word and some captions.
  widths    64 wherever a GroupNorm of 32 groups runs (SD's are 128 and 320 wide): with 32 channels
            each group is one channel, which the norm makes zero-mean over the image, so a plain
            colour cannot pass it; the VAE then learns colour late and draws speckles.
  VAE       AutoencoderKL (ldm Encoder/Decoder): channels 64, multipliers 1,1,1,1, 1 res block a
            level (the decoder 2), mid attention, 4 latent channels, 8x down. Trained on 32x32 crops
            (at multiples of 8) for the first 80% of its steps, whole scenes after: four times the
            steps for the work of whole scenes. Loss: MSE, a small KL,
            and a term that makes SD 1.x's linear latent-to-RGB preview (sd --preview) right for
            this latent, which also teaches the encoder colour early. sd.h takes SD 1.x's scale
            0.18215 for granted (it is not in the file): the scale factor is measured as SD's was
            (1 / std of the encoder's samples) and folded into quant_conv and post_quant_conv, so
            that 0.18215 * sample has unit std.
  text      CLIPTextModel (OpenAI CLIP, transformers' names): width 128 (2 heads of 64: sd.h's SD
            1.x rule), 4 layers, MLP 512, quick_gelu, causal mask, 77 positions, final layer norm, over the vocabulary above.
            Trained from scratch with the UNet, at a tenth of its learning rate and held at its
            random start for the first 30% of the steps: trained at full rate from the start, it
            learned the colours first and made the place words alike while the UNet could not use
            them yet (their contexts came out 1% apart), so the model never learned places.
  UNet      openaimodel.UNetModel of SD 1.x: channels 64, multipliers 1,1,1,1, 2 res blocks a
            level, SpatialTransformers (depth 1, 8 heads, conv proj_in/proj_out, GEGLU) on levels
            0-2 and the middle, context 128. Eps prediction on the SD 1.5 schedule (scaled_linear
            betas 0.00085..0.012, 1000 steps), Min-SNR-5 loss weights, the shapes' latent pixels
            weighing 1 + 4 x their coverage (a shape is a seventh of a scene, yet its colour is
            what the caption is about), 10% of captions dropped for
            classifier-free guidance; the EMA of the weights (text encoder and UNet) is written.
            Its data: a pool of scenes encoded once, each use with a new latent sample and caption.
  file      safetensors, F16 weights, the LDM keys (model.diffusion_model., first_stage_model.,
            cond_stage_model.transformer.text_model.), position_ids and the scheduler buffers as
            SD 1.x checkpoints carry them; the settings and the measured scale in __metadata__.

Public domain (unlicense) or MIT, like sd.h. """

import argparse
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time


def _threads():   # before torch loads: Debian's torch does its matrix products in OpenBLAS, which has its own count
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "2"


os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = _threads()
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # on a shared machine, spinning threads wait for a busy core

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ================================================================ vocabulary and tokenizer

COLOURS = {   # RGB 0..255
    "red": (220, 30, 30), "green": (30, 170, 50), "blue": (30, 70, 220), "yellow": (245, 215, 30),
    "white": (240, 240, 240), "black": (15, 15, 15),
}
SHAPES = ("circle", "square", "triangle")
PLACES = {   # name -> (phrase, centre x, centre y) on the 64x64 canvas
    "left": ("on the left", 16, 32), "right": ("on the right", 48, 32), "top": ("at the top", 32, 16),
    "bottom": ("at the bottom", 32, 48), "center": ("in the center", 32, 32),
}
SIZES = {"small": 7.0, "big": 12.0}   # radius in pixels (a square and a triangle of the same area)
OTHER_WORDS = ("a", "two", "on", "background", "and", "stripes", "vertical", "horizontal")


def caption_words():
    """every word a caption can have, sorted (the order of the merges)"""
    w = set(COLOURS) | set(SHAPES) | {s + "s" for s in SHAPES} | set(SIZES) | set(OTHER_WORDS)
    for phrase, _, _ in PLACES.values():
        w |= set(phrase.split())
    return sorted(w)


def bytes_to_unicode():
    """CLIP's map of the 256 bytes to printable symbols: printable bytes first, as themselves"""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def bpe(token, ranks):
    """CLIP's BPE of one piece (its byte symbols): the last symbol gets </w>, then the lowest-ranked
    adjacent pair is merged everywhere, left to right, until no pair has a rank"""
    word = list(token[:-1]) + [token[-1] + "</w>"]
    while len(word) > 1:
        pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
        best = min(pairs, key=lambda p: ranks.get(p, math.inf))
        if best not in ranks:
            break
        out, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                out.append(word[i] + word[i + 1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        word = out
    return word


def make_merges(words):
    """merges that make each word one token. For each word in turn: run BPE with the merges so far
    and merge its first two pieces, until it is one piece. A merge added later has a higher rank than
    all before it, so BPE tries it only where no earlier merge applies: the words done before keep
    their single token."""
    enc = bytes_to_unicode()
    merges, ranks, made = [], {}, set()
    for w in words:
        token = "".join(enc[b] for b in w.encode("utf-8"))
        while True:
            parts = bpe(token, ranks)
            if len(parts) == 1:
                break
            pair = (parts[0], parts[1])
            assert pair[0] + pair[1] not in made, "two merges make the same symbol"
            made.add(pair[0] + pair[1])
            ranks[pair] = len(merges)
            merges.append(pair)
    return merges


def write_merges(path, merges):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write("%s %s\n" % (a, b))


def read_merges(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[0].startswith("#version"), path + ": not a CLIP merges.txt"
    return [tuple(l.split(" ")) for l in lines[1:] if l.strip()]


class Tokenizer:
    """CLIP's tokenizer (simple_tokenizer.py) for ASCII text: lowercase, whitespace folded, CLIP's
    split pattern, byte-level BPE; 77 ids: BOS, at most 75 ids, EOS, then EOS (SD 1.x's padding)"""
    PAT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+",
                     re.IGNORECASE)

    def __init__(self, merges):
        self.byte_enc = bytes_to_unicode()
        vocab = list(self.byte_enc.values())
        vocab += [v + "</w>" for v in vocab]
        vocab += [a + b for a, b in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.ids = {s: i for i, s in enumerate(vocab)}   # a later equal string wins, as in dict(zip())
        self.ranks = {p: i for i, p in enumerate(merges)}
        self.bos, self.eos = len(vocab) - 2, len(vocab) - 1
        self.n_vocab = len(vocab)
        self.cache = {}

    def bpe_ids(self, text):
        text = " ".join(text.split()).lower()
        out = []
        for piece in self.PAT.findall(text):
            if piece == "<|startoftext|>":
                out.append(self.bos)
            elif piece == "<|endoftext|>":
                out.append(self.eos)
            else:
                token = "".join(self.byte_enc[b] for b in piece.encode("utf-8"))
                out += [self.ids[s] for s in bpe(token, self.ranks)]
        return out

    def __call__(self, text):
        if text not in self.cache:
            ids = self.bpe_ids(text)[:75]
            ids = [self.bos] + ids + [self.eos] * (76 - len(ids))
            self.cache[text] = ids
        return self.cache[text]


# ================================================================ data

def sample_scenes(rng, n):
    """n scene descriptions (dicts) from a numpy Generator"""
    names = list(COLOURS)
    out = []
    for _ in range(n):
        u = rng.random()
        if u < 0.70:
            kind = "one"
        elif u < 0.85:
            kind = "two"
        else:
            kind = "stripes"
        s = {"kind": kind}
        if kind == "stripes":
            a, b = rng.choice(len(names), 2, replace=False)
            s.update(colours=(names[a], names[b]), vertical=bool(rng.random() < 0.5), phase=float(rng.uniform(0, 32)))
        else:
            c, bg = rng.choice(len(names), 2, replace=False)
            s.update(colour=names[c], bg=names[bg], shape=SHAPES[rng.integers(3)])
            if kind == "one":
                s["size"] = ("small", "big")[rng.integers(2)]
                s["place"] = list(PLACES)[rng.integers(len(PLACES))]
                _, x, y = PLACES[s["place"]]
                r = SIZES[s["size"]] + rng.uniform(-1, 1)
                s["items"] = [(x + rng.uniform(-3, 3), y + rng.uniform(-3, 3), r)]
            else:
                y, r = 32 + rng.uniform(-3, 3), 8 + rng.uniform(-1, 1)
                s["items"] = [(16 + rng.uniform(-2, 2), y, r), (48 + rng.uniform(-2, 2), y, r)]
        out.append(s)
    return out


def caption(s, rng, full=False):
    """the caption of a scene; parts left out at random unless full"""
    keep = lambda p: full or rng.random() < p
    if s["kind"] == "stripes":
        a, b = s["colours"] if full or rng.random() < 0.5 else s["colours"][::-1]
        words = ([("vertical" if s["vertical"] else "horizontal")] if keep(0.7) else []) + [a, "and", b, "stripes"]
        return " ".join(words)
    if s["kind"] == "one":
        words = ["a"] + ([s["size"]] if keep(0.5) else []) + [s["colour"], s["shape"]]
        if keep(0.8):
            words.append(PLACES[s["place"]][0])
    else:
        words = ["two", s["colour"], s["shape"] + "s"]
    if keep(0.8):
        words += ["on", "a", s["bg"], "background"]
    return " ".join(words)


_GRID = None


def render(scenes, size=64, masks=False):
    """scenes -> images [N,3,size,size] in [-1,1]: each shape's coverage of a pixel from its signed
    distance (pixels), clamp(0.5 - d, 0, 1); with masks, also the shapes' coverage [N,1,size,size]
    (zero for stripes)"""
    global _GRID
    if _GRID is None or _GRID[0].shape[0] != size:
        c = torch.arange(size, dtype=torch.float32) + 0.5
        _GRID = torch.meshgrid(c, c, indexing="ij")   # y (down), x
    gy, gx = _GRID
    imgs = torch.empty(len(scenes), 3, size, size)
    cover = torch.zeros(len(scenes), 1, size, size)
    for i, s in enumerate(scenes):
        if s["kind"] == "stripes":
            ca, cb = (torch.tensor(COLOURS[k], dtype=torch.float32) for k in s["colours"])
            u = torch.remainder((gx if s["vertical"] else gy) - s["phase"], 32.0)
            d = torch.where(u < 16, torch.minimum(u, 16 - u), -torch.minimum(u - 16, 32 - u))   # > 0 inside colour a
            alpha = (0.5 + d).clamp(0, 1)
            img = alpha * ca[:, None, None] + (1 - alpha) * cb[:, None, None]
        else:
            img = torch.tensor(COLOURS[s["bg"]], dtype=torch.float32)[:, None, None].expand(3, size, size).clone()
            col = torch.tensor(COLOURS[s["colour"]], dtype=torch.float32)[:, None, None]
            for (x, y, r) in s["items"]:
                dx, dy = gx - x, gy - y
                if s["shape"] == "circle":
                    d = torch.sqrt(dx * dx + dy * dy) - r
                elif s["shape"] == "square":   # the circle's area: half side r sqrt(pi) / 2
                    d = torch.maximum(dx.abs(), dy.abs()) - 0.886 * r
                else:   # equilateral, pointing up, the circle's area: circumradius 1.555 r, inradius half that
                    d = torch.maximum(torch.maximum(dy, -0.866 * dx - 0.5 * dy), 0.866 * dx - 0.5 * dy) - 0.778 * r
                alpha = (0.5 - d).clamp(0, 1)
                img = alpha * col + (1 - alpha) * img
                cover[i, 0] = torch.maximum(cover[i, 0], alpha)
        imgs[i] = img
    return (imgs / 127.5 - 1.0, cover) if masks else imgs / 127.5 - 1.0


# ================================================================ models (LDM names, SD 1.x semantics)

def zero_(m):
    nn.init.zeros_(m.weight)
    if m.bias is not None:
        nn.init.zeros_(m.bias)
    return m


def attention(q, k, v, heads, mask=None):
    """q [N,Tq,C], k v [N,Tk,C] -> [N,Tq,C]: softmax(q k^T / sqrt(d)) v per head of d = C / heads"""
    n, tq, c = q.shape
    d = c // heads
    q = (q * d ** -0.5).reshape(n, tq, heads, d).transpose(1, 2)   # (scaled before the product: less to scale)
    k = k.reshape(n, -1, heads, d).transpose(1, 2)
    v = v.reshape(n, -1, heads, d).transpose(1, 2)
    w = q @ k.transpose(-1, -2)
    if mask is not None:
        w = w + mask
    return (w.softmax(-1) @ v).transpose(1, 2).reshape(n, tq, c)


# ---------------------------------------------------------------- UNet (openaimodel.UNetModel)

class ResBlock(nn.Module):
    def __init__(self, ci, co, emb):
        super().__init__()
        self.in_layers = nn.Sequential(nn.GroupNorm(32, ci, eps=1e-5), nn.SiLU(), nn.Conv2d(ci, co, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb, co))
        self.out_layers = nn.Sequential(nn.GroupNorm(32, co, eps=1e-5), nn.SiLU(), nn.Dropout(0.0),
                                        zero_(nn.Conv2d(co, co, 3, padding=1)))
        self.skip_connection = nn.Conv2d(ci, co, 1) if ci != co else nn.Identity()

    def forward(self, x, emb):
        h = self.in_layers(x) + self.emb_layers(emb)[:, :, None, None]
        return self.skip_connection(x) + self.out_layers(h)


class CrossAttention(nn.Module):
    def __init__(self, c, ctx, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(c, c, bias=False)
        self.to_k = nn.Linear(ctx, c, bias=False)
        self.to_v = nn.Linear(ctx, c, bias=False)
        self.to_out = nn.Sequential(nn.Linear(c, c), nn.Dropout(0.0))

    def forward(self, x, ctx=None):
        ctx = x if ctx is None else ctx
        return self.to_out(attention(self.to_q(x), self.to_k(ctx), self.to_v(ctx), self.heads))


class GEGLU(nn.Module):
    def __init__(self, c, f):
        super().__init__()
        self.proj = nn.Linear(c, 2 * f)

    def forward(self, x):
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.net = nn.Sequential(GEGLU(c, 4 * c), nn.Dropout(0.0), nn.Linear(4 * c, c))

    def forward(self, x):
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    def __init__(self, c, ctx, heads):
        super().__init__()
        self.attn1 = CrossAttention(c, c, heads)
        self.ff = FeedForward(c)
        self.attn2 = CrossAttention(c, ctx, heads)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(c), nn.LayerNorm(c), nn.LayerNorm(c)

    def forward(self, x, ctx):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), ctx) + x
        return self.ff(self.norm3(x)) + x


class SpatialTransformer(nn.Module):
    def __init__(self, c, ctx, heads, depth=1):
        super().__init__()
        self.norm = nn.GroupNorm(32, c, eps=1e-6)
        self.proj_in = nn.Conv2d(c, c, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(c, ctx, heads) for _ in range(depth)])
        self.proj_out = zero_(nn.Conv2d(c, c, 1))

    def forward(self, x, ctx):
        n, c, h, w = x.shape
        t = self.proj_in(self.norm(x)).reshape(n, c, h * w).transpose(1, 2)
        for b in self.transformer_blocks:
            t = b(t, ctx)
        return self.proj_out(t.transpose(1, 2).reshape(n, c, h, w)) + x


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.op = nn.Conv2d(c, c, 3, stride=2, padding=1)

    def forward(self, x):
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def timestep_embedding(t, dim):
    """[cos(t f_i) | sin(t f_i)], f_i = exp(-ln(10000) i / half): LDM's (diffusers' flip_sin_to_cos)"""
    half = dim // 2
    f = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    a = t.float()[:, None] * f[None]
    return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)


class UNetModel(nn.Module):
    def __init__(self, ch, mult, nres, attn, ctx, heads=8):
        super().__init__()
        E = 4 * ch
        self.ch = ch
        self.time_embed = nn.Sequential(nn.Linear(ch, E), nn.SiLU(), nn.Linear(E, E))
        self.input_blocks = nn.ModuleList([nn.ModuleList([nn.Conv2d(4, ch, 3, padding=1)])])
        skips, c = [ch], ch
        for lv, m in enumerate(mult):
            for _ in range(nres):
                blk = [ResBlock(c, m * ch, E)]
                c = m * ch
                if attn[lv]:
                    blk.append(SpatialTransformer(c, ctx, heads))
                self.input_blocks.append(nn.ModuleList(blk))
                skips.append(c)
            if lv != len(mult) - 1:
                self.input_blocks.append(nn.ModuleList([Downsample(c)]))
                skips.append(c)
        self.middle_block = nn.ModuleList([ResBlock(c, c, E), SpatialTransformer(c, ctx, heads), ResBlock(c, c, E)])
        self.output_blocks = nn.ModuleList()
        for lv in reversed(range(len(mult))):
            for r in range(nres + 1):
                blk = [ResBlock(c + skips.pop(), mult[lv] * ch, E)]
                c = mult[lv] * ch
                if attn[lv]:
                    blk.append(SpatialTransformer(c, ctx, heads))
                if lv and r == nres:
                    blk.append(Upsample(c))
                self.output_blocks.append(nn.ModuleList(blk))
        self.out = nn.Sequential(nn.GroupNorm(32, c, eps=1e-5), nn.SiLU(), zero_(nn.Conv2d(c, 4, 3, padding=1)))

    @staticmethod
    def run(blk, h, emb, ctx):
        for layer in blk:
            if isinstance(layer, ResBlock):
                h = layer(h, emb)
            elif isinstance(layer, SpatialTransformer):
                h = layer(h, ctx)
            else:
                h = layer(h)
        return h

    def forward(self, x, t, ctx):
        emb = self.time_embed(timestep_embedding(t, self.ch))
        hs, h = [], x
        for blk in self.input_blocks:
            h = self.run(blk, h, emb, ctx)
            hs.append(h)
        h = self.run(self.middle_block, h, emb, ctx)
        for blk in self.output_blocks:
            h = self.run(blk, torch.cat([h, hs.pop()], dim=1), emb, ctx)
        return self.out(h)


# ---------------------------------------------------------------- VAE (ldm AutoencoderKL)

def vnorm(c):
    return nn.GroupNorm(32, c, eps=1e-6)


class ResnetBlock(nn.Module):
    def __init__(self, ci, co):
        super().__init__()
        self.norm1, self.conv1 = vnorm(ci), nn.Conv2d(ci, co, 3, padding=1)
        self.norm2, self.conv2 = vnorm(co), nn.Conv2d(co, co, 3, padding=1)
        if ci != co:
            self.nin_shortcut = nn.Conv2d(ci, co, 1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.nin_shortcut(x) if hasattr(self, "nin_shortcut") else x) + h


class AttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = vnorm(c)
        self.q, self.k, self.v, self.proj_out = (nn.Conv2d(c, c, 1) for _ in range(4))

    def forward(self, x):
        n, c, h, w = x.shape
        t = self.norm(x)
        tok = lambda conv: conv(t).reshape(n, c, h * w).transpose(1, 2)
        a = attention(tok(self.q), tok(self.k), tok(self.v), 1)
        return x + self.proj_out(a.transpose(1, 2).reshape(n, c, h, w))


class VDown(nn.Module):   # stride 2, zero padding on the bottom and right only
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Mid(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block_1, self.attn_1, self.block_2 = ResnetBlock(c, c), AttnBlock(c), ResnetBlock(c, c)

    def forward(self, x):
        return self.block_2(self.attn_1(self.block_1(x)))


class Encoder(nn.Module):
    def __init__(self, ch, mult, nres, z):
        super().__init__()
        self.conv_in = nn.Conv2d(3, ch, 3, padding=1)
        self.down = nn.ModuleList()
        c = ch
        for lv, m in enumerate(mult):
            d = nn.Module()
            d.block = nn.ModuleList()
            for _ in range(nres):
                d.block.append(ResnetBlock(c, m * ch))
                c = m * ch
            if lv != len(mult) - 1:
                d.downsample = VDown(c)
            self.down.append(d)
        self.mid = Mid(c)
        self.norm_out, self.conv_out = vnorm(c), nn.Conv2d(c, 2 * z, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for d in self.down:
            for b in d.block:
                h = b(h)
            if hasattr(d, "downsample"):
                h = d.downsample(h)
        return self.conv_out(F.silu(self.norm_out(self.mid(h))))


class Decoder(nn.Module):
    def __init__(self, ch, mult, nres, z):
        super().__init__()
        c = ch * mult[-1]
        self.conv_in = nn.Conv2d(z, c, 3, padding=1)
        self.mid = Mid(c)
        ups = []
        for lv in reversed(range(len(mult))):
            u = nn.Module()
            u.block = nn.ModuleList()
            for _ in range(nres + 1):
                u.block.append(ResnetBlock(c, mult[lv] * ch))
                c = mult[lv] * ch
            if lv != 0:
                u.upsample = Upsample(c)
            ups.insert(0, u)
        self.up = nn.ModuleList(ups)   # up.L is level L, run from the deepest
        self.norm_out, self.conv_out = vnorm(c), nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for u in reversed(self.up):
            for b in u.block:
                h = b(h)
            if hasattr(u, "upsample"):
                h = u.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, ch, mult, nres, z=4):
        super().__init__()
        self.encoder, self.decoder = Encoder(ch, mult, nres, z), Decoder(ch, mult, nres, z)
        self.quant_conv, self.post_quant_conv = nn.Conv2d(2 * z, 2 * z, 1), nn.Conv2d(z, z, 1)

    def encode(self, x):
        """image -> (mean, logvar) of the latent, each [N,4,H/8,W/8]"""
        mean, logvar = self.quant_conv(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z))


# ---------------------------------------------------------------- text encoder (transformers' CLIPTextModel)

class CLIPAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x, mask):
        return self.out_proj(attention(self.q_proj(x), self.k_proj(x), self.v_proj(x), x.shape[-1] // 64, mask))


class CLIPMLP(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, f), nn.Linear(f, d)

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(h * torch.sigmoid(1.702 * h))   # quick_gelu


class CLIPEncoderLayer(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.self_attn, self.layer_norm1 = CLIPAttention(d), nn.LayerNorm(d)
        self.mlp, self.layer_norm2 = CLIPMLP(d, f), nn.LayerNorm(d)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPTextTransformer(nn.Module):
    def __init__(self, vocab, d, layers, f, positions=77):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.token_embedding = nn.Embedding(vocab, d)
        self.embeddings.position_embedding = nn.Embedding(positions, d)
        nn.init.normal_(self.embeddings.token_embedding.weight, std=0.02)
        nn.init.normal_(self.embeddings.position_embedding.weight, std=0.01)
        self.encoder = nn.Module()
        self.encoder.layers = nn.ModuleList([CLIPEncoderLayer(d, f) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(d)
        self.register_buffer("mask", torch.full((positions, positions), -math.inf).triu(1), persistent=False)

    def forward(self, ids):
        """ids [N,77] -> the context [N,77,D] (SD 1.x: the last layer, through the final norm)"""
        x = self.embeddings.token_embedding(ids) + self.embeddings.position_embedding.weight[None]
        for layer in self.encoder.layers:
            x = layer(x, self.mask)
        return self.final_layer_norm(x)


# ---------------------------------------------------------------- the checkpoint's tree

class LatentDiffusion(nn.Module):
    """the module tree whose state_dict keys are an SD 1.x checkpoint's"""

    def __init__(self, cfg, vocab):
        super().__init__()
        self.model = nn.Module()
        self.model.diffusion_model = UNetModel(cfg["unet_ch"], cfg["unet_mult"], cfg["unet_res"], cfg["unet_attn"],
                                               cfg["text_width"])
        self.first_stage_model = AutoencoderKL(cfg["vae_ch"], cfg["vae_mult"], cfg["vae_res"])
        self.cond_stage_model = nn.Module()
        self.cond_stage_model.transformer = nn.Module()
        self.cond_stage_model.transformer.text_model = CLIPTextTransformer(vocab, cfg["text_width"], cfg["text_layers"],
                                                                           cfg["text_mlp"])

    @property
    def unet(self):
        return self.model.diffusion_model

    @property
    def vae(self):
        return self.first_stage_model

    @property
    def text(self):
        return self.cond_stage_model.transformer.text_model


CONFIG = dict(image=64, vae_ch=64, vae_mult=(1, 1, 1, 1), vae_res=1,
              unet_ch=64, unet_mult=(1, 1, 1, 1), unet_res=2, unet_attn=(1, 1, 1, 0),
              text_width=128, text_layers=4, text_mlp=512)

VAE_SCALE = 0.18215   # what sd.h multiplies the VAE's sample by (SD 1.x's, fixed in sd.h)
# sd's quick preview: RGB in [-1,1] = this^T @ (the UNet's latent) (tools/sd.c write_preview)
PREVIEW = torch.tensor([[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350],
                        [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]])


def alphas_cumprod():
    """diffusers' SD 1.5 schedule: linspace(sqrt(0.00085), sqrt(0.012), 1000, float32) ** 2"""
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas.double(), 0).float()


# ================================================================ training

def lr_at(step, total, base, warmup=100):
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def train_vae(ld, args, rng):
    """reconstruction (MSE) + KL + the preview term on the latent normalised by its running std"""
    vae = ld.vae
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, weight_decay=0.0)
    run_std, t0 = None, time.time()
    for step in range(args.vae_steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.vae_steps, args.vae_lr)
        x = render(sample_scenes(rng, args.vae_batch))
        if step < (1 - args.vae_full) * args.vae_steps and args.vae_crop < x.shape[-1]:
            # a crop of each scene at a multiple of 8 (the latent's grid): the convolutions learn from
            # more steps for the same work; the last vae_full of the steps see whole scenes
            c, o = args.vae_crop, rng.integers(0, (x.shape[-1] - args.vae_crop) // 8 + 1, (len(x), 2)) * 8
            x = torch.stack([x[i, :, o[i, 0]:o[i, 0] + c, o[i, 1]:o[i, 1] + c] for i in range(len(x))])
        mean, logvar = vae.encode(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        rec = vae.decode(z)
        l_rec = F.mse_loss(rec, x)
        l_kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).mean()
        s = z.detach().std().item()
        run_std = s if run_std is None else 0.99 * run_std + 0.01 * s
        prev = torch.einsum("kc,nkhw->nchw", PREVIEW, mean / run_std)
        l_prev = F.mse_loss(prev, F.avg_pool2d(x, 8))
        loss = l_rec + args.kl_weight * l_kl + args.preview_weight * l_prev
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        if step % args.log_every == 0 or step == args.vae_steps - 1:
            sps = (time.time() - t0) / (step + 1)
            log("vae %5d/%d  rec %.5f  kl %.3f  preview %.4f  std %.3f  (%.2f s/step, %.0f min left)" % (
                step, args.vae_steps, l_rec.item(), l_kl.item(), l_prev.item(), run_std, sps,
                sps * (args.vae_steps - step - 1) / 60))


@torch.no_grad()
def fold_scale(ld, n=1024):
    """SD's scale factor, 1 / std of the encoder's samples, measured on n scenes, then folded into
    the VAE so that sd.h's fixed 0.18215 is right: mean rows of quant_conv times k, logvar rows
    + 2 ln k, post_quant_conv's input times 1/k (k = 1 / (0.18215 std)). Returns (std before, after)."""
    vae = ld.vae

    def sample_std():
        zs = []
        g = torch.Generator().manual_seed(1234)
        r = np.random.default_rng(1234)
        for _ in range(n // 16):
            mean, logvar = vae.encode(render(sample_scenes(r, 16)))
            zs.append(mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=g))
        return torch.cat(zs).std().item()

    before = sample_std()
    k = 1.0 / (VAE_SCALE * before)
    q, p = vae.quant_conv, vae.post_quant_conv
    q.weight[:4] *= k
    q.bias[:4] *= k
    q.bias[4:] += 2 * math.log(k)
    p.weight *= 1.0 / k
    return before, sample_std()


@torch.no_grad()
def encode_pool(ld, rng, n, batch=16):
    """n scenes, their latent distributions (mean, std), encoded once: the UNet's data, and the shapes'
    coverage of each latent pixel [n,1,h,w]. Each use draws a new sample of the latent and a new
    caption, so the same scene is seldom seen twice alike."""
    scenes = sample_scenes(rng, n)
    means, stds, covers = [], [], []
    for i in range(0, n, batch):
        img, cover = render(scenes[i:i + batch], masks=True)
        mean, logvar = ld.vae.encode(img)
        means.append(mean)
        stds.append(torch.exp(0.5 * logvar))
        covers.append(F.avg_pool2d(cover, img.shape[-1] // mean.shape[-1]))
    return scenes, torch.cat(means), torch.cat(stds), torch.cat(covers)


def train_unet(ld, tok, args, rng):
    unet, text = ld.unet, ld.text
    t0 = time.time()
    scenes, means, stds, covers = encode_pool(ld, rng, args.pool)
    z = VAE_SCALE * (means + stds * torch.randn(means.shape))
    log("encoded %d scenes in %.0f s; the UNet's latents: std %.3f, mean %.3f" % (
        args.pool, time.time() - t0, z.std().item(), z.mean().item()))
    params = list(unet.parameters()) + list(text.parameters())
    # the text encoder learns at text_lr times the UNet's rate, and not at all for the first
    # text_freeze of the steps: the UNet first learns to read a random encoder's contexts, in which
    # every word differs. Trained together from the start, the encoder learns the colours quickly and
    # makes the words the UNet cannot use yet (the places) alike, and then the UNet never learns them.
    opt = torch.optim.AdamW([{"params": list(unet.parameters()), "scale": 1.0},
                             {"params": list(text.parameters()), "scale": args.text_lr, "text": True}], lr=args.lr, weight_decay=0.01)
    ema = [p.detach().clone() for p in params]
    ac = alphas_cumprod()
    empty = tok("")
    t0 = time.time()
    for step in range(args.steps):
        frozen = step < args.text_freeze * args.steps
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr) * (0.0 if frozen and "text" in g else g["scale"])
        idx = torch.from_numpy(rng.integers(0, args.pool, args.batch))
        ids = torch.tensor([empty if rng.random() < args.uncond else tok(caption(scenes[i], rng)) for i in idx.tolist()])
        x0 = VAE_SCALE * (means[idx] + stds[idx] * torch.randn(args.batch, *means.shape[1:]))
        t = torch.randint(0, 1000, (args.batch,))
        eps = torch.randn_like(x0)
        a = ac[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
        # the shapes' latent pixels weigh 1 + shape_weight: a shape is a seventh of a scene, yet its
        # colour and place are what the caption is about
        w = 1 + args.shape_weight * covers[idx]
        with torch.set_grad_enabled(not frozen):
            ctx = text(ids)
        err = (w * (unet(xt, t, ctx) - eps) ** 2).mean(dim=(1, 2, 3)) / w.mean(dim=(1, 2, 3))
        if args.min_snr > 0:   # Min-SNR-gamma (Hang et al. 2023): less weight where the noise is small
            snr = a.flatten() / (1 - a.flatten())
            err = err * snr.clamp(max=args.min_snr) / snr
        loss = err.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema, params):
                e.mul_(d).add_(p.detach(), alpha=1 - d)
        if step % args.log_every == 0 or step == args.steps - 1:
            sps = (time.time() - t0) / (step + 1)
            log("unet %5d/%d  loss %.4f  (%.2f s/step, %.0f min left)" % (
                step, args.steps, loss.item(), sps, sps * (args.steps - step - 1) / 60))
    with torch.no_grad():
        for e, p in zip(ema, params):
            p.copy_(e)


# ================================================================ the checkpoint

def sd15_buffers():
    """LDM's register_schedule for SD 1.x, in float64, stored as float32 (those the fixtures carry)"""
    betas = np.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=np.float64) ** 2
    ac = np.cumprod(1.0 - betas)
    prev = np.append(1.0, ac[:-1])
    return {"betas": betas, "alphas_cumprod": ac, "alphas_cumprod_prev": prev, "sqrt_alphas_cumprod": np.sqrt(ac),
            "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - ac), "logvar": np.zeros(1000)}


def write_safetensors(path, ld, meta):
    """the weights as F16, position_ids I64, the scheduler buffers F32; keys sorted"""
    items = {}
    for k, v in ld.state_dict().items():
        items[k] = ("F16", v.detach().cpu().numpy().astype("<f2"))
    items["cond_stage_model.transformer.text_model.embeddings.position_ids"] = ("I64", np.arange(77, dtype="<i8")[None])
    for k, v in sd15_buffers().items():
        items[k] = ("F32", v.astype("<f4"))
    header, off = {"__metadata__": meta}, 0
    for k in sorted(items):
        dt, a = items[k]
        header[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for k in sorted(items):
            f.write(items[k][1].tobytes())
    os.replace(tmp, path)


def read_safetensors(path):
    """name -> float32 torch tensor (F16, F32) or int64 (I64); and the metadata"""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dts = {"F16": "<f2", "F32": "<f4", "I64": "<i8"}
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=dts[v["dtype"]]).reshape(v["shape"])
        out[k] = torch.from_numpy(a.astype(np.float32 if v["dtype"] != "I64" else np.int64))
    return out, header.get("__metadata__", {})


def load_model(path, cfg):
    """the torch model with the checkpoint's (F16-rounded) weights, and its tokenizer; the layout the
    file's metadata gives (toy_config) before cfg"""
    sd, meta = read_safetensors(path)
    if "toy_config" in meta:
        cfg = json.loads(meta["toy_config"])
    merges = read_merges(os.path.join(os.path.dirname(path), "merges.txt"))
    tok = Tokenizer(merges)
    ld = LatentDiffusion(cfg, tok.n_vocab)
    ld.load_state_dict({k: v for k, v in sd.items() if k in ld.state_dict()}, strict=True)
    return ld.eval(), tok, meta


# ================================================================ checks against build/sd

def rel_l2(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def run_sd(sd, *a):
    r = subprocess.run([sd] + [str(x) for x in a], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s %s failed:\n%s%s" % (sd, " ".join(map(str, a)), r.stdout, r.stderr))
    return r.stdout


def region_means(img, place):
    """img [3,64,64] in [-1,1]: mean colour (0..255) inside the place's 24x24 box and outside it"""
    _, x, y = PLACES[place]
    m = torch.zeros(64, 64, dtype=torch.bool)
    m[max(0, y - 12):y + 12, max(0, x - 12):x + 12] = True
    img = ((torch.as_tensor(img) + 1) * 127.5).clamp(0, 255)
    return img[:, m].mean(1), img[:, ~m].mean(1)


@torch.no_grad()
def check(path, sd, cfg, work, threads):
    """parity of the tokenizer, text encoder, UNet and VAE with sd on the written file, and txt2img"""
    ld, tok, _ = load_model(path, cfg)
    vocab = os.path.join(os.path.dirname(path), "merges.txt")
    ok = True
    out = run_sd(sd, "info", "-m", path)
    log("sd info:\n" + out.strip())
    # tokenizer: each word one id, and the same ids as sd for the words and some captions
    rng = np.random.default_rng(7)
    prompts = caption_words() + [caption(s, rng) for s in sample_scenes(rng, 12)] + [""]
    bad = 0
    for p in prompts:
        ids = [int(v) for v in run_sd(sd, "tokenize", "--vocab", vocab, "-p", p).split()]
        if ids != tok(p):
            bad += 1
            log("tokenize MISMATCH %r: sd %s, python %s" % (p, ids[:12], tok(p)[:12]))
    one = all(len(tok.bpe_ids(w)) == 1 for w in caption_words())
    log("tokenizer: %d prompts, %d mismatches; every caption word one token: %s" % (len(prompts), bad, one))
    ok &= bad == 0 and one
    # text encoder
    p = "a big red circle on the left on a blue background"
    f = os.path.join(work, "ctx.npy")
    run_sd(sd, "text", "-m", path, "--vocab", vocab, "-p", p, "-o", f, "-t", threads)
    ctx = ld.text(torch.tensor([tok(p)]))
    e = rel_l2(np.load(f), ctx.numpy())
    log("text encoder: rel L2 %.2e" % e)
    ok &= e < 1e-3
    # UNet on a batch of 2 at two timesteps
    g = torch.Generator().manual_seed(5)
    x = torch.randn(2, 4, 8, 8, generator=g)
    ctx2 = torch.cat([ctx, ld.text(torch.tensor([tok("two green squares")]))])
    np.save(os.path.join(work, "x.npy"), x.numpy())
    np.save(os.path.join(work, "c.npy"), ctx2.numpy())
    for t in (981, 261):
        run_sd(sd, "unet", "-m", path, "--x", os.path.join(work, "x.npy"), "--t", t, "--context",
               os.path.join(work, "c.npy"), "-o", os.path.join(work, "eps.npy"), "-t", threads)
        e = rel_l2(np.load(os.path.join(work, "eps.npy")), ld.unet(x, torch.tensor([t, t]), ctx2).numpy())
        log("unet t=%d: rel L2 %.2e" % (t, e))
        ok &= e < 1e-3
    # VAE decode (a latent of the encoder's, unscaled as sd vae-decode takes it) and encode
    img = render(sample_scenes(np.random.default_rng(3), 1))
    mean, _ = ld.vae.encode(img)
    np.save(os.path.join(work, "z.npy"), mean.numpy())
    run_sd(sd, "vae-decode", "-m", path, "--z", os.path.join(work, "z.npy"), "-o", os.path.join(work, "img.npy"), "-t", threads)
    e = rel_l2(np.load(os.path.join(work, "img.npy")), ld.vae.decode(mean).numpy())
    log("vae decode: rel L2 %.2e" % e)
    ok &= e < 1e-3
    u8 = ((img[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()
    np.save(os.path.join(work, "in.npy"), u8)
    run_sd(sd, "vae-encode", "-m", path, "--image", os.path.join(work, "in.npy"), "-o", os.path.join(work, "mean.npy"), "-t", threads)
    m2, _ = ld.vae.encode(torch.from_numpy(u8).permute(2, 0, 1)[None].float() / 127.5 - 1)
    e = rel_l2(np.load(os.path.join(work, "mean.npy")), m2.numpy())
    log("vae encode: rel L2 %.2e" % e)
    ok &= e < 1e-3
    # txt2img: where the asked colour lands
    for p, place, colour in (("a big red circle on the left on a blue background", "left", "red"),
                             ("a big yellow square at the top on a black background", "top", "yellow")):
        for seed in (1, 2):
            o = os.path.join(work, "t%d.png" % seed)
            run_sd(sd, "-m", path, "--vocab", vocab, "-p", p, "-W", 64, "-H", 64, "--steps", 20, "-s", seed,
                   "-o", o, "--image-out", os.path.join(work, "t.npy"), "-q", "-t", threads)
            inside, outside = region_means(np.load(os.path.join(work, "t.npy"))[0], place)
            log("txt2img %r seed %d: inside %s outside %s (asked %s)" % (
                p, seed, [int(v) for v in inside], [int(v) for v in outside], COLOURS[colour]))
    log("checks: %s" % ("ok" if ok else "FAIL"))
    return ok


# ================================================================ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy"),
                    help="where model.safetensors and merges.txt go [tools/toy]")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads [2]")
    ap.add_argument("--vae-steps", type=int, default=VAE_STEPS)
    ap.add_argument("--vae-batch", type=int, default=12)
    ap.add_argument("--vae-lr", type=float, default=2e-3)
    ap.add_argument("--vae-crop", type=int, default=32, help="the VAE's training crops (pixels) [32]")
    ap.add_argument("--vae-full", type=float, default=0.2, help="share of the VAE's last steps on whole scenes [0.2]")
    ap.add_argument("--kl-weight", type=float, default=1e-4)
    ap.add_argument("--preview-weight", type=float, default=0.1)
    ap.add_argument("--unet-res", type=int, default=CONFIG["unet_res"], help="UNet res blocks a level [%d]" % CONFIG["unet_res"])
    ap.add_argument("--steps", type=int, default=UNET_STEPS, help="UNet and text encoder steps")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--pool", type=int, default=16384, help="scenes encoded for the UNet's training")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--text-lr", type=float, default=0.1, help="the text encoder's learning rate, times --lr [0.1]")
    ap.add_argument("--text-freeze", type=float, default=0.3, help="share of the first UNet steps with the text encoder held [0.3]")
    ap.add_argument("--vae-from", default=None, help="take the VAE of this model (from this script) instead of training one")
    ap.add_argument("--shape-weight", type=float, default=4.0, help="extra loss weight of the shapes' latent pixels [4]")
    ap.add_argument("--min-snr", type=float, default=5.0, help="Min-SNR-gamma loss weighting, 0: plain MSE [5]")
    ap.add_argument("--uncond", type=float, default=0.1, help="share of captions dropped (classifier-free guidance)")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--smoke", action="store_true", help="a run of about 2 minutes: few steps, to test the pipeline")
    ap.add_argument("--check", action="store_true", help="after training, compare with build/sd (if it exists)")
    ap.add_argument("--check-only", action="store_true", help="only the checks, on OUT_DIR/model.safetensors")
    ap.add_argument("--sd", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "sd"))
    args = ap.parse_args()
    if args.smoke:
        args.vae_steps, args.steps, args.pool, args.log_every = 60, 60, 1024, 10
    torch.set_num_threads(args.threads)
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, "model.safetensors")
    cfg = dict(CONFIG, unet_res=args.unet_res)

    if not args.check_only:
        t_start = time.time()
        torch.manual_seed(args.seed)
        rng = np.random.default_rng(args.seed)
        merges = make_merges(caption_words())
        write_merges(os.path.join(args.out_dir, "merges.txt"), merges)
        tok = Tokenizer(merges)
        ld = LatentDiffusion(cfg, tok.n_vocab)
        n = lambda m: sum(p.numel() for p in m.parameters())
        log("vocabulary: %d merges, %d ids; parameters: UNet %.2fM, VAE %.2fM, text %.2fM" % (
            len(merges), tok.n_vocab, n(ld.unet) / 1e6, n(ld.vae) / 1e6, n(ld.text) / 1e6))
        if args.vae_from:   # a maintainer's shortcut for trying UNet settings: the file's VAE, scale folded in
            sd_, meta_ = read_safetensors(args.vae_from)
            vae_keys = {k: v for k, v in sd_.items() if k.startswith("first_stage_model.")}
            missing = ld.load_state_dict(vae_keys, strict=False).missing_keys
            assert not [k for k in missing if k.startswith("first_stage_model.")], "no whole VAE in " + args.vae_from
            before = 1.0 / float(meta_["toy_vae_scale_measured"])
            log("the VAE of %s (scale factor %.5f measured there)" % (args.vae_from, 1 / before))
        else:
            train_vae(ld, args, rng)
            before, after = fold_scale(ld)
            log("VAE scale factor 1/std = %.5f, folded in: 0.18215 * sample now has std %.4f" % (1 / before, VAE_SCALE * after))
        ld.vae.requires_grad_(False)
        train_unet(ld, tok, args, rng)
        minutes = (time.time() - t_start) / 60
        meta = {"format": "pt", "generator": "tools/train_toy.py", "toy_seed": str(args.seed),
                "toy_settings": json.dumps({k: v for k, v in vars(args).items() if k not in ("out_dir", "sd", "check", "check_only", "vae_from")}),
                "toy_config": json.dumps(cfg), "toy_vae_scale_measured": "%.6f" % (1 / before),
                "torch": torch.__version__}
        write_safetensors(path, ld, meta)
        log("wrote %s (%.1f MB) and merges.txt in %.1f minutes" % (path, os.path.getsize(path) / 1e6, minutes))
    if args.check or args.check_only:
        if not os.path.exists(args.sd):
            log("no %s: checks skipped (make build/sd)" % args.sd)
            return 0
        with tempfile.TemporaryDirectory() as work:
            return 0 if check(path, args.sd, cfg, work, args.threads) else 1
    return 0


VAE_STEPS = 3000
UNET_STEPS = 3000

if __name__ == "__main__":
    sys.exit(main())
