#!/usr/bin/env python3
"""Checks for tools/mkmodel.c (python3 standard library only).

    python3 tools/check_mkmodel.py [--mkmodel build/mkmodel] [--fixture DIR/model.safetensors]
                                   [--work DIR] [--sd15] [--sd21] [--sdxl] [--sd build/sd]
                                   [--diffusers DIR --ldm FILE] [--sdxl-file FILE]

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
  9. SDXL: --config sdxl-tiny against the sdxl-tiny fixture (../shared/fixtures/sdxl-tiny: the same names,
     shapes and dtypes), position_ids and logit_scale, determinism; its diffusers folder as in step 4
     with diffusers' OpenCLIP -> transformers rules written here (q/k/v_proj = the thirds of in_proj's
     rows, text_projection.weight = the transpose of text_projection, logit_scale dropped), every LDM
     tensor used once, and its configs checked against the tensors; its LoRAs (kohya with LDM or
     diffusers UNet names, lora_te1_ / lora_te2_, diffusers and peft keys): every module maps to a
     layer (bigG's q/k/v to a third of in_proj) with the right shapes, exactly the layers asked for, the
     same bytes in every convention; with the sd tool (--sd, default build/sd, skipped if missing) the
     file and the folder give the same PNG and latent bytes. --config sdxl's layout from `mkmodel --list`
     (nothing written): 2515 tensors, the real shapes, parameters per part as SDXL base 1.0's,
     depths 0/2/10, every fixture key; its diffusers folder's tensor counts. --print-keymap: the SD 1.x
     mapping equals tools/diffusers_keys.txt.
With --sd15 it also writes the full SD 1.5 model (F16, ~2.1 GB) and its diffusers folder under
--work and checks those (steps 4 and 7), which takes a minute or two.
With --sd21 it writes `--config sd21` (F16, ~2.6 GB) under --work and checks it against the layout of
v2-1_768-ema-pruned.safetensors: every key of the sd2-tiny fixture (the same layout at small widths)
with its dtype and rank, no other keys than the real widths add (text blocks 3..23, skip connections,
the full set of scheduler buffers), the real shapes of the distinguishing tensors, the parameter count
of each part, and the statistics of step 7 (sampled).
With --sdxl it writes `--config sdxl` (F16, 6.9 GB) under --work and checks the file (well formed, the
real shapes, statistics of step 7 sampled); --sdxl-file FILE checks a file already written that way.
Exit status 0 when everything passed.
"""
import argparse
import hashlib
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

FAILS = []
VOCAB = "/work/shared/clip-vocab/merges.txt"   # for the optional run through sd.h


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

def openclip_key(key):
    """text_encoder_2 (transformers' CLIPTextModelWithProjection) -> (OpenCLIP key after
    conditioner.embedders.1.model., how): how is None (same bytes), 0/1/2 (q/k/v: that third of
    in_proj's rows) or "T" (text_projection: the transpose). Written from diffusers'
    convert_open_clip_checkpoint / convert_diffusers_to_original_sdxl.py rules."""
    fixed = {"text_model.embeddings.token_embedding.weight": "token_embedding.weight",
             "text_model.embeddings.position_embedding.weight": "positional_embedding"}
    if key in fixed:
        return fixed[key], None
    if key == "text_projection.weight":
        return "text_projection", "T"
    m = re.match(r"text_model\.final_layer_norm\.(weight|bias)$", key)
    if m:
        return "ln_final." + m.group(1), None
    m = re.match(r"text_model\.encoder\.layers\.(\d+)\.(.*)$", key)
    if not m:
        raise KeyError(key)
    blk, rest = "transformer.resblocks.%s." % m.group(1), m.group(2)
    m = re.match(r"self_attn\.([qkv])_proj\.(weight|bias)$", rest)
    if m:
        return blk + "attn.in_proj_" + m.group(2), "qkv".index(m.group(1))
    for a, b in (("layer_norm1.", "ln_1."), ("layer_norm2.", "ln_2."), ("self_attn.out_proj.", "attn.out_proj."),
                 ("mlp.fc1.", "mlp.c_fc."), ("mlp.fc2.", "mlp.c_proj.")):
        if rest.startswith(a):
            return blk + b + rest[len(a):], None
    raise KeyError(key)


def diffusers_to_ldm(comp, key, cfg, xl=False):
    """Returns (ldm_key, reshape_to_4d) or, for text_encoder_2, (ldm_key, how) as openclip_key.
    Written from diffusers' conversion scripts' rules."""
    if comp == "text_encoder":
        return ("conditioner.embedders.0.transformer." if xl else "cond_stage_model.transformer.") + key, False
    if comp == "text_encoder_2":
        k, how = openclip_key(key)
        return "conditioner.embedders.1.model." + k, how
    if comp == "unet":
        R = cfg["layers_per_block"]
        up_attn = [t.startswith("CrossAttn") for t in cfg["up_block_types"]]
        fixed = {"time_embedding.linear_1.": "time_embed.0.", "time_embedding.linear_2.": "time_embed.2.",
                 "conv_in.": "input_blocks.0.0.", "conv_norm_out.": "out.0.", "conv_out.": "out.2.",
                 "add_embedding.linear_1.": "label_emb.0.0.", "add_embedding.linear_2.": "label_emb.0.2."}
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


def f16_transpose(raw, rows, cols):
    """the bytes of a 2-byte [rows, cols] matrix, transposed"""
    v = struct.unpack("<%dH" % (rows * cols), raw)
    return struct.pack("<%dH" % (rows * cols), *[v[r * cols + c] for c in range(cols) for r in range(rows)])


def check_diffusers(ddir, ldm_path, label):
    ldm = ST(ldm_path)
    xl = any(k.startswith("conditioner.") for k in ldm.t)
    files = {"unet": "unet/diffusion_pytorch_model.safetensors", "vae": "vae/diffusion_pytorch_model.safetensors",
             "text_encoder": "text_encoder/model.safetensors"}
    configs = ["model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json", "unet/config.json",
               "vae/config.json", "text_encoder/config.json", "tokenizer/tokenizer_config.json"]
    if xl:
        files["text_encoder_2"] = "text_encoder_2/model.safetensors"
        configs += ["text_encoder_2/config.json", "tokenizer_2/tokenizer_config.json", "tokenizer_2/special_tokens_map.json",
                    "tokenizer_2/vocab.json"]
    for f in configs + ["tokenizer/merges.txt"] + (["tokenizer_2/merges.txt"] if xl else []):
        if not os.path.exists(os.path.join(ddir, f)):
            result(False, "%s: %s exists" % (label, f))
    for f in configs:
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
                lk, how = diffusers_to_ldm(comp, k, cfg, xl)
            except KeyError:
                bad_map += 1
                print("   no LDM key for %s/%s" % (comp, k))
                continue
            if lk not in ldm.t:
                bad_map += 1
                print("   %s/%s -> %s: not in the LDM file" % (comp, k, lk))
                continue
            third = how if comp == "text_encoder_2" and how in (0, 1, 2) else None
            used[(lk, third)] = used.get((lk, third), 0) + 1
            L = ldm.t[lk]["shape"]
            if comp == "text_encoder_2" and how == "T":
                want_shape = L[::-1]
            elif third is not None:
                want_shape = [L[0] // 3] + L[1:] if L[0] % 3 == 0 else None
            else:
                want_shape = L[:2] if how is True and L[2:] == [1, 1] else L
            if v["shape"] != want_shape or v["dtype"] != ldm.t[lk]["dtype"]:
                bad_shape += 1
                print("   shape %s/%s %s vs %s %s" % (comp, k, v["shape"], lk, L))
                continue
            want = ldm.raw(lk)
            if third is not None:
                n3 = len(want) // 3
                want = want[third * n3:(third + 1) * n3]
            elif how == "T":
                want = f16_transpose(want, L[0], L[1])
            if st.raw(k) != want:
                bad_bytes += 1
                print("   bytes differ: %s/%s vs %s%s" % (comp, k, lk, "" if third is None else " rows %d/3" % third))
        st.f.close()
    # all but the scheduler buffers and SDXL's logit_scale (transformers' text model has none)
    dropped = [k for k in ldm.t if k.endswith(".logit_scale")]
    model_keys = [k for k in ldm.t if "." in k and k not in dropped]
    need = [(k, t) for k in model_keys for t in ((0, 1, 2) if k.endswith(".attn.in_proj_weight") or
                                                   k.endswith(".attn.in_proj_bias") else (None,))]
    unused = [k for k in need if k not in used]
    twice = [k for k, c in used.items() if c > 1]
    result(bad_map == 0 and bad_shape == 0 and bad_bytes == 0,
           "%s: every diffusers tensor maps back to an LDM key with the same bytes" % label,
           "%d tensors, %d unmapped, %d shape, %d bytes; %.1f s" % (n, bad_map, bad_shape, bad_bytes, time.time() - t0))
    result(not unused and not twice and not any(k in used for k in dropped),
           "%s: every LDM model tensor used exactly once%s" % (label, " (in_proj: each third once)" if xl else ""),
           "%d LDM model tensors, %d unused %s, %d twice; left out: %d scheduler buffers%s" %
           (len(model_keys), len(unused), unused[:3], len(twice), len(ldm.t) - len(model_keys) - len(dropped),
            ", %s" % dropped if dropped else ""))
    if xl:
        check_sdxl_configs(ddir, ldm, label)
    # the tokenizer in the folder is a valid one
    for tok in ("tokenizer", "tokenizer_2") if xl else ("tokenizer",):
        check_vocab(os.path.join(ddir, tok, "merges.txt"), os.path.join(ddir, tok, "vocab.json"), label + ": " + tok, quiet=True)


def check_sdxl_configs(ddir, ldm, label):
    """an SDXL folder's configs say what its tensors are, as diffusers / transformers would build them"""
    def cfg(f):
        return json.load(open(os.path.join(ddir, f)))
    mi, u, t1, t2, v, sc = (cfg(f) for f in ("model_index.json", "unet/config.json", "text_encoder/config.json",
                                              "text_encoder_2/config.json", "vae/config.json", "scheduler/scheduler_config.json"))
    tok1, tok2 = cfg("tokenizer/tokenizer_config.json"), cfg("tokenizer_2/special_tokens_map.json")
    P = "model.diffusion_model."
    sh = lambda k: ldm.t[k]["shape"]   # noqa: E731
    chans = u["block_out_channels"]
    depth = []
    for lvl in range(len(chans)):
        n = (u["layers_per_block"] + 1) * lvl + 1   # the level's first input block
        d = len(set(re.findall(r"input_blocks\.%d\.1\.transformer_blocks\.(\d+)\." % n, " ".join(ldm.t))))
        depth.append(d)
    mid = len(set(re.findall(r"middle_block\.1\.transformer_blocks\.(\d+)\.", " ".join(ldm.t))))
    want = {
        "model_index: StableDiffusionXLPipeline": mi["_class_name"] == "StableDiffusionXLPipeline",
        "model_index: text_encoder_2 is CLIPTextModelWithProjection": mi.get("text_encoder_2") == ["transformers", "CLIPTextModelWithProjection"],
        "model_index: tokenizer_2": mi.get("tokenizer_2") == ["transformers", "CLIPTokenizer"],
        "unet: text_time addition embedding of the label_emb's width":
            u.get("addition_embed_type") == "text_time" and u.get("addition_time_embed_dim") == 256 and
            u.get("projection_class_embeddings_input_dim") == sh(P + "label_emb.0.0.weight")[1],
        "unet: channels": chans[0] == sh(P + "input_blocks.0.0.weight")[0],
        "unet: cross_attention_dim = attn2.to_k's input": u["cross_attention_dim"] == sh(P + "middle_block.1.transformer_blocks.0.attn2.to_k.weight")[1],
        "unet: transformer depth per level (1 where unused), middle = last": [
            max(d, 1) for d in depth] == u["transformer_layers_per_block"] and mid == depth[-1],
        "unet: attention_head_dim = channels / 64": u["attention_head_dim"] == [c // 64 for c in chans],
        "unet: linear projections": u["use_linear_projection"] is True and len(sh(P + "middle_block.1.proj_in.weight")) == 2,
        "unet: CrossAttn blocks where the keys have attention": [
            t.startswith("CrossAttn") for t in u["down_block_types"]] == [d > 0 for d in depth],
        "text_encoder: quick_gelu, widths": t1["hidden_act"] == "quick_gelu" and t1["hidden_size"] == sh(
            "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight")[0],
        "text_encoder_2: gelu, widths, projection, heads of 64": t2["hidden_act"] == "gelu" and
            t2["architectures"] == ["CLIPTextModelWithProjection"] and
            t2["hidden_size"] == sh("conditioner.embedders.1.model.ln_final.weight")[0] and
            t2["projection_dim"] == sh("conditioner.embedders.1.model.text_projection")[1] and
            t2["num_attention_heads"] * 64 == t2["hidden_size"] and
            t2["intermediate_size"] == sh("conditioner.embedders.1.model.transformer.resblocks.0.mlp.c_fc.weight")[0] and
            t2["num_hidden_layers"] == len(set(re.findall(r"resblocks\.(\d+)\.", " ".join(ldm.t)))),
        "tokenizers: tokenizer pads with <|endoftext|>, tokenizer_2 with !": tok1["pad_token"] == "<|endoftext|>" and tok2["pad_token"] == "!",
        "vae: scaling_factor 0.13025, force_upcast": v["scaling_factor"] == 0.13025 and v.get("force_upcast") is True,
        "scheduler: EulerDiscreteScheduler, SD's betas, leading, eps": sc["_class_name"] == "EulerDiscreteScheduler" and
            sc["beta_start"] == 0.00085 and sc["beta_end"] == 0.012 and sc["timestep_spacing"] == "leading" and
            sc["prediction_type"] == "epsilon" and sc["steps_offset"] == 1,
    }
    bad = [k for k, ok in want.items() if not ok]
    result(not bad, "%s: the configs describe the tensors (SDXL pipeline, UNet, both text encoders, VAE, scheduler)" % label,
           "%d checks; depth %s, middle %d%s" % (len(want), depth, mid, "; wrong: " + "; ".join(bad) if bad else ""))


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
    if shape == []:
        return "scalar"
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


def lora_modules(st, xl=False):
    """{kohya module name: {down, up, alpha: tensor key}} of a LoRA file in any of the three conventions
    (xl: an SDXL LoRA, whose text encoders are lora_te1_ and lora_te2_)"""
    mods = {}
    for k in st.t:
        for sfx, role in LORA_SUFFIX:
            if k.endswith(sfx):
                mod = k[:-len(sfx)]
                if mod.startswith("unet."):
                    mod = "lora_unet_" + mod[5:].replace(".", "_")
                elif mod.startswith("text_encoder_2."):
                    mod = "lora_te2_" + mod[15:].replace(".", "_")
                elif mod.startswith("text_encoder."):
                    mod = ("lora_te1_" if xl else "lora_te_") + mod[13:].replace(".", "_")
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


def kohya_to_ldm_xl(name, R, modules):
    """An SDXL kohya module name -> (the checkpoint's weight key, which third of it or None): lora_te1_ is
    CLIP-L in transformers' names, lora_te2_ bigG in transformers' names (q/k/v_proj: the thirds of
    OpenCLIP's in_proj rows), lora_unet_ either LDM's module path or diffusers' (as A1111 matches)."""
    m = re.match(r"lora_te1_(text_model_encoder_layers_\d+_.+)$", name)
    if m:
        k = modules.get("conditioner_embedders_0_transformer_" + m.group(1))
        return (k, None) if k else None
    m = re.match(r"lora_te2_text_model_encoder_layers_(\d+)_(.+)$", name)
    if m:
        blk = "conditioner.embedders.1.model.transformer.resblocks.%s." % m.group(1)
        part = {"self_attn_q_proj": ("attn.in_proj_weight", 0), "self_attn_k_proj": ("attn.in_proj_weight", 1),
                "self_attn_v_proj": ("attn.in_proj_weight", 2), "self_attn_out_proj": ("attn.out_proj.weight", None),
                "mlp_fc1": ("mlp.c_fc.weight", None), "mlp_fc2": ("mlp.c_proj.weight", None)}.get(m.group(2))
        if not part or blk + part[0] not in modules.values():
            return None
        return blk + part[0], part[1]
    m = re.match(r"lora_unet_((input_blocks|middle_block|output_blocks|time_embed|out)_.+)$", name)
    if m and "model_diffusion_model_" + m.group(1) in modules:
        return modules["model_diffusion_model_" + m.group(1)], None
    k = kohya_to_ldm(name, R, modules)
    return (k, None) if k else None


def expected_xl_layers(model, groups):
    """(key, third) of every layer an SDXL LoRA of these groups covers, read from the model's names
    (sd-scripts' targets: Transformer2DModel's Linear layers; with LoCon the ResBlocks; CLIP's attention
    and MLP; LCM-LoRA also the samplers, conv_in/out, time_embed)"""
    out = set()
    for k, v in model.t.items():
        if not k.endswith("weight") or len(v["shape"]) not in (2, 4):
            continue
        if "attn" in groups and re.match(r"model\.diffusion_model\..*\.\d+\.(transformer_blocks\.\d+\.(attn[12]\.(to_[qkv]|to_out\.0)|"
                                         r"ff\.net\.(0\.proj|2))|proj_in|proj_out)\.weight$", k):
            out.add((k, None))
        if "res" in groups and re.match(r"model\.diffusion_model\.(input_blocks|middle_block|output_blocks)\.\d+\.?\d*\.?"
                                        r"(in_layers\.2|out_layers\.3|emb_layers\.1|skip_connection)\.weight$", k):
            out.add((k, None))
        if "lcm" in groups and re.match(r"model\.diffusion_model\.(input_blocks\.0\.0|out\.2|time_embed\.[02]|input_blocks\.\d+\.0\.op|"
                                        r"output_blocks\.\d+\.\d\.conv)\.weight$", k):
            out.add((k, None))
        if "te" in groups and re.match(r"conditioner\.embedders\.0\.transformer\.text_model\.encoder\.layers\.\d+\."
                                       r"(self_attn\.[qkv]_proj|self_attn\.out_proj|mlp\.fc[12])\.weight$", k):
            out.add((k, None))
        if "te" in groups and re.match(r"conditioner\.embedders\.1\.model\.transformer\.resblocks\.\d+\.(attn\.out_proj|mlp\.c_fc|mlp\.c_proj)\.weight$", k):
            out.add((k, None))
        if "te" in groups and k.endswith(".attn.in_proj_weight"):
            out.update((k, t) for t in (0, 1, 2))
    return out


def check_lora_xl(mk, model_path, work, label):
    """SDXL LoRAs: kohya (UNet in LDM or diffusers names, lora_te1_/lora_te2_), diffusers and peft keys"""
    model = ST(model_path)
    modules = {k[:-len(".weight")].replace(".", "_"): k for k in model.t if k.endswith(".weight")}
    modules.update({k.replace(".", "_"): k for k in model.t if k.endswith("in_proj_weight")})
    R = next(n for n in range(1, 65) if "model.diffusion_model.input_blocks.%d.0.op.weight" % n in model.t) - 1
    layers = {}
    for tag, args, groups in (("kohya", [], ("attn", "res")),
                              ("kohya-te", ["--te"], ("attn", "res", "te")),
                              ("kohya-te-diffnames", ["--te", "--unet-names", "diffusers"], ("attn", "res", "te")),
                              ("kohya-attn-te", ["--te", "--attn-only"], ("attn", "te")),
                              ("kohya-lcm-te", ["--te", "--lcm"], ("attn", "res", "te", "lcm")),
                              ("diffusers-te", ["--keys", "diffusers", "--te"], ("attn", "res", "te")),
                              ("peft-te", ["--keys", "peft", "--te"], ("attn", "res", "te")),
                              ("kohya-r32-bf16", ["--rank", "32", "--dtype", "bf16", "--alpha", "8"], ("attn", "res"))):
        p = os.path.join(work, "lora-%s-%s.safetensors" % (label, tag))
        run([mk, "--lora", p, "--for", model_path, "--seed", "5"] + args)
        st = ST(p)
        mods = lora_modules(st, xl=True)
        bad, groups_seen, got = [], {}, {}
        rank = 32 if "r32" in tag else 4
        want_dt = "BF16" if "bf16" in tag else "F16"
        for mod, parts in sorted(mods.items()):
            hit = kohya_to_ldm_xl(mod, R, modules)
            if hit is None or "down" not in parts or "up" not in parts:
                bad.append("%s: %s" % (mod, "no layer" if hit is None else "down/up missing"))
                continue
            if hit in got:
                bad.append("%s: the layer of %s again" % (mod, got[hit]))
            got[hit] = mod
            W = list(model.t[hit[0]]["shape"])
            if hit[1] is not None:
                W[0] //= 3
            d, u = st.t[parts["down"]], st.t[parts["up"]]
            r = min(rank, W[0], numel(W[1:]))
            want_d = [r] + W[1:]
            want_u = [W[0], r] + ([1, 1] if len(W) == 4 else [])
            if d["shape"] != want_d or u["shape"] != want_u or d["dtype"] != want_dt or u["dtype"] != want_dt:
                bad.append("%s: down %s up %s for %s %s" % (mod, d["shape"], u["shape"], hit, W))
            has_alpha = "alpha" in parts
            if has_alpha != tag.startswith("kohya"):
                bad.append("%s: alpha %s" % (mod, "present" if has_alpha else "missing"))
            elif has_alpha and (st.values(parts["alpha"])[0] != (8.0 if "r32" in tag else float(r)) or st.t[parts["alpha"]]["shape"] != []):
                bad.append("%s: alpha %s" % (mod, st.values(parts["alpha"])))
            dv, uv = st.values(parts["down"]), st.values(parts["up"])
            if max(abs(x) for x in dv) > 1.01 / math.sqrt(numel(W[1:])) or max(abs(x) for x in uv) > 0.101 / math.sqrt(r):
                bad.append("%s: values out of range" % mod)
            g = mod.split("_")[1]   # unet, te1, te2
            groups_seen[g] = groups_seen.get(g, 0) + 1
        unames = [m for m in mods if re.match(r"lora_unet_(down_blocks|up_blocks|mid_block)_", m)]
        ldmnames = [m for m in mods if re.match(r"lora_unet_(input_blocks|middle_block|output_blocks)_", m)]
        if tag.startswith("kohya") and (bool(unames) == ("diffnames" not in tag) or bool(ldmnames) == ("diffnames" in tag)):
            bad.append("UNet names: %d diffusers', %d LDM's" % (len(unames), len(ldmnames)))
        want = expected_xl_layers(model, groups)
        missing, extra = want - set(got), set(got) - want
        if missing or extra:
            bad.append("%d layers missing %s, %d not asked for %s" % (len(missing), sorted(missing)[:2], len(extra), sorted(extra)[:2]))
        layers[tag] = (st, mods, got)
        result(not bad and st.contiguous and st.size_ok,
               "%s --lora %s: every module fits a layer of the model, exactly the layers asked for" % (label, tag),
               "%d modules %s, %d tensors%s" % (len(mods), groups_seen, len(st.t), "; " + "; ".join(bad[:3]) if bad else ""))
    # the same numbers whatever the keys: compare through the layer each module changes
    ref_st, ref_mods, ref_got = layers["kohya-te"]
    diff = 0
    for tag in ("kohya-te-diffnames", "diffusers-te", "peft-te"):
        st, mods, got = layers[tag]
        if set(got) != set(ref_got):
            diff += 1
            continue
        for hit, mod in got.items():
            for role in ("down", "up"):
                if st.raw(mods[mod][role]) != ref_st.raw(ref_mods[ref_got[hit]][role]):
                    diff += 1
    result(diff == 0, label + " --lora: LDM / diffusers UNet names, kohya / diffusers / peft keys: the same layers and bytes",
           "%d layers; %d differ" % (len(ref_got), diff))
    st = layers["kohya-te"][0]
    result(st.meta.get("ss_base_model_version") == "sdxl_base_v1-0" and st.meta.get("ss_network_module") == "networks.lora",
           label + " --lora: kohya metadata says SDXL", str({k: v for k, v in st.meta.items() if k.startswith("ss_")}))


# sd_xl_base_1.0.safetensors, as SGM / open_clip / transformers name and shape it
SDXL_SHAPES = {
    "conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight": [49408, 768],
    "conditioner.embedders.0.transformer.text_model.embeddings.position_embedding.weight": [77, 768],
    "conditioner.embedders.0.transformer.text_model.embeddings.position_ids": [1, 77],
    "conditioner.embedders.0.transformer.text_model.encoder.layers.11.mlp.fc1.weight": [3072, 768],
    "conditioner.embedders.0.transformer.text_model.encoder.layers.11.self_attn.q_proj.weight": [768, 768],
    "conditioner.embedders.0.transformer.text_model.final_layer_norm.weight": [768],
    "conditioner.embedders.1.model.token_embedding.weight": [49408, 1280],
    "conditioner.embedders.1.model.positional_embedding": [77, 1280],
    "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight": [3840, 1280],
    "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_bias": [3840],
    "conditioner.embedders.1.model.transformer.resblocks.31.attn.out_proj.weight": [1280, 1280],
    "conditioner.embedders.1.model.transformer.resblocks.31.mlp.c_fc.weight": [5120, 1280],
    "conditioner.embedders.1.model.transformer.resblocks.31.mlp.c_proj.weight": [1280, 5120],
    "conditioner.embedders.1.model.ln_final.weight": [1280],
    "conditioner.embedders.1.model.text_projection": [1280, 1280],
    "conditioner.embedders.1.model.logit_scale": [],
    "model.diffusion_model.time_embed.0.weight": [1280, 320],
    "model.diffusion_model.label_emb.0.0.weight": [1280, 2816],
    "model.diffusion_model.label_emb.0.2.weight": [1280, 1280],
    "model.diffusion_model.input_blocks.0.0.weight": [320, 4, 3, 3],
    "model.diffusion_model.input_blocks.4.0.skip_connection.weight": [640, 320, 1, 1],
    "model.diffusion_model.input_blocks.4.1.proj_in.weight": [640, 640],
    "model.diffusion_model.input_blocks.4.1.transformer_blocks.1.attn2.to_k.weight": [640, 2048],
    "model.diffusion_model.input_blocks.7.1.transformer_blocks.9.ff.net.0.proj.weight": [10240, 1280],
    "model.diffusion_model.input_blocks.7.1.transformer_blocks.9.ff.net.2.weight": [1280, 5120],
    "model.diffusion_model.middle_block.1.transformer_blocks.9.attn2.to_v.weight": [1280, 2048],
    "model.diffusion_model.output_blocks.0.0.in_layers.0.weight": [2560],
    "model.diffusion_model.output_blocks.2.2.conv.weight": [1280, 1280, 3, 3],
    "model.diffusion_model.output_blocks.5.1.transformer_blocks.1.attn1.to_q.weight": [640, 640],
    "model.diffusion_model.output_blocks.5.2.conv.weight": [640, 640, 3, 3],
    "model.diffusion_model.output_blocks.8.0.skip_connection.weight": [320, 640, 1, 1],
    "model.diffusion_model.out.2.weight": [4, 320, 3, 3],
    "first_stage_model.encoder.conv_out.weight": [8, 512, 3, 3],
    "first_stage_model.decoder.up.0.block.0.nin_shortcut.weight": [128, 256, 1, 1],
    "first_stage_model.post_quant_conv.weight": [4, 4, 1, 1],
}
ABSENT_IN_SDXL = ["model.diffusion_model.input_blocks.1.1.proj_in.weight", "model.diffusion_model.output_blocks.6.1.norm.weight",
                  "model.diffusion_model.input_blocks.4.1.transformer_blocks.2.attn1.to_q.weight",
                  "model.diffusion_model.input_blocks.7.1.transformer_blocks.10.attn1.to_q.weight",
                  "model.diffusion_model.output_blocks.8.2.conv.weight", "model.diffusion_model.input_blocks.9.0.op.weight",
                  "conditioner.embedders.1.model.transformer.resblocks.32.ln_1.weight",
                  "conditioner.embedders.0.transformer.text_model.encoder.layers.12.mlp.fc1.weight", "betas", "alphas_cumprod"]
# parameters per part of SDXL base 1.0 (diffusers: UNet 2567463684, CLIPTextModel 123060480,
# CLIPTextModelWithProjection 694659840 + OpenCLIP's logit_scale, AutoencoderKL 83653863); position_ids left out
SDXL_PARAMS = {"model.diffusion_model.": 2567463684, "first_stage_model.": 83653863,
               "conditioner.embedders.0.": 123060480, "conditioner.embedders.1.": 694659841}


def mk_list(mk, args):
    """`mkmodel --list`: {path: [(name, dtype, shape)]}, without writing anything"""
    out, _ = run([mk, "--list"] + args)
    files = {}
    for line in out.split("\n"):
        if line:
            p, n, dt, sh = line.split("\t")
            files.setdefault(p, []).append((n, dt, json.loads(sh)))
    return files


def check_sdxl_layout(mk, fixture_xl):
    """--config sdxl's tensors (from --list: nothing written) against sd_xl_base_1.0.safetensors'"""
    t = {n: (dt, sh) for n, dt, sh in mk_list(mk, ["--config", "sdxl", "-o", "x.safetensors"])["x.safetensors"]}
    result(len(t) == 2515, "sdxl: 2515 tensors, as sd_xl_base_1.0.safetensors", "%d" % len(t))
    bad = ["%s %s (want %s)" % (k, t[k][1] if k in t else "missing", v) for k, v in SDXL_SHAPES.items() if k not in t or t[k][1] != v]
    bad += ["%s present" % k for k in ABSENT_IN_SDXL if k in t]
    result(not bad, "sdxl: the real SDXL shapes, nothing beyond its depth", "%d + %d keys; %s" % (len(SDXL_SHAPES), len(ABSENT_IN_SDXL), "; ".join(bad[:3])))
    got = {p: sum(numel(sh) for k, (dt, sh) in t.items() if k.startswith(p) and dt != "I64") for p in SDXL_PARAMS}
    result(got == SDXL_PARAMS, "sdxl: parameters of the UNet, VAE, text encoders as SDXL base 1.0's",
           ", ".join("%s %d" % (p.rstrip("."), n) for p, n in got.items()))
    dts = set(dt for k, (dt, sh) in t.items() if not k.endswith("position_ids"))
    result(dts == {"F16"} and t["conditioner.embedders.0.transformer.text_model.embeddings.position_ids"][0] == "I64",
           "sdxl: F16 weights, I64 position_ids", str(sorted(dts)))
    size = sum(numel(sh) * {"F16": 2, "I64": 8}[dt] for dt, sh in t.values())
    print("   sdxl: %.2f GB of data (%d bytes)" % (size / 1e9, size))
    depth = {}
    for k in t:
        m = re.match(r"model\.diffusion_model\.(input_blocks\.\d+|middle_block|output_blocks\.\d+)\.1\.transformer_blocks\.(\d+)\.", k)
        if m:
            depth[m.group(1)] = max(depth.get(m.group(1), 0), int(m.group(2)) + 1)
    want = {"input_blocks.4": 2, "input_blocks.5": 2, "input_blocks.7": 10, "input_blocks.8": 10, "middle_block": 10,
            "output_blocks.0": 10, "output_blocks.1": 10, "output_blocks.2": 10, "output_blocks.3": 2, "output_blocks.4": 2,
            "output_blocks.5": 2}
    result(depth == want, "sdxl: transformer depth 0, 2, 10 (middle 10)", str(sorted(depth.items())))
    if os.path.exists(fixture_xl):
        f = ST(fixture_xl)
        miss = [k for k in f.t if k not in t or len(t[k][1]) != len(f.t[k]["shape"]) or t[k][0] != f.t[k]["dtype"]]
        result(not miss, "sdxl: every key of the sdxl-tiny fixture, same dtype and rank", "%d keys; %s" % (len(f.t), miss[:3]))
    # its diffusers folder, listed: component sizes and the OpenCLIP -> transformers shapes
    d = mk_list(mk, ["--config", "sdxl", "--diffusers", "xd"])
    counts = {p.split("/")[1]: len(v) for p, v in d.items()}
    te2 = {n: sh for n, dt, sh in d.get("xd/text_encoder_2/model.safetensors", [])}
    okd = counts == {"unet": 1680, "vae": 248, "text_encoder": 197, "text_encoder_2": 517} and \
        te2.get("text_model.encoder.layers.31.self_attn.v_proj.weight") == [1280, 1280] and \
        te2.get("text_model.encoder.layers.0.self_attn.q_proj.bias") == [1280] and te2.get("text_projection.weight") == [1280, 1280]
    result(okd, "sdxl --diffusers: 1680 UNet, 248 VAE, 197 + 517 text encoder tensors, q/k/v_proj [1280,1280]", str(counts))


def check_sdxl_tiny(mk, work, fixture_xl, sd_bin):
    p = os.path.join(work, "sdxl-tiny.safetensors")
    run([mk, "--config", "sdxl-tiny", "--seed", "3", "-o", p])
    s = ST(p)
    if os.path.exists(fixture_xl):
        f = ST(fixture_xl)
        ka, kb = set(f.t), set(s.t)
        same = [k for k in ka & kb if f.t[k]["shape"] == s.t[k]["shape"] and f.t[k]["dtype"] == s.t[k]["dtype"]]
        result(ka == kb and len(same) == len(ka), "sdxl-tiny: the fixture's keys, shapes and dtypes exactly",
               "fixture %d, mkmodel %d, missing %s, extra %s, %d differ" % (len(ka), len(kb), sorted(ka - kb)[:3], sorted(kb - ka)[:3],
                                                                              len(ka & kb) - len(same)))
    else:
        print("SKIP  sdxl-tiny against the fixture: %s not found" % fixture_xl)
    pid = "conditioner.embedders.0.transformer.text_model.embeddings.position_ids"
    ls = s.values("conditioner.embedders.1.model.logit_scale")
    result(s.contiguous and s.size_ok and list(s.values(pid)) == list(range(77)) and abs(ls[0] - math.log(1 / 0.07)) < 2e-3 and
           s.t["model.diffusion_model.label_emb.0.0.weight"]["shape"] == [256, 64 + 6 * 256],
           "sdxl-tiny: well formed, position_ids 0..76, logit_scale ln(1/0.07), label_emb [256, 64 + 6 x 256]",
           "%d tensors, %.1f MB, logit_scale %s" % (len(s.t), os.path.getsize(p) / 1e6, ls[0]))
    p2 = os.path.join(work, "sdxl-tiny2.safetensors")
    run([mk, "--config", "sdxl-tiny", "--seed", "3", "-o", p2])
    result(sha256(p) == sha256(p2), "sdxl-tiny: deterministic", sha256(p)[:16])
    ddir = os.path.join(work, "sdxl-tiny-diffusers")
    run([mk, "--config", "sdxl-tiny", "--seed", "3", "--diffusers", ddir])
    check_diffusers(ddir, p, "sdxl-tiny diffusers")
    check_lora_xl(mk, p, work, "sdxl-tiny")
    stats(p, "sdxl-tiny")
    # the file and the folder make the same image (sd.h); both named 'sdxl' so that the PNG's text agrees
    if sd_bin and os.path.exists(sd_bin) and os.path.exists(VOCAB):
        a, b = os.path.join(work, "xl-file"), os.path.join(work, "xl-folder")
        for q in (a, b):
            if os.path.isdir(q):
                shutil.rmtree(q)
        os.makedirs(a)
        shutil.copy(p, os.path.join(a, "sdxl"))
        os.makedirs(b)
        shutil.copytree(ddir, os.path.join(b, "sdxl"))
        outs = []
        for q in (a, b):
            o = os.path.join(q, "out.png")
            r = subprocess.run([sd_bin, "txt2img", "-m", os.path.join(q, "sdxl"), "--vocab", VOCAB, "-p", "a cat", "-n", "blurry",
                                "-W", "64", "-H", "64", "--steps", "2", "--seed", "42", "-o", o, "--latent-out", o + ".npy"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
            outs.append((r.returncode, sha256(o) if r.returncode == 0 else r.stderr.strip()[-200:],
                         sha256(o + ".npy") if r.returncode == 0 else ""))
        result(outs[0][0] == 0 and outs[0] == outs[1], "sdxl-tiny: %s txt2img, the file and the diffusers folder: the same PNG and latent bytes" % sd_bin,
               "; ".join("%s %s" % (o[1][:16], o[2][:16]) for o in outs))
    else:
        print("SKIP  sdxl-tiny through sd.h: %s or %s not found" % (sd_bin, VOCAB))


def check_sdxl_file(path):
    """a written --config sdxl file (mkmodel --config sdxl -o PATH): well formed, the listed layout, sane numbers"""
    s = ST(path)
    result(s.contiguous and s.size_ok and len(s.t) == 2515, "sdxl file: well formed, 2515 tensors",
           "%d tensors, %d bytes" % (len(s.t), os.path.getsize(path)))
    bad = [k for k, v in SDXL_SHAPES.items() if k not in s.t or s.t[k]["shape"] != v]
    result(not bad, "sdxl file: the real SDXL shapes", "%s" % bad[:3])
    stats(path, "sdxl file", sample=4096)


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
    ap.add_argument("--sdxl", action="store_true", help="also write and check --config sdxl (~6.9 GB on disk)")
    ap.add_argument("--sdxl-file", help="check this file, written by `mkmodel --config sdxl -o FILE` (nothing is written)")
    ap.add_argument("--sd", default=os.path.join(root, "build", "sd"),
                    help="the sd tool, to run the sdxl-tiny file and folder through sd.h (skipped if missing)")
    ap.add_argument("--diffusers", help="check this diffusers folder against --ldm")
    ap.add_argument("--ldm", help="the single-file checkpoint written with the same seed")
    args = ap.parse_args()
    mk = args.mkmodel
    if not os.path.exists(mk):
        src = os.path.join(here, "mkmodel.c")
        os.makedirs(os.path.dirname(mk), exist_ok=True)
        run(["cc", "-std=c99", "-O2", "-o", mk, src, "-lm"])
    if args.diffusers:   # checks of what exists: nothing written
        check_diffusers(args.diffusers, args.ldm, "diffusers")
        raise SystemExit(1 if FAILS else 0)
    if args.sdxl_file:
        check_sdxl_file(args.sdxl_file)
        raise SystemExit(1 if FAILS else 0)
    work = args.work or tempfile.mkdtemp(prefix="mkmodel-check-")
    os.makedirs(work, exist_ok=True)
    print("mkmodel: %s, work folder: %s" % (mk, work))

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

    fx_xl = os.path.join(os.path.dirname(os.path.dirname(args.fixture)), "sdxl-tiny", "model.safetensors")
    check_sdxl_tiny(mk, work, fx_xl, args.sd)
    check_sdxl_layout(mk, fx_xl)
    keymap, _ = run([mk, "--print-keymap"])
    saved = os.path.join(here, "diffusers_keys.txt")
    if os.path.exists(saved):
        result(keymap == open(saved).read(), "--print-keymap: the SD 1.x mapping as tools/diffusers_keys.txt has it")
    xlmap, _ = run([mk, "--config", "sdxl", "--print-keymap"])
    result("label_emb.0.0." in xlmap and "add_embedding.linear_1." in xlmap and "text_encoder_2: text_model.encoder.layers.{i}." in xlmap
           and "self_attn.*_proj.weight" in xlmap, "--config sdxl --print-keymap: the SDXL mapping", "%d lines" % xlmap.count("\n"))

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

    if args.sdxl:
        big = os.path.join(work, "sdxl.safetensors")
        t0 = time.time()
        _, err = run([mk, "--config", "sdxl", "-o", big])
        print("   " + err.strip().replace("\n", "\n   "))
        print("   written in %.1f s" % (time.time() - t0))
        check_sdxl_file(big)

    print("\n%s: %d failed" % ("FAILED" if FAILS else "ALL PASSED", len(FAILS)))
    raise SystemExit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
