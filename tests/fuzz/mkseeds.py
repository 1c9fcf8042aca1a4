#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/ (run from the
repository root; the seeds are committed, this records how they were made).

The safetensors seeds are mostly headers alone (fuzz_safetensors builds the data around them):
the smallest SD 1.x models the loader accepts, in every layout it reads, and near misses."""
import json, os, struct, sys, zlib

OUT = 'tests/fuzz/corpus'
DT = {'F16': 2, 'F32': 4, 'BF16': 2, 'F64': 8, 'I64': 8}


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8')
    assert len(data) < 65536, (target, name, len(data))
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---------------------------------------------------------------- tensor lists (LDM names)
def norm(t, p, c):
    t.append((p + '.weight', [c])); t.append((p + '.bias', [c]))


def lin(t, p, co, ci, k=0, bias=True):
    t.append((p + '.weight', [co, ci, k, k] if k else [co, ci]))
    if bias: t.append((p + '.bias', [co]))


def unet_res(t, p, ci, co, E):
    norm(t, p + '.in_layers.0', ci); lin(t, p + '.in_layers.2', co, ci, 3); lin(t, p + '.emb_layers.1', co, E)
    norm(t, p + '.out_layers.0', co); lin(t, p + '.out_layers.3', co, co, 3)
    if ci != co: lin(t, p + '.skip_connection', co, ci, 1)


def xformer(t, p, c, depth, ctx):
    norm(t, p + '.norm', c); lin(t, p + '.proj_in', c, c, 1); lin(t, p + '.proj_out', c, c, 1)
    for i in range(depth):
        b = '%s.transformer_blocks.%d' % (p, i)
        for n in ('norm1', 'norm2', 'norm3'): norm(t, b + '.' + n, c)
        for a in ('to_q', 'to_k', 'to_v'): lin(t, b + '.attn1.' + a, c, c, bias=False)
        lin(t, b + '.attn1.to_out.0', c, c)
        lin(t, b + '.attn2.to_q', c, c, bias=False); lin(t, b + '.attn2.to_k', c, ctx, bias=False)
        lin(t, b + '.attn2.to_v', c, ctx, bias=False); lin(t, b + '.attn2.to_out.0', c, c)
        lin(t, b + '.ff.net.0.proj', 8 * c, c); lin(t, b + '.ff.net.2', c, 4 * c)


def unet(ch=32, mult=(1, 1), nres=1, attn=(1, 0), depth=1, ctx=64, E=32):
    P = 'model.diffusion_model.'
    t = []
    lin(t, P + 'time_embed.0', E, ch); lin(t, P + 'time_embed.2', E, E)
    lin(t, P + 'input_blocks.0.0', ch, 4, 3)
    c, skips, idx = ch, [ch], 1
    for lv, m in enumerate(mult):
        for r in range(nres):
            unet_res(t, P + 'input_blocks.%d.0' % idx, c, ch * m, E); c = ch * m
            if attn[lv]: xformer(t, P + 'input_blocks.%d.1' % idx, c, depth, ctx)
            skips.append(c); idx += 1
        if lv != len(mult) - 1:
            lin(t, P + 'input_blocks.%d.0.op' % idx, c, c, 3); skips.append(c); idx += 1
    unet_res(t, P + 'middle_block.0', c, c, E); xformer(t, P + 'middle_block.1', c, depth, ctx)
    unet_res(t, P + 'middle_block.2', c, c, E)
    o = 0
    for lv in reversed(range(len(mult))):
        for r in range(nres + 1):
            co = ch * mult[lv]
            unet_res(t, P + 'output_blocks.%d.0' % o, c + skips.pop(), co, E); c = co
            if attn[lv]: xformer(t, P + 'output_blocks.%d.1' % o, c, depth, ctx)
            if lv != 0 and r == nres: lin(t, P + 'output_blocks.%d.%d.conv' % (o, 2 if attn[lv] else 1), c, c, 3)
            o += 1
    norm(t, P + 'out.0', c); lin(t, P + 'out.2', 4, c, 3)
    return t


def vae_res(t, p, ci, co):
    norm(t, p + '.norm1', ci); lin(t, p + '.conv1', co, ci, 3); norm(t, p + '.norm2', co); lin(t, p + '.conv2', co, co, 3)
    if ci != co: lin(t, p + '.nin_shortcut', co, ci, 1)


def vattn(t, p, c, linear=False):
    norm(t, p + '.norm', c)
    for n in ('q', 'k', 'v', 'proj_out'): lin(t, p + '.' + n, c, c, 0 if linear else 1)


def vae(ch=32, mult=(1, 1, 1, 1), nres=1, z=4, prefix='first_stage_model.'):
    P = prefix
    t = []
    lin(t, P + 'encoder.conv_in', ch, 3, 3)
    c = ch
    for l, m in enumerate(mult):
        for r in range(nres):
            vae_res(t, P + 'encoder.down.%d.block.%d' % (l, r), c, ch * m); c = ch * m
        if l != len(mult) - 1: lin(t, P + 'encoder.down.%d.downsample.conv' % l, c, c, 3)
    vae_res(t, P + 'encoder.mid.block_1', c, c); vattn(t, P + 'encoder.mid.attn_1', c); vae_res(t, P + 'encoder.mid.block_2', c, c)
    norm(t, P + 'encoder.norm_out', c); lin(t, P + 'encoder.conv_out', 2 * z, c, 3)
    lin(t, P + 'quant_conv', 2 * z, 2 * z, 1); lin(t, P + 'post_quant_conv', z, z, 1)
    c = ch * mult[-1]
    lin(t, P + 'decoder.conv_in', c, z, 3)
    vae_res(t, P + 'decoder.mid.block_1', c, c); vattn(t, P + 'decoder.mid.attn_1', c); vae_res(t, P + 'decoder.mid.block_2', c, c)
    for l in reversed(range(len(mult))):
        for r in range(nres + 1):
            vae_res(t, P + 'decoder.up.%d.block.%d' % (l, r), c, ch * mult[l]); c = ch * mult[l]
        if l != 0: lin(t, P + 'decoder.up.%d.upsample.conv' % l, c, c, 3)
    norm(t, P + 'decoder.norm_out', c); lin(t, P + 'decoder.conv_out', 3, c, 3)
    return t


def clip(D=64, layers=1, mlp=64, vocab=8, prefix='cond_stage_model.transformer.text_model.'):
    P = prefix
    t = [(P + 'embeddings.token_embedding.weight', [vocab, D]), (P + 'embeddings.position_embedding.weight', [77, D])]
    for i in range(layers):
        p = P + 'encoder.layers.%d.' % i
        norm(t, p + 'layer_norm1', D); norm(t, p + 'layer_norm2', D)
        for n in ('q_proj', 'k_proj', 'v_proj', 'out_proj'): lin(t, p + 'self_attn.' + n, D, D)
        lin(t, p + 'mlp.fc1', mlp, D); lin(t, p + 'mlp.fc2', D, mlp)
    norm(t, P + 'final_layer_norm', D)
    return t


# ---------------------------------------------------------------- other layouts
def unet_diffusers(t, nres=1, up_attn=(0, 1)):
    """LDM UNet names -> diffusers (the inverse of sd.h's sd__ldm_name for this small layout)"""
    out = []
    P = 'model.diffusion_model.'
    res = {'in_layers.0': 'norm1', 'in_layers.2': 'conv1', 'emb_layers.1': 'time_emb_proj', 'out_layers.0': 'norm2',
           'out_layers.3': 'conv2', 'skip_connection': 'conv_shortcut'}
    def resn(rest):
        for a, b in res.items():
            if rest.startswith(a + '.'): return b + rest[len(a):]
        raise ValueError(rest)
    for name, shape in t:
        n = name[len(P):]
        parts = n.split('.')
        fixed = {'time_embed.0.': 'time_embedding.linear_1.', 'time_embed.2.': 'time_embedding.linear_2.',
                 'input_blocks.0.0.': 'conv_in.', 'out.0.': 'conv_norm_out.', 'out.2.': 'conv_out.'}
        new = None
        for a, b in fixed.items():
            if n.startswith(a): new = b + n[len(a):]
        if new is None and parts[0] == 'input_blocks':
            k = int(parts[1]) - 1
            lvl, j = divmod(k, nres + 1)
            rest = '.'.join(parts[3:])
            if parts[2] == '0' and parts[3] == 'op': new = 'down_blocks.%d.downsamplers.0.conv.%s' % (lvl, '.'.join(parts[4:]))
            elif parts[2] == '0': new = 'down_blocks.%d.resnets.%d.%s' % (lvl, j, resn(rest))
            else: new = 'down_blocks.%d.attentions.%d.%s' % (lvl, j, rest)
        if new is None and parts[0] == 'middle_block':
            rest = '.'.join(parts[2:])
            new = {'0': 'mid_block.resnets.0.' + (resn(rest) if parts[1] != '1' else ''),
                   '1': 'mid_block.attentions.0.' + rest, '2': 'mid_block.resnets.1.' + (resn(rest) if parts[1] != '1' else '')}[parts[1]]
        if new is None and parts[0] == 'output_blocks':
            i, j = divmod(int(parts[1]), nres + 1)
            rest = '.'.join(parts[3:])
            if parts[3] == 'conv' and parts[2] != '0': new = 'up_blocks.%d.upsamplers.0.conv.%s' % (i, '.'.join(parts[4:]))
            elif parts[2] == '0': new = 'up_blocks.%d.resnets.%d.%s' % (i, j, resn(rest))
            else: new = 'up_blocks.%d.attentions.%d.%s' % (i, j, rest)
        out.append((new, shape))
    return out


def vae_diffusers(t, levels=4):
    P = 'first_stage_model.'
    out = []
    for name, shape in t:
        n = name[len(P):]
        n = n.replace('.nin_shortcut.', '.conv_shortcut.').replace('norm_out.', 'conv_norm_out.')
        n = n.replace('mid.block_1.', 'mid_block.resnets.0.').replace('mid.block_2.', 'mid_block.resnets.1.')
        for a, b in (('norm.', 'group_norm.'), ('q.', 'to_q.'), ('k.', 'to_k.'), ('v.', 'to_v.'), ('proj_out.', 'to_out.0.')):
            n = n.replace('mid.attn_1.' + a, 'mid_block.attentions.0.' + b)
        p = n.split('.')
        if p[0] == 'encoder' and p[1] == 'down':
            n = 'encoder.down_blocks.%s.' % p[2] + ('resnets.%s.' % p[4] + '.'.join(p[5:]) if p[3] == 'block' else 'downsamplers.0.conv.' + '.'.join(p[5:]))
        elif p[0] == 'decoder' and p[1] == 'up':
            i = levels - 1 - int(p[2])
            n = 'decoder.up_blocks.%d.' % i + ('resnets.%s.' % p[4] + '.'.join(p[5:]) if p[3] == 'block' else 'upsamplers.0.conv.' + '.'.join(p[5:]))
        if len(shape) == 4 and 'mid_block.attentions' in n: shape = shape[:2]   # diffusers' Linear projections
        out.append((n, shape))
    return out


def header(tensors, dtype='F16', meta=True, dtypes=None):
    h = {}
    if meta: h['__metadata__'] = {'format': 'pt'}
    at = 0
    for i, (n, s) in enumerate(tensors):
        dt = dtypes[i % len(dtypes)] if dtypes else dtype
        size = DT[dt]
        for d in s: size *= d
        h[n] = {'dtype': dt, 'shape': s, 'data_offsets': [at, at + size]}
        at += size
    return json.dumps(h, separators=(',', ':')).encode(), at


def st_header(flags, tensors, **kw):
    return bytes([flags]) + header(tensors, **kw)[0]


def st_file(flags, tensors, dtype='F16', fill=b'\x66\x2e'):
    h, n = header(tensors, dtype)
    data = (fill * (n // len(fill) + 1))[:n]
    return bytes([flags]) + struct.pack('<Q', len(h)) + h + data


# flags: bit0 raw, bit1 pattern data, bit2 run stages, bit3 low memory, bit4 reference, bits5-6 latent-1, bit7 clip skip 2
def safetensors():
    T = 'safetensors'
    full = unet() + vae() + clip()
    put(T, 'full_f16', st_header(0x06, full))
    put(T, 'full_f32_hw2', st_header(0x06 | 0x20, full, dtype='F32'))
    put(T, 'full_bf16_lowmem', st_header(0x0E, full, dtype='BF16'))
    put(T, 'full_mixed_reference', st_header(0x16, full, dtypes=['F16', 'F32', 'BF16', 'F64']))
    put(T, 'full_zero_data', st_header(0x04, full))
    put(T, 'full_no_stages', st_header(0x02, full, meta=False))
    put(T, 'unet_only', st_header(0x06, unet()))
    put(T, 'unet_3_levels_depth_2', st_header(0x26, unet(mult=(1, 2, 2), nres=1, attn=(1, 1, 0), depth=2, ctx=64), dtype='F16'))
    put(T, 'vae_only', st_header(0x06, vae()))
    put(T, 'vae_only_no_prefix', st_header(0x06, vae(prefix='')))
    put(T, 'text_only_2_layers', st_header(0x86, clip(layers=2, mlp=128, vocab=50)))
    put(T, 'diffusers_unet', st_header(0x06, unet_diffusers(unet())))
    put(T, 'diffusers_vae', st_header(0x06, vae_diffusers(vae())))
    put(T, 'transformers_text', st_header(0x06, clip(prefix='text_model.')))
    # the other families: the names sd.h recognises and refuses
    put(T, 'sdxl', st_header(0x00, [('conditioner.embedders.0.transformer.text_model.final_layer_norm.weight', [64]),
                                    ('model.diffusion_model.label_emb.0.0.weight', [32, 64])]))
    put(T, 'sd2', st_header(0x00, [('cond_stage_model.model.ln_final.weight', [64]),
                                   ('model.diffusion_model.input_blocks.1.1.proj_in.weight', [32, 32])]))
    put(T, 'inpainting', st_header(0x00, [(n, [32, 9, 3, 3] if n.endswith('input_blocks.0.0.weight') else s) for n, s in unet()]))
    # malformed and odd headers
    for i, h in enumerate([
            b'{}', b'{"__metadata__":{"a":"b","c":"\\u00e9\\ud83d\\ude00"}}',
            b'{"x":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]}}',
            b'{"x":{"dtype":"F16","shape":[],"data_offsets":[0,2]},"y":{"dtype":"I64","shape":[1],"data_offsets":[2,10]}}',
            b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
            b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
            b'{"model.diffusion_model.input_blocks.0.0.weight":{"dtype":"F16","shape":[32,4,3,3],"data_offsets":[0,2304]},'
            b'"model.diffusion_model.time_embed.0.weight":{"dtype":"F16","shape":[32,32],"data_offsets":[2304,4352]}}',
            b'{"__metadata__":{"n":[1,2.5e3,-0,true,false,null,{"x":[[[]]]}]},"t":{"dtype":"F64","shape":[1,1,1,1,1,1,1,1],"data_offsets":[0,8],"extra":"\\"\\\\\\/\\b\\f\\n\\r\\t"}}',
    ]):
        put(T, 'header_%d' % i, b'\x02' + h)
    # whole files (bit 0): a small complete text encoder, and broken starts
    put(T, 'file_text_encoder', st_file(0x07, clip(D=64, layers=1, mlp=16, vocab=4)))
    h = b'{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
    put(T, 'file_small', b'\x01' + struct.pack('<Q', len(h)) + h + struct.pack('<2f', 1.5, -2.0))
    put(T, 'file_truncated', b'\x01' + struct.pack('<Q', len(h) + 100) + h)
    put(T, 'file_zip', b'\x01PK\x03\x04' + b'\0' * 30)
    put(T, 'file_gguf', b'\x01GGUF\x03\0\0\0' + b'\0' * 16)
    put(T, 'file_short', b'\x01\x02\0\0')


def tokenizer():
    T = 'tokenizer'
    for i, p in enumerate([
            'a lighthouse at dawn, oil painting', 'A Photo of an ASTRONAUT riding a horse on MARS, 8k, highly detailed',
            'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \u2014 \u201cquoted\u201d \u2018single\u2019',
            '\u732b\u306e\u5199\u771f, \u4e00\u53ea\u732b, \uace0\uc591\uc774 \u0441\u043e\u0431\u0430\u043a\u0430 \u03a3\u039f\u03a6\u039f\u03a3',
            '\U0001f431\U0001f436\U0001f600 emoji \u2764\ufe0f \U0001f1fa\U0001f1f8 \U0001f468\u200d\U0001f469\u200d\U0001f467',
            '&amp; &lt;b&gt; &#39;quoted&#x27; &eacute; &notin &copy2024 &#0; &#x110000; &NotEqualTilde;',
            "it's they're we've I'm you'll he'd don't <|startoftext|>x<|endoftext|>",
            '\ufb01 \ufb03 \u0132 \uff21\uff22 \u2460 \u00bd x\u0301 \u1e9b\u0323 \u0130stanbul \u039f\u0394\u039f\u03a3 \uac00\u11a8',
            '  tabs\tand\nnewlines\r\n and\u00a0nbsp\u3000ideographic   ',
            '(masterpiece:1.2), [bad hands], {{best quality}}, 1girl, 123456789, 3.14',
            'word ' * 200, 'x' * 500, '\u00e9' * 300,
    ]):
        put(T, 'prompt_%02d' % i, p)
    put(T, 'invalid_utf8', b'\xff\xfe abc \xc3 \xe2\x82 \xf0\x9f\x98 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80 \x80\x80 end')
    put(T, 'c1_controls', b'\xc2\x80\xc2\x93\xc2\x94 smart \xc2\x91quotes\xc2\x92 \x01\x02\x7f\x1b[0m')
    put(T, 'nul_inside', b'before\0after')


def merges():
    T = 'merges'
    put(T, 'small', '#version: 0.2\nh e\nl l\nhe ll\nhell o</w>\nw o\nr l\nwo rl\nworl d</w>\na b\n')
    put(T, 'crlf_trailing_blank', '#version: 0.2\r\ni n\r\nt h\r\na n\r\n\r\n\n  \n')
    put(T, 'bytes_symbols', '#version: 0.2\n\u00c3 \u00a9\n\u00c3\u00a9 </w>\n\u0120 a\n\u00e2 \u0122\n\u0100 \u0101</w>\n')
    put(T, 'duplicate_pairs', '#version: 0.2\na b\na b\nab c\nab c</w>\na bc\n')
    put(T, 'errors_empty_line', '#version: 0.2\na b\n\nc d\n')
    put(T, 'errors_unknown', '#version: 0.2\nab c\n')
    put(T, 'errors_three', '#version: 0.2\na b c\n')
    put(T, 'no_version', 'a b\n')
    real = '../shared/clip-vocab/merges.txt'
    if os.path.exists(real):
        with open(real, encoding='utf-8') as f:
            lines = f.read().split('\n')
        put(T, 'clip_first_2000', '\n'.join(lines[:2000]) + '\n')
    tiny = 'build/tiny-merges.txt'
    if os.path.exists(tiny):
        with open(tiny, 'rb') as f:
            put(T, 'mkmodel_vocab', f.read())


def npy_bytes(descr, shape, data, major=1, fortran=False, pad=True):
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, 'True' if fortran else 'False',
                                                            '(' + ''.join('%d, ' % s for s in shape).rstrip(' ') + ')' if len(shape) != 1 else '(%d,)' % shape[0])
    hl = 10 if major == 1 else 12
    h = d.encode('latin-1')
    if pad: h += b' ' * ((64 - (hl + len(h) + 1) % 64) % 64)
    h += b'\n'
    return b'\x93NUMPY' + bytes([major, 0]) + (struct.pack('<H', len(h)) if major == 1 else struct.pack('<I', len(h))) + h + data


def npy():
    T = 'npy'
    put(T, 'f4_1x4x8x8', npy_bytes('<f4', (1, 4, 8, 8), struct.pack('<256f', *[i * 0.25 - 3 for i in range(256)])))
    put(T, 'f8_big_endian', npy_bytes('>f8', (3,), struct.pack('>3d', 1.0, -2.5, 1e300)))
    put(T, 'f2', npy_bytes('<f2', (2, 2), struct.pack('<4H', 0x3C00, 0x7C00, 0xFC00, 0x0001)))
    put(T, 'u1_hwc', npy_bytes('|u1', (4, 4, 3), bytes(range(48))))
    put(T, 'i8_scalar', npy_bytes('<i8', (), struct.pack('<q', -5)))
    put(T, 'i2_i4', npy_bytes('<i2', (3,), struct.pack('<3h', -1, 2, -32768)))
    put(T, 'u8_v2', npy_bytes('<u8', (2,), struct.pack('<2Q', 1, 2 ** 64 - 1), major=2))
    put(T, 'b1_v3', npy_bytes('|b1', (5,), b'\0\1\0\1\1', major=3))
    put(T, 'empty_dim', npy_bytes('<f4', (0, 7), b''))
    put(T, 'fortran', npy_bytes('<f4', (2, 2), b'\0' * 16, fortran=True))
    put(T, 'truncated', npy_bytes('<f4', (100,), b'\0' * 12))
    put(T, 'double_quotes', b'\x93NUMPY\x01\x00' + struct.pack('<H', 60) + b'{"descr": "<f4", "fortran_order": False, "shape": (1,)}'.ljust(59) + b'\n' + b'\0\0\x80\x3f')


def png_chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)


def png_make(w, h, ctype, depth, rows, extra=b'', interlace=0):
    raw = b''.join(b'\0' + r for r in rows)
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, interlace)) + extra +
            png_chunk(b'IDAT', zlib.compress(raw, 9)) + png_chunk(b'IEND', b''))


def png():
    T = 'png'
    src = 'tests/data/png'
    names = sorted(os.listdir(src)) if os.path.isdir(src) else []
    k = 0
    for n in names:
        if not n.endswith('.png'): continue
        with open(os.path.join(src, n), 'rb') as f:
            data = f.read()
        flags = (k % 4) | (8 if k % 2 else 0) | ((k % 8) << 4)   # channels, texts, pixel limit vary
        put(T, n[:-4], bytes([flags]) + data)
        k += 1
    # A1111-style parameters text, iTXt (compressed and not), zTXt
    params = b'parameters\0a cat\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512'
    extra = (png_chunk(b'tEXt', params) + png_chunk(b'zTXt', b'Comment\0\0' + zlib.compress('caf\u00e9'.encode('latin-1'))) +
             png_chunk(b'iTXt', b'Title\0\x01\0en\0\0' + zlib.compress('\u732b \U0001f431'.encode())) +
             png_chunk(b'iTXt', b'Author\0\0\0\0\0' + 'J\u00f6rg'.encode()))
    put(T, 'texts_rgb', bytes([0x0E | 0x40]) + png_make(3, 2, 2, 8, [bytes(range(9)), bytes(range(9, 18))], extra))
    put(T, 'palette_2bit', bytes([0x0C | 0x40]) + png_make(5, 3, 3, 2, [b'\x1b\x00', b'\xe4\x40', b'\x00\xff'],
                                                           png_chunk(b'PLTE', bytes(range(12)))))
    put(T, 'gray_alpha_16_interlaced', bytes([0x07 | 0x40]) + png_make(9, 9, 4, 16, [bytes(36)] * 9, interlace=0))


def cli():
    T = 'cli'
    for i, a in enumerate([
            ['-p', 'a lighthouse at dawn', '-m', 'model.safetensors', '-W', '768', '-H', '512', '--steps', '30', '-s', '42'],
            ['img2img', '-i', 'in.png', '--strength', '0.6', '--cfg-scale', '7.5', '--sampler', 'ddim', '--eta', '0.3', '-p', 'x'],
            ['txt2img', '--prompt=hello', '--negative-prompt=blurry', '--seed=18446744073709551615', '--clip-skip=2', '-q'],
            ['info', 'model.safetensors'], ['tokenize', '--vocab', 'merges.txt', '-p', 'caf\u00e9 \U0001f431'],
            ['randn', '--seed', '7', '--shape', '1,4,64,64', '-o', 'out.npy'], ['schedule', '--sampler', 'euler', '--steps', '1000'],
            ['unet', '-m', 'm', '--x', 'x.npy', '--t', '999', '--context', 'c.npy', '-o', 'o.npy', '--gpu'],
            ['vae-decode', '-m', 'm', '--z', 'z.npy', '-o', 'o.npy', '--low-memory', '--reference'],
            ['vae-encode', '-m', 'm', '--image', 'i.npy', '-o', 'mean.npy', '--logvar', 'lv.npy', '--gpu-fp32'],
            ['text', '-m', 'm', '--vocab', 'v', '-p', 'p', '--clip-skip', '12', '-o', 'o.npy', '-t', '4'],
            ['--preview', 'dir', '--preview-every', '5', '--preview-decode', '--latent-out', 'l.npy', '--image-out', 'i.npy'],
            ['-W', '100'], ['--steps', '0'], ['--seed', '-1'], ['--cfg', 'nan'], ['--bogus'], ['-p'], ['-h'], ['bogus-command'],
            ['--from', 'tests/data/png/text.png', '-p', 'override'], ['--from=tests/data/png/c0d01.png'],
            ['--width=' + 'x' * 70],
    ]):
        put(T, 'args_%02d' % i, '\0'.join(a))
    for i, t in enumerate([
            'a cat, masterpiece\nNegative prompt: blurry, lowres\nSteps: 30, Sampler: DDIM, CFG scale: 7.5, Seed: 123456789, Size: 640x512, '
            'Model: sd15, Clip skip: 2, Denoising strength: 0.5, Eta: 0.2',
            'only a prompt\nSteps: 5000, Sampler: "Euler", Size: 8x',
            '\nSteps: ', 'x\nNegative prompt: \nSteps: 1, Seed: 18446744073709551616, CFG scale: 1e999',
    ]):
        put(T, 'parameters_%d' % i, b'\x01' + t.encode())


def prompt():
    """A1111's and ComfyUI's syntax (fuzz_prompt reads the first 4 KB of each seed three ways and
    tokenizes the first 2 KB): the sd1-prompts fixture prompts when ../shared is there, then the
    parsers' corners"""
    T = 'prompt'
    cases = '../shared/fixtures/sd1-prompts/cases.json'
    if os.path.exists(cases):
        with open(cases, encoding='utf-8') as f:
            cs = json.load(f)['cases']
        seen = set()
        for stage in ('text', 'pipeline'):
            for c in cs.get(stage, []):
                for key, suffix in (('prompt', ''), ('text_after_tags', '_no_tags'), ('negative', '_negative')):
                    p = c.get(key)
                    if p and p not in seen:
                        seen.add(p)
                        put(T, 'fixture_%s_%s%s' % (stage, c['name'], suffix), p)
    for i, p in enumerate([
            # A1111: weights, nesting, escapes, BREAK, what does not read as a weight
            'a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).', '(unnecessary)(parens), \\(literal\\]',
            'a ((red)) car, [[wet]] road, (sharp focus:1.4), [blurry:0.5], ( sofa : 1.2 ), (x:+1.5) (y:-1) (z:.5)',
            'a BREAK b, BREAK, (a BREAK b), [BREAK], aBREAK b, a_BREAK, caf\u00e9BREAK, break, BREAK\n\tBREAK',
            '(x:1.2.3) (x:abc) (x:1e3) (x:+) (:1.5) (a:b:1.5) x:1.5) y', 'a (forest [with (tall trees', 'a [b (c] d) e ))) ]]] (((',
            '\\(\\)\\[\\]\\\\ \\x \\: a\\ (a\\)b) \\\\(x)',
            # ComfyUI: absolute weights, Python float syntax, escapes, embeddings
            '(a (b:2) c) ((x:1.5)) ((x) (x: 1.5 ) (x:1_0) (x:-.5E-1) (x:inf) (x:nan) (x:-Infinity) (x:0x10) (x:1e)',
            'a \\(literal\\) and (nested (deep:1.5) text:0.8), (x\\):1.5) (x:1.5\\)) a) (b)',
            'a painting, embedding:fixstyle, (embedding:cat-toy:1.2) toy embedding:big.safetensors, embedding:nothing,',
            'embedding:fixstyle\nembedding:a embedding: embedding:,fixstyle,, embedding:cat-toy.pt',
            # embedding triggers as A1111 finds them (the fuzzer loads fixstyle, cat-toy, a, big)
            'a fixstyle cat-toy, fixstyles cat - toy (big:1.2) [a a a] ' + 'big ' * 20,
            # chunks: commas near the 75th token, BREAK at the edges, large groups
            ', '.join(['word%d' % i for i in range(70)]), 'a, ' * 60 + 'b ' * 30, 'BREAK ' + 'x ' * 80 + 'BREAK',
            'supercalifragilisticexpialidocious' * 8 + ' embedding:big ' * 12,
            # unicode and bytes around the syntax
            '\u732b (\u732b:1.2) [\u00e9] \u3000BREAK\u00a0 \u2028 (x:\u0663.\u0665) \x1cBREAK\x1d',
    ]):
        put(T, 'syntax_%02d' % i, p)
    put(T, 'nested_1000', '(' * 1000 + 'x' + ')' * 1000)
    put(T, 'nested_square_1000', '[' * 1000 + 'x' + ']' * 1000)
    put(T, 'unclosed_2000', '(a' * 1000 + '[b' * 1000)
    put(T, 'closing_strays', ')]' * 1000 + 'x')
    put(T, 'long_prompt', ('a fairy in the space near saturn, fighting a giant robot, (highly detailed:1.2), ' * 60)[:4000])
    put(T, 'long_comfy_deep', '(' * 2000 + 'x:1.5' + ')' * 2000)
    put(T, 'invalid_utf8', b'(\xff\xfe:1.2) [\xc3] \xe2\x82BREAK\xc0\xaf (x:1\xed\xa0\x80) embedding:\xf4\x90\x80\x80')
    put(T, 'nul_inside', b'(a:1.5) BREAK\0(b:2)')


if __name__ == '__main__':
    for f in (safetensors, tokenizer, merges, npy, png, cli, prompt):
        if len(sys.argv) < 2 or f.__name__ in sys.argv[1:]:
            f()
