#!/usr/bin/env python3
"""Checks for tools/mkmodel.c (python3 standard library only).

    python3 tools/check_mkmodel.py [--mkmodel build/mkmodel] [--fixture DIR/model.safetensors]
                                   [--work DIR] [--sd15] [--diffusers DIR --ldm FILE]

What it does (every step prints PASS or FAIL and a line of numbers):
  1. --config tiny: the key / dtype / shape set against the fixture model, same count; the
     scheduler buffers against the fixture's values.
  2. Determinism: two runs give the same bytes; --vae-only holds the same VAE numbers.
  3. F16 / BF16 rounding: `mkmodel --selftest` against Python's own IEEE half packing.
  4. A diffusers folder (written by mkmodel --diffusers): every tensor maps back to an LDM key
     through the mapping implemented HERE, independently of the C table (diffusers -> LDM,
     in the manner of diffusers' convert_diffusers_to_original_stable_diffusion.py), with the
     same bytes after the documented reshapes; every LDM model tensor is used exactly once.
  5. The BPE vocabulary: merges.txt is valid CLIP input (each merge's parts are byte symbols or
     earlier merges), vocab.json agrees, and a Python CLIP BPE tokenizes prompts with it.
  6. Tiny SD 2.x / SDXL checkpoints carry their distinguishing keys.
  7. Weight statistics per kind of tensor (tiny fully; sd15 sampled), NaN / Inf scan.
  8. --lora: each module of each key convention maps to a layer of the model by A1111's matching
     (the fixture README's patterns, written here; the fixture's lora-keymap.json where it has the
     module), with the shapes, dtypes, alpha and ranges promised; the three conventions hold the same
     bytes; --attn-only --te covers what the fixture's lora.safetensors covers, --lcm what its
     locon.safetensors covers. --embedding: the tensor's name, shape, dtype and spread.
With --sd15 it also writes the full SD 1.5 model (F16, ~2.1 GB) and its diffusers folder under
--work and checks those (steps 4 and 7), which takes a minute or two.
With --sd21 it writes `--config sd21` (F16, ~2.6 GB) under --work and checks it against the layout of
v2-1_768-ema-pruned.safetensors: every key of the sd2-tiny fixture (the same layout at small widths)
with its dtype and rank, no other keys than the real widths add (text blocks 3..23, skip connections,
the full set of scheduler buffers), the real shapes of the distinguishing tensors, the parameter count
of each part, and the statistics of step 7 (sampled).
Exit status 0 when everything passed.
"""
import argparse
import hashlib
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

FAILS = []


def result(ok, what, detail=""):
    print("%s  %s%s" % ("PASS" if ok else "FAIL", what, ("  (" + detail + ")") if detail else ""))
    if not ok:
        FAILS.append(what)


# ---------------------------------------------------------------- safetensors reading

class ST:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            raw = f.read(n)
        self.header_len = n
        h = json.loads(raw)
        self.meta = h.pop("__metadata__", {})
        self.t = h
        self.base = 8 + n
        self.f = open(path, "rb")
        # the data must be fully covered, without holes or overlaps
        spans = sorted(tuple(v["data_offsets"]) for v in h.values())
        pos = 0
        self.contiguous = True
        for b, e in spans:
            if b != pos:
                self.contiguous = False
            pos = e
        self.data_len = pos
        self.size_ok = os.path.getsize(path) == self.base + pos

    def raw(self, k, limit=None):
        b, e = self.t[k]["data_offsets"]
        if limit is not None:
            e = min(e, b + limit)
        self.f.seek(self.base + b)
        return self.f.read(e - b)

    def values(self, k, limit_elems=None):
        dt = self.t[k]["dtype"]
        size = {"F16": 2, "BF16": 2, "F32": 4, "I64": 8, "F64": 8}[dt]
        raw = self.raw(k, None if limit_elems is None else limit_elems * size)
        n = len(raw) // size
        if dt == "F16":
            return struct.unpack("<%de" % n, raw)
        if dt == "F32":
            return struct.unpack("<%df" % n, raw)
        if dt == "I64":
            return struct.unpack("<%dq" % n, raw)
        if dt == "BF16":
            hs = struct.unpack("<%dH" % n, raw)
            return struct.unpack("<%df" % n, struct.pack("<%dI" % n, *[x << 16 for x in hs]))
        raise ValueError(dt)


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        print(p.stderr)
        raise SystemExit("command failed: %s" % " ".join(cmd))
    return p.stdout, p.stderr


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 22)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------- 1. tiny vs fixture

def check_fixture(tiny, fixture):
    a, b = ST(fixture), ST(tiny)
    ka, kb = set(a.t), set(b.t)
    result(ka == kb, "tiny: same key set as the fixture",
           "fixture %d, mkmodel %d, missing %s, extra %s" % (len(ka), len(kb), sorted(ka - kb)[:3], sorted(kb - ka)[:3]))
    bad = [k for k in ka & kb if a.t[k]["shape"] != b.t[k]["shape"] or a.t[k]["dtype"] != b.t[k]["dtype"]]
    result(not bad, "tiny: same shapes and dtypes", "%d differ %s" % (len(bad), bad[:3]))
    result(b.contiguous and b.size_ok, "tiny: data contiguous, file size = header + data")
    bufs = [k for k in ka & kb if a.t[k]["dtype"] == "F32"]
    worst = 0
    for k in bufs:
        va, vb = a.values(k), b.values(k)
        for x, y in zip(va, vb):
            ix, iy = struct.unpack("<i", struct.pack("<f", x))[0], struct.unpack("<i", struct.pack("<f", y))[0]
            worst = max(worst, abs(ix - iy))
    result(worst <= 1, "tiny: scheduler buffers equal the fixture's", "%d buffers, max difference %d ulp" % (len(bufs), worst))
    pid = "cond_stage_model.transformer.text_model.embeddings.position_ids"
    result(list(b.values(pid)) == list(range(77)), "tiny: position_ids are 0..76")


# ---------------------------------------------------------------- SD 2.1-sized (--sd21)

# v2-1_768-ema-pruned.safetensors (SD 2.1; 512-base the same), as open_clip / LDM name and shape them
SD21_SHAPES = {
    "cond_stage_model.model.token_embedding.weight": [49408, 1024],
    "cond_stage_model.model.positional_embedding": [77, 1024],
    "cond_stage_model.model.transformer.resblocks.0.ln_1.weight": [1024],
    "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight": [3072, 1024],
    "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_bias": [3072],
    "cond_stage_model.model.transformer.resblocks.0.attn.out_proj.weight": [1024, 1024],
    "cond_stage_model.model.transformer.resblocks.23.mlp.c_fc.weight": [4096, 1024],
    "cond_stage_model.model.transformer.resblocks.23.mlp.c_proj.weight": [1024, 4096],
    "cond_stage_model.model.transformer.resblocks.23.ln_2.bias": [1024],
    "cond_stage_model.model.ln_final.weight": [1024],
    "cond_stage_model.model.text_projection": [1024, 1024],
    "cond_stage_model.model.logit_scale": [],
    "model.diffusion_model.input_blocks.1.1.proj_in.weight": [320, 320],
    "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": [320, 1024],
    "model.diffusion_model.input_blocks.4.1.proj_out.weight": [640, 640],
    "model.diffusion_model.input_blocks.7.1.transformer_blocks.0.attn2.to_v.weight": [1280, 1024],
    "model.diffusion_model.input_blocks.7.1.transformer_blocks.0.ff.net.0.proj.weight": [10240, 1280],
    "model.diffusion_model.middle_block.1.proj_in.weight": [1280, 1280],
    "model.diffusion_model.middle_block.1.transformer_blocks.0.attn1.to_q.weight": [1280, 1280],
    "model.diffusion_model.output_blocks.11.1.proj_out.weight": [320, 320],
    "model.diffusion_model.time_embed.0.weight": [1280, 320],
    "model.diffusion_model.out.2.weight": [4, 320, 3, 3],
    "first_stage_model.decoder.up.0.block.0.nin_shortcut.weight": [128, 256, 1, 1],
    "first_stage_model.encoder.conv_out.weight": [8, 512, 3, 3],
    "first_stage_model.post_quant_conv.weight": [4, 4, 1, 1],
}
# parameters per part of SD 2.1 (the text encoder with logit_scale)
SD21_PARAMS = {"model.diffusion_model.": 865910724, "first_stage_model.": 83653863, "cond_stage_model.": 354032641}


def check_sd21(mk, work, fixture2):
    big = os.path.join(work, "sd21.safetensors")
    t0 = time.time()
    _, err = run([mk, "--config", "sd21", "-o", big])
    print("   " + err.strip().replace("\n", "\n   "))
    print("   written in %.1f s" % (time.time() - t0))
    s = ST(big)
    result(s.contiguous and s.size_ok, "sd21: file well formed", "%d tensors, %d bytes" % (len(s.t), os.path.getsize(big)))
    bad = ["%s %s (want %s)" % (k, s.t[k]["shape"] if k in s.t else "missing", v) for k, v in SD21_SHAPES.items()
           if k not in s.t or s.t[k]["shape"] != v]
    result(not bad, "sd21: the real SD 2.1 shapes", "%d keys; %s" % (len(SD21_SHAPES), "; ".join(bad[:3])))
    blocks = sorted(set(int(m.group(1)) for m in (re.search(r"\.resblocks\.(\d+)\.", k) for k in s.t) if m))
    result(blocks == list(range(24)), "sd21: 24 OpenCLIP blocks", "resblocks %s..%s" % (blocks[0], blocks[-1]) if blocks else "none")
    got = {p: sum(numel(v["shape"]) for k, v in s.t.items() if k.startswith(p)) for p in SD21_PARAMS}
    result(got == SD21_PARAMS, "sd21: parameters of the UNet, VAE, text encoder as SD 2.1's",
           ", ".join("%s %d" % (p.rstrip("."), n) for p, n in got.items()))
    dts = set(v["dtype"] for k, v in s.t.items() if "." in k)
    result(dts == {"F16"}, "sd21: F16 weights", str(sorted(dts)))
    if os.path.exists(fixture2):
        f = ST(fixture2)
        miss = [k for k in f.t if k not in s.t or len(s.t[k]["shape"]) != len(f.t[k]["shape"]) or s.t[k]["dtype"] != f.t[k]["dtype"]]
        result(not miss, "sd21: every key of the sd2-tiny fixture, same dtype and rank", "%d keys; %s" % (len(f.t), miss[:3]))
        extra = [k for k in s.t if k not in f.t and not re.search(r"\.resblocks\.([3-9]|1\d|2[0-3])\.", k)
                 and not re.search(r"\.(skip_connection|nin_shortcut)\.(weight|bias)$", k) and "." in k]
        result(not extra, "sd21: no keys beyond what the real widths and depth add", "%s" % extra[:3])
    else:
        print("SKIP  sd21 against the sd2-tiny fixture: %s not found" % fixture2)
    stats(big, "sd21", sample=4096)


# ---------------------------------------------------------------- 3. F16 / BF16 rounding

def check_selftest(mk):
    out, _ = run([mk, "--selftest"])
    n = bad16 = badbf = 0
    for line in out.split("\n"):
        if not line:
            continue
        fb, hb, bb = [int(x, 16) for x in line.split()]
        x = struct.unpack("<f", struct.pack("<I", fb))[0]
        n += 1
        # half: Python packs with round-to-nearest-even; it refuses what overflows
        if math.isnan(x):
            ok16 = (hb & 0x7c00) == 0x7c00 and (hb & 0x3ff) != 0
        else:
            try:
                want = struct.unpack("<H", struct.pack("<e", x))[0]
            except OverflowError:
                want = 0xfc00 if x < 0 else 0x7c00
            ok16 = hb == want
        bad16 += not ok16
        # bfloat16: round to nearest even on the top 16 bits
        if math.isnan(x):
            okbf = (bb & 0x7f80) == 0x7f80 and (bb & 0x7f) != 0
        else:
            want = ((fb + 0x7fff + ((fb >> 16) & 1)) >> 16) & 0xffff
            okbf = bb == want
        badbf += not okbf
    result(bad16 == 0, "F16 conversion = Python's IEEE half (round to nearest even, subnormals, overflow)",
           "%d values, %d wrong" % (n, bad16))
    result(badbf == 0, "BF16 conversion round to nearest even", "%d values, %d wrong" % (n, badbf))


# ---------------------------------------------------------------- 4. diffusers -> LDM (independent)

def diffusers_to_ldm(comp, key, cfg):
    """Returns (ldm_key, reshape_to_4d). Written from diffusers' conversion script's rules."""
    if comp == "text_encoder":
        return "cond_stage_model.transformer." + key, False
    if comp == "unet":
        R = cfg["layers_per_block"]
        up_attn = [t.startswith("CrossAttn") for t in cfg["up_block_types"]]
        fixed = {"time_embedding.linear_1.": "time_embed.0.", "time_embedding.linear_2.": "time_embed.2.",
                 "conv_in.": "input_blocks.0.0.", "conv_norm_out.": "out.0.", "conv_out.": "out.2."}
        for a, b in fixed.items():
            if key.startswith(a):
                return "model.diffusion_model." + b + key[len(a):], False
        res = {"norm1": "in_layers.0", "conv1": "in_layers.2", "norm2": "out_layers.0", "conv2": "out_layers.3",
               "time_emb_proj": "emb_layers.1", "conv_shortcut": "skip_connection"}

        def resnet_rest(rest):
            head, tail = rest.split(".", 1)
            return res[head] + "." + tail

        m = re.match(r"down_blocks\.(\d+)\.resnets\.(\d+)\.(.*)$", key)
        if m:
            i, j = int(m.group(1)), int(m.group(2))
            return "model.diffusion_model.input_blocks.%d.0.%s" % ((R + 1) * i + j + 1, resnet_rest(m.group(3))), False
        m = re.match(r"down_blocks\.(\d+)\.attentions\.(\d+)\.(.*)$", key)
        if m:
            i, j = int(m.group(1)), int(m.group(2))
            return "model.diffusion_model.input_blocks.%d.1.%s" % ((R + 1) * i + j + 1, m.group(3)), False
        m = re.match(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.*)$", key)
        if m:
            i = int(m.group(1))
            return "model.diffusion_model.input_blocks.%d.0.op.%s" % ((R + 1) * (i + 1), m.group(2)), False
        m = re.match(r"up_blocks\.(\d+)\.resnets\.(\d+)\.(.*)$", key)
        if m:
            i, j = int(m.group(1)), int(m.group(2))
            return "model.diffusion_model.output_blocks.%d.0.%s" % ((R + 1) * i + j, resnet_rest(m.group(3))), False
        m = re.match(r"up_blocks\.(\d+)\.attentions\.(\d+)\.(.*)$", key)
        if m:
            i, j = int(m.group(1)), int(m.group(2))
            return "model.diffusion_model.output_blocks.%d.1.%s" % ((R + 1) * i + j, m.group(3)), False
        m = re.match(r"up_blocks\.(\d+)\.upsamplers\.0\.(.*)$", key)
        if m:
            i = int(m.group(1))
            return "model.diffusion_model.output_blocks.%d.%d.%s" % ((R + 1) * i + R, 2 if up_attn[i] else 1,
                                                                     m.group(2)), False
        m = re.match(r"mid_block\.resnets\.(\d+)\.(.*)$", key)
        if m:
            return "model.diffusion_model.middle_block.%d.%s" % (2 * int(m.group(1)), resnet_rest(m.group(2))), False
        m = re.match(r"mid_block\.attentions\.0\.(.*)$", key)
        if m:
            return "model.diffusion_model.middle_block.1." + m.group(1), False
        raise KeyError(key)
    if comp == "vae":
        L = len(cfg["block_out_channels"])
        k = key.replace("conv_shortcut", "nin_shortcut").replace("conv_norm_out", "norm_out")
        m = re.match(r"(encoder|decoder)\.mid_block\.attentions\.0\.(group_norm|to_q|to_k|to_v|to_out\.0)\.(weight|bias)$", k)
        if m:
            part = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}[m.group(2)]
            return ("first_stage_model.%s.mid.attn_1.%s.%s" % (m.group(1), part, m.group(3)),
                    m.group(3) == "weight" and part != "norm")
        k = re.sub(r"mid_block\.resnets\.(\d+)\.", lambda mm: "mid.block_%d." % (int(mm.group(1)) + 1), k)
        k = re.sub(r"encoder\.down_blocks\.(\d+)\.resnets\.", r"encoder.down.\1.block.", k)
        k = re.sub(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.", r"encoder.down.\1.downsample.", k)
        k = re.sub(r"decoder\.up_blocks\.(\d+)\.resnets\.", lambda mm: "decoder.up.%d.block." % (L - 1 - int(mm.group(1))), k)
        k = re.sub(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.", lambda mm: "decoder.up.%d.upsample." % (L - 1 - int(mm.group(1))), k)
        return "first_stage_model." + k, False
    raise KeyError(comp)


def check_diffusers(ddir, ldm_path, label):
    ldm = ST(ldm_path)
    files = {"unet": "unet/diffusion_pytorch_model.safetensors", "vae": "vae/diffusion_pytorch_model.safetensors",
             "text_encoder": "text_encoder/model.safetensors"}
    for f in ["model_index.json", "scheduler/scheduler_config.json", "tokenizer/merges.txt", "tokenizer/vocab.json",
              "tokenizer/tokenizer_config.json", "unet/config.json", "vae/config.json", "text_encoder/config.json"]:
        if not os.path.exists(os.path.join(ddir, f)):
            result(False, "%s: %s exists" % (label, f))
    for f in ["model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json", "unet/config.json",
              "vae/config.json", "text_encoder/config.json", "tokenizer/tokenizer_config.json"]:
        try:
            json.load(open(os.path.join(ddir, f)))
        except Exception as e:  # noqa
            result(False, "%s: %s is JSON" % (label, f), str(e))
    used = {}
    n = bad_map = bad_shape = bad_bytes = 0
    t0 = time.time()
    for comp, rel in files.items():
        cfg_path = os.path.join(ddir, comp, "config.json")
        cfg = json.load(open(cfg_path))
        st = ST(os.path.join(ddir, rel))
        if not (st.contiguous and st.size_ok):
            result(False, "%s: %s contiguous" % (label, rel))
        for k, v in st.t.items():
            n += 1
            try:
                lk, re4 = diffusers_to_ldm(comp, k, cfg)
            except KeyError:
                bad_map += 1
                print("   no LDM key for %s/%s" % (comp, k))
                continue
            if lk not in ldm.t:
                bad_map += 1
                print("   %s/%s -> %s: not in the LDM file" % (comp, k, lk))
                continue
            used[lk] = used.get(lk, 0) + 1
            want_shape = v["shape"] + [1, 1] if re4 else v["shape"]
            if want_shape != ldm.t[lk]["shape"] or v["dtype"] != ldm.t[lk]["dtype"]:
                bad_shape += 1
                print("   shape %s/%s %s vs %s %s" % (comp, k, v["shape"], lk, ldm.t[lk]["shape"]))
                continue
            if st.raw(k) != ldm.raw(lk):
                bad_bytes += 1
                print("   bytes differ: %s/%s vs %s" % (comp, k, lk))
        st.f.close()
    model_keys = [k for k in ldm.t if "." in k]   # all but the scheduler buffers
    unused = [k for k in model_keys if k not in used]
    twice = [k for k, c in used.items() if c > 1]
    result(bad_map == 0 and bad_shape == 0 and bad_bytes == 0,
           "%s: every diffusers tensor maps back to an LDM key with the same bytes" % label,
           "%d tensors, %d unmapped, %d shape, %d bytes; %.1f s" % (n, bad_map, bad_shape, bad_bytes, time.time() - t0))
    result(not unused and not twice, "%s: every LDM model tensor used exactly once" % label,
           "%d LDM model tensors, %d unused %s, %d twice; left out: %d scheduler buffers" %
           (len(model_keys), len(unused), unused[:3], len(twice), len(ldm.t) - len(model_keys)))
    # the tokenizer in the folder is a valid one
    check_vocab(os.path.join(ddir, "tokenizer", "merges.txt"), os.path.join(ddir, "tokenizer", "vocab.json"),
                label + ": tokenizer", quiet=True)


# ---------------------------------------------------------------- 5. BPE vocabulary

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def clip_bpe(word, ranks):
    parts = list(word[:-1]) + [word[-1] + "</w>"]
    while len(parts) > 1:
        best = None
        for i in range(len(parts) - 1):
            r = ranks.get((parts[i], parts[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            break
        a, b = parts[best[1]], parts[best[1] + 1]
        out, i = [], 0
        while i < len(parts):
            if i < len(parts) - 1 and parts[i] == a and parts[i + 1] == b:
                out.append(a + b)
                i += 2
            else:
                out.append(parts[i])
                i += 1
        parts = out
    return parts


def check_vocab(merges_path, vocab_path, label, quiet=False):
    lines = open(merges_path, encoding="utf-8").read().split("\n")
    ok_head = lines[0] == "#version: 0.2"
    merges = [tuple(l.split(" ")) for l in lines[1:] if l]
    b2u = bytes_to_unicode()
    known = set(b2u.values()) | set(c + "</w>" for c in b2u.values())
    bad = []
    for a, b in merges:
        if a not in known or b not in known:
            bad.append((a, b))
        known.add(a + b)
    result(ok_head and not bad and len(merges) > 0, "%s: merges.txt is valid CLIP input" % label,
           "%d merges, first %s, last %s; %d with unknown parts" %
           (len(merges), " ".join(merges[0]) if merges else "-", " ".join(merges[-1]) if merges else "-", len(bad)))
    if vocab_path:
        vocab = json.load(open(vocab_path, encoding="utf-8"))
        order = list(b2u.values())
        want = order + [c + "</w>" for c in order] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
        okv = len(vocab) == len(want) and all(vocab.get(t) == i for i, t in enumerate(want))
        result(okv, "%s: vocab.json numbers tokens as CLIP does" % label,
               "%d tokens; 'a</w>' = %s, <|startoftext|> = %s" % (len(vocab), vocab.get("a</w>"), vocab.get("<|startoftext|>")))
    if quiet:
        return
    ranks = {m: i for i, m in enumerate(merges)}
    prompts = ["a photo of a lighthouse at dawn", "portrait of an astronaut, oil painting, highly detailed",
               "A spooky witch dressed in white, in front of a dark house during the sunset"]
    for p in prompts:
        words = re.findall(r"'s|'t|'re|'ve|'m|'ll|'d|[a-z]+|[0-9]|[^\sa-z0-9]+", p.lower())
        toks = []
        for w in words:
            toks += clip_bpe("".join(b2u[c] for c in w.encode("utf-8")), ranks)
        print("   %-40s -> %d tokens: %s" % (p[:40], len(toks), " ".join(toks)))


# ---------------------------------------------------------------- 7. statistics

def kind_of(name, shape):
    if name in ("betas", "alphas_cumprod", "logvar") or "." not in name:
        return "scheduler buffer"
    if name.endswith("position_ids"):
        return "position_ids"
    if "embedding" in name:
        return "embedding"
    last = name.rsplit(".", 1)[-1]
    base = name.rsplit(".", 1)[0].rsplit(".", 1)[-1]
    is_norm = "norm" in base or base.startswith("ln_") or base in ("in_layers.0",) or \
        re.search(r"(in_layers|out_layers)\.0\.(weight|bias)$", name) or re.search(r"\.out\.0\.(weight|bias)$", name)
    if last == "weight" and len(shape) == 1 or (is_norm and last == "weight"):
        return "norm weight"
    if is_norm and last == "bias":
        return "norm bias"
    if last == "bias":
        return "bias"
    if len(shape) == 4:
        return "conv weight"
    return "linear weight"


def stats(path, label, sample=None):
    st = ST(path)
    agg = {}
    nonfinite = 0
    t0 = time.time()
    ratio = {}
    for k, v in st.t.items():
        if v["dtype"] == "I64":
            continue
        vals = st.values(k, sample)
        kind = kind_of(k, v["shape"])
        a = agg.setdefault(kind, [0, 0.0, 0.0, float("inf"), float("-inf"), 0])
        for x in vals:
            if x != x or x in (float("inf"), float("-inf")):
                nonfinite += 1
                continue
            a[0] += 1
            a[1] += x
            a[2] += x * x
            if x < a[3]:
                a[3] = x
            if x > a[4]:
                a[4] = x
        a[5] += 1
        if kind in ("conv weight", "linear weight") and len(vals) > 1000:
            fan = numel(v["shape"][1:])
            m = sum(vals) / len(vals)
            sd = math.sqrt(max(sum((x - m) ** 2 for x in vals) / len(vals), 0.0))
            ratio.setdefault(kind, []).append(sd * math.sqrt(fan))
    print("   statistics of %s (%s):" % (label, "all values" if sample is None else "first %d values of each tensor" % sample))
    print("   %-17s %7s %12s %9s %9s %9s %9s" % ("kind", "tensors", "values", "mean", "std", "min", "max"))
    for kind in sorted(agg):
        n, s, s2, lo, hi, nt = agg[kind]
        m = s / n if n else 0
        sd = math.sqrt(max(s2 / n - m * m, 0)) if n else 0
        print("   %-17s %7d %12d %+9.4f %9.4f %+9.4f %+9.4f" % (kind, nt, n, m, sd, lo, hi))
    for kind, r in sorted(ratio.items()):
        print("   %-17s std * sqrt(fan_in): median %.3f (1/sqrt(3) = 0.577 for uniform +-1/sqrt(fan_in))" %
              (kind, sorted(r)[len(r) // 2]))
    result(nonfinite == 0, "%s: no NaN / Inf" % label, "%.1f s" % (time.time() - t0))


# ---------------------------------------------------------------- 8. LoRA and embedding files

RES_PART = {"conv1": "in_layers_2", "conv2": "out_layers_3", "norm1": "in_layers_0", "norm2": "out_layers_0",
            "time_emb_proj": "emb_layers_1", "conv_shortcut": "skip_connection"}


def kohya_to_ldm(name, R, modules):
    """A kohya module name -> the checkpoint's weight key, as A1111 matches them (the fixture README's
    patterns, independently of mkmodel's C table); modules: LDM module names with '_' for '.' -> key."""
    U = "model_diffusion_model_"
    cands = []
    m = re.match(r"lora_te_(text_model_encoder_layers_\d+_.+)$", name)
    if m:
        cands = ["cond_stage_model_transformer_" + m.group(1)]
    fixed = {"lora_unet_conv_in": "input_blocks_0_0", "lora_unet_conv_out": "out_2",
             "lora_unet_time_embedding_linear_1": "time_embed_0", "lora_unet_time_embedding_linear_2": "time_embed_2"}
    if name in fixed:
        cands = [U + fixed[name]]
    for blocks, base in (("down_blocks", "input_blocks"), ("up_blocks", "output_blocks")):
        m = re.match(r"lora_unet_%s_(\d+)_(attentions|resnets)_(\d+)_(.+)$" % blocks, name)
        if m:
            i, j, rest = int(m.group(1)), int(m.group(3)), m.group(4)
            n = (R + 1) * i + j + (1 if blocks == "down_blocks" else 0)
            if m.group(2) == "attentions":
                cands = [U + "%s_%d_1_%s" % (base, n, rest)]
            else:
                cands = [U + "%s_%d_0_%s" % (base, n, RES_PART.get(rest, rest))]
    m = re.match(r"lora_unet_mid_block_(attentions|resnets)_(\d+)_(.+)$", name)
    if m:
        j, rest = int(m.group(2)), m.group(3)
        cands = [U + ("middle_block_1_" + rest if m.group(1) == "attentions" else "middle_block_%d_%s" % (2 * j, RES_PART.get(rest, rest)))]
    m = re.match(r"lora_unet_down_blocks_(\d+)_downsamplers_0_conv$", name)
    if m:
        cands = [U + "input_blocks_%d_0_op" % ((R + 1) * (int(m.group(1)) + 1))]
    m = re.match(r"lora_unet_up_blocks_(\d+)_upsamplers_0_conv$", name)
    if m:
        n = (R + 1) * int(m.group(1)) + R
        cands = [U + "output_blocks_%d_2_conv" % n, U + "output_blocks_%d_1_conv" % n]
    for c in cands:
        if c in modules:
            return modules[c]
    return None


LORA_SUFFIX = [(".lora_down.weight", "down"), (".lora_up.weight", "up"), (".alpha", "alpha"),
               (".lora_linear_layer.down.weight", "down"), (".lora_linear_layer.up.weight", "up"),
               (".lora.down.weight", "down"), (".lora.up.weight", "up"), (".lora_A.weight", "down"), (".lora_B.weight", "up")]


def lora_modules(st):
    """{kohya module name: {down, up, alpha: tensor key}} of a LoRA file in any of the three conventions"""
    mods = {}
    for k in st.t:
        for sfx, role in LORA_SUFFIX:
            if k.endswith(sfx):
                mod = k[:-len(sfx)]
                if mod.startswith("unet."):
                    mod = "lora_unet_" + mod[5:].replace(".", "_")
                elif mod.startswith("text_encoder."):
                    mod = "lora_te_" + mod[13:].replace(".", "_")
                mods.setdefault(mod, {})[role] = k
                break
        else:
            mods.setdefault("?" + k, {})
    return mods


def check_lora(mk, model_path, work, keymap_path, fixture_lora, label):
    model = ST(model_path)
    modules = {k[:-len(".weight")].replace(".", "_"): k for k in model.t if k.endswith(".weight")}
    R = next(n for n in range(1, 65) if "model.diffusion_model.input_blocks.%d.0.op.weight" % n in model.t) - 1
    keymap = json.load(open(keymap_path)) if keymap_path and os.path.exists(keymap_path) else {}
    files = {}
    for tag, args in (("kohya-lcm-te", ["--lcm", "--te"]), ("kohya", []), ("kohya-attn-te", ["--attn-only", "--te"]),
                      ("diffusers-te", ["--keys", "diffusers", "--te"]), ("peft-te", ["--keys", "peft", "--te"]),
                      ("kohya-te-noalpha", ["--te", "--alpha", "none"]), ("kohya-r32-bf16", ["--rank", "32", "--dtype", "bf16", "--alpha", "8"])):
        p = os.path.join(work, "lora-%s-%s.safetensors" % (label, tag))
        run([mk, "--lora", p, "--for", model_path, "--seed", "5"] + args)
        st = ST(p)
        files[tag] = st
        mods = lora_modules(st)
        bad, groups = [], {}
        rank = 32 if "r32" in tag else 4
        want_dt = "BF16" if "bf16" in tag else "F16"
        for mod, parts in sorted(mods.items()):
            key = kohya_to_ldm(mod, R, modules)
            if key is None or "down" not in parts or "up" not in parts:
                bad.append("%s: %s" % (mod, "no layer" if key is None else "down/up missing"))
                continue
            if keymap.get(mod, key) != key:
                bad.append("%s -> %s, the fixture's keymap says %s" % (mod, key, keymap[mod]))
            W = model.t[key]["shape"]
            d, u = st.t[parts["down"]], st.t[parts["up"]]
            r = min(rank, W[0], numel(W[1:]))
            want_d = [r] + W[1:]
            want_u = [W[0], r] + ([1, 1] if len(W) == 4 else [])
            if d["shape"] != want_d or u["shape"] != want_u or d["dtype"] != want_dt or u["dtype"] != want_dt:
                bad.append("%s: down %s up %s for %s %s" % (mod, d["shape"], u["shape"], key, W))
            has_alpha = "alpha" in parts
            if has_alpha != (tag.startswith("kohya") and "noalpha" not in tag):
                bad.append("%s: alpha %s" % (mod, "present" if has_alpha else "missing"))
            elif has_alpha:
                a = st.t[parts["alpha"]]
                want_a = 8.0 if "r32" in tag else float(r)
                if a["shape"] != [] or a["dtype"] != want_dt or st.values(parts["alpha"])[0] != want_a:
                    bad.append("%s: alpha %s %s = %s" % (mod, a["dtype"], a["shape"], st.values(parts["alpha"])))
            # the spread of the numbers: down +-1/sqrt(fan_in), up +-0.1/sqrt(r)
            dv, uv = st.values(parts["down"]), st.values(parts["up"])
            if max(abs(x) for x in dv) > 1.01 / math.sqrt(numel(W[1:])) or max(abs(x) for x in uv) > 0.101 / math.sqrt(r):
                bad.append("%s: values out of range" % mod)
            g = "te" if mod.startswith("lora_te_") else "unet"
            groups[g] = groups.get(g, 0) + 1
        result(not bad and st.contiguous and st.size_ok,
               "%s --lora %s: every module fits a layer of the model (A1111's matching%s)" % (label, tag, ", the fixture's keymap" if keymap else ""),
               "%d modules %s, %d tensors%s" % (len(mods), groups, len(st.t), "; " + "; ".join(bad[:3]) if bad else ""))
    # the same numbers in the three conventions
    a, b, c = (lora_modules(files[t]) for t in ("kohya-lcm-te", "diffusers-te", "peft-te"))
    same = all(files["kohya-lcm-te"].raw(a[m][r]) == files[t].raw(x[m][r]) for t, x in (("diffusers-te", b), ("peft-te", c))
               for m in x for r in ("down", "up"))
    result(set(b) == set(c) and set(b) <= set(a) and same, label + " --keys kohya / diffusers / peft: the same modules and bytes", "%d modules" % len(b))
    # coverage: the fixture's lora.safetensors (attention + text encoder) is --attn-only --te; --lcm covers locon.safetensors
    if fixture_lora and os.path.exists(fixture_lora):
        d = os.path.dirname(fixture_lora)
        fx = set(lora_modules(ST(fixture_lora)))
        lc = set(lora_modules(ST(os.path.join(d, "locon.safetensors"))))
        mine = set(lora_modules(files["kohya-attn-te"]))
        result(fx == mine, label + " --attn-only --te: the modules of the fixture's lora.safetensors", "%d and %d" % (len(fx), len(mine)))
        result(lc <= set(a), label + " --lcm --te covers the fixture's locon.safetensors", "%d of %d" % (len(lc & set(a)), len(lc)))


def check_embedding(mk, work):
    bad = []
    for args, key, shape, dt in ((["--width", "64"], "emb_params", [2, 64], "F32"),
                                 (["--width", "768", "--vectors", "75", "--dtype", "f16"], "emb_params", [75, 768], "F16"),
                                 (["--width", "64", "--1d", "--key", "<cat-toy>", "--dtype", "bf16"], "<cat-toy>", [64], "BF16")):
        p = os.path.join(work, "emb.safetensors")
        run([mk, "--embedding", p] + args)
        st = ST(p)
        v = st.values(key) if key in st.t else []
        sd = math.sqrt(sum(x * x for x in v) / max(len(v), 1))
        if list(st.t) != [key] or st.t[key]["shape"] != shape or st.t[key]["dtype"] != dt or not 0.015 < sd < 0.025:
            bad.append("%s: %s" % (" ".join(args), st.t))
    result(not bad, "--embedding: one tensor [N, D] or [D], std 0.02", "; ".join(bad))


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap.add_argument("--mkmodel", default=os.path.join(root, "build", "mkmodel"))
    ap.add_argument("--fixture", default="/work/shared/fixtures/sd1-tiny/model.safetensors")
    ap.add_argument("--work", default=None, help="where to write (default: a temporary folder)")
    ap.add_argument("--sd15", action="store_true", help="also write and check the full SD 1.5 model (~4.3 GB on disk)")
    ap.add_argument("--sd21", action="store_true", help="also write and check the SD 2.1-sized model (~2.6 GB on disk)")
    ap.add_argument("--diffusers", help="check this diffusers folder against --ldm")
    ap.add_argument("--ldm", help="the single-file checkpoint written with the same seed")
    args = ap.parse_args()
    mk = args.mkmodel
    if not os.path.exists(mk):
        src = os.path.join(here, "mkmodel.c")
        os.makedirs(os.path.dirname(mk), exist_ok=True)
        run(["cc", "-std=c99", "-O2", "-o", mk, src, "-lm"])
    work = args.work or tempfile.mkdtemp(prefix="mkmodel-check-")
    os.makedirs(work, exist_ok=True)
    print("mkmodel: %s, work folder: %s" % (mk, work))

    if args.diffusers:
        check_diffusers(args.diffusers, args.ldm, "diffusers")
        raise SystemExit(1 if FAILS else 0)

    tiny = os.path.join(work, "tiny.safetensors")
    run([mk, "--config", "tiny", "--seed", "7", "-o", tiny])
    if os.path.exists(args.fixture):
        check_fixture(tiny, args.fixture)
    else:
        print("SKIP  fixture comparison: %s not found" % args.fixture)

    tiny2 = os.path.join(work, "tiny2.safetensors")
    run([mk, "--config", "tiny", "--seed", "7", "-o", tiny2])
    result(sha256(tiny) == sha256(tiny2), "deterministic: two runs, same bytes", sha256(tiny)[:16])
    run([mk, "--config", "tiny", "--seed", "8", "-o", tiny2])
    result(sha256(tiny) != sha256(tiny2), "another seed, other bytes")
    vae = os.path.join(work, "tiny-vae.safetensors")
    run([mk, "--config", "tiny", "--seed", "7", "--vae-only", "-o", vae])
    a, b = ST(tiny), ST(vae)
    vk = [k for k in a.t if k.startswith("first_stage_model.")]
    same = all(a.raw(k) == b.raw(k[len("first_stage_model."):]) for k in vk)
    result(same and len(b.t) == len(vk), "--vae-only: the same VAE numbers, keys without first_stage_model.",
           "%d tensors" % len(b.t))
    for dt, want in (("f32", "F32"), ("bf16", "BF16")):
        p = os.path.join(work, "tiny-%s.safetensors" % dt)
        run([mk, "--config", "tiny", "--seed", "7", "--dtype", dt, "-o", p])
        s = ST(p)
        dts = set(v["dtype"] for k, v in s.t.items() if k.startswith("model."))
        result(dts == {want} and s.contiguous and s.size_ok, "--dtype %s writes %s weights" % (dt, want))
        # the F16 file's numbers are the F32 file's, rounded
        if dt == "f32":
            k = "model.diffusion_model.input_blocks.1.0.in_layers.2.weight"
            v32 = s.values(k)
            v16 = a.values(k)
            result(all(struct.unpack("<e", struct.pack("<e", x))[0] == y for x, y in zip(v32, v16)),
                   "F16 weights = F32 weights rounded", k)

    check_selftest(mk)

    ddir = os.path.join(work, "tiny-diffusers")
    run([mk, "--config", "tiny", "--seed", "7", "--diffusers", ddir])
    check_diffusers(ddir, tiny, "tiny diffusers")

    merges = os.path.join(work, "merges.txt")
    vocab = os.path.join(work, "vocab.json")
    run([mk, "--vocab-out", merges, "--vocab-json", vocab])
    check_vocab(merges, vocab, "--vocab-out")

    for fam, keys in (("sd2", ["cond_stage_model.model.token_embedding.weight",
                               "cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight",
                               "model.diffusion_model.input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight",
                               "model.diffusion_model.input_blocks.1.1.proj_in.weight"]),
                      ("sdxl", ["conditioner.embedders.0.transformer.text_model.embeddings.position_embedding.weight",
                                "conditioner.embedders.1.model.transformer.resblocks.9.mlp.c_proj.bias",
                                "conditioner.embedders.1.model.positional_embedding",
                                "model.diffusion_model.label_emb.0.0.weight"])):
        p = os.path.join(work, "tiny-%s.safetensors" % fam)
        run([mk, "--family", fam, "-o", p])
        s = ST(p)
        missing = [k for k in keys if k not in s.t]
        detail = "%d tensors, %.1f MB" % (len(s.t), os.path.getsize(p) / 1e6)
        if fam == "sd2" and not missing:
            detail += "; attn2.to_k %s, proj_in %s" % (s.t[keys[2]]["shape"], s.t[keys[3]]["shape"])
            missing += [] if s.t[keys[2]]["shape"][-1] == 1024 and len(s.t[keys[3]]["shape"]) == 2 else ["shapes"]
        if fam == "sdxl" and not missing:
            detail += "; label_emb.0.0 %s" % s.t[keys[3]]["shape"]
            missing += [k for k in s.t if k.startswith("cond_stage_model.")]
        result(not missing and s.contiguous and s.size_ok, "--family %s: distinguishing keys" % fam, detail)

    fxdir = os.path.join(os.path.dirname(os.path.dirname(args.fixture)), "sd1-prompts")
    check_lora(mk, tiny, work, os.path.join(fxdir, "lora-keymap.json"), os.path.join(fxdir, "lora.safetensors"), "tiny")
    check_lora(mk, os.path.join(work, "tiny-sd2.safetensors"), work, None, None, "sd2")
    check_embedding(mk, work)

    stats(tiny, "tiny, --init torch")
    p = os.path.join(work, "tiny-fixture-init.safetensors")
    run([mk, "--config", "tiny", "--seed", "7", "--init", "fixture", "-o", p])
    stats(p, "tiny, --init fixture")
    stats(args.fixture, "the fixture model itself") if os.path.exists(args.fixture) else None

    if args.sd15:
        big = os.path.join(work, "sd15.safetensors")
        t0 = time.time()
        _, err = run([mk, "--config", "sd15", "-o", big])
        print("   " + err.strip().replace("\n", "\n   "))
        print("   written in %.1f s" % (time.time() - t0))
        s = ST(big)
        result(s.contiguous and s.size_ok, "sd15: file well formed", "%d tensors, %d bytes" % (len(s.t), os.path.getsize(big)))
        bd = os.path.join(work, "sd15-diffusers")
        run([mk, "--config", "sd15", "--diffusers", bd])
        check_diffusers(bd, big, "sd15 diffusers")
        stats(big, "sd15", sample=4096)

    if args.sd21:
        check_sd21(mk, work, os.path.join(os.path.dirname(os.path.dirname(args.fixture)), "sd2-tiny", "model.safetensors"))

    print("\n%s: %d failed" % ("FAILED" if FAILS else "ALL PASSED", len(FAILS)))
    raise SystemExit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
