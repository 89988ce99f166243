"""GPT-2's forward pass in plain PyTorch, the twin that checks chapter 14's.

Written from the GPT-2 paper (a pre-LayerNorm transformer: each block adds attention of
LayerNorm(x), then an MLP of LayerNorm(x), to the residual stream; a last LayerNorm before the
output layer, which reuses the token embedding) and from the layout of Hugging Face's
`model.safetensors` (Conv1D weights stored [input][output], q, k, v side by side in c_attn).
Nothing is translated from our TypeScript, and no transformers or safetensors package is used:
the file format is 8 bytes of header length, a JSON header and raw little-endian floats.

Computes in float64 from the float32 weights, so its numbers are the exact reference for ours.

    python3 compare/pytorch_gpt2.py MODEL_DIR --ids 15496,995 --greedy 5 --logits out.f64

prints one JSON line {"positions": P, "vocab": V, "greedy": [ids]}: the greedy continuation
of `--greedy` tokens after the prompt (each step recomputes the whole sequence, no cache), and
writes the prompt's logits, P rows of V float64, little-endian, to `--logits`.

Needs torch and numpy (`apt-get install python3-torch python3-numpy`).
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    """Every tensor of a safetensors file, by name, as float64 torch tensors."""
    with open(path, "rb") as file:
        (header_length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(header_length))
        start = 8 + header_length
        tensors = {}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            if entry["dtype"] != "F32":
                raise ValueError(f"{name}: dtype {entry['dtype']}, expected F32")
            begin, end = entry["data_offsets"]
            file.seek(start + begin)
            array = np.frombuffer(file.read(end - begin), dtype="<f4").reshape(entry["shape"])
            tensors[name.removeprefix("transformer.")] = torch.from_numpy(array.astype(np.float64))
    return tensors


def layer_norm(x, weight, bias, eps):
    return F.layer_norm(x, (x.shape[-1],), weight, bias, eps)


def attention(x, w, n_head):
    """Causal multi-head self-attention over a (T, C) sequence; w holds c_attn and c_proj."""
    T, C = x.shape
    head = C // n_head
    q, k, v = (x @ w["c_attn.weight"] + w["c_attn.bias"]).split(C, dim=1)
    # (T, C) -> (heads, T, head): each head sees its own slice of the channels.
    q, k, v = (t.view(T, n_head, head).transpose(0, 1) for t in (q, k, v))
    scores = (q @ k.transpose(1, 2)) / math.sqrt(head)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    weights = F.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
    mixed = (weights @ v).transpose(0, 1).reshape(T, C)
    return mixed @ w["c_proj.weight"] + w["c_proj.bias"]


def mlp(x, w):
    hidden = F.gelu(x @ w["c_fc.weight"] + w["c_fc.bias"], approximate="tanh")
    return hidden @ w["c_proj.weight"] + w["c_proj.bias"]


def part(tensors, prefix):
    """The tensors under `prefix`, named without it: part(t, "h.0.ln_1.")["weight"]."""
    return {name[len(prefix):]: value for name, value in tensors.items() if name.startswith(prefix)}


def gpt2_logits(tensors, config, ids):
    """The logits (T, vocab) of every position of a sequence of token ids."""
    eps = config.get("layer_norm_epsilon", 1e-5)
    positions = torch.arange(len(ids))
    x = tensors["wte.weight"][torch.tensor(ids)] + tensors["wpe.weight"][positions]
    for layer in range(config["n_layer"]):
        ln_1, attn, ln_2, feed = (part(tensors, f"h.{layer}.{name}.") for name in
                                  ("ln_1", "attn", "ln_2", "mlp"))
        x = x + attention(layer_norm(x, ln_1["weight"], ln_1["bias"], eps), attn, config["n_head"])
        x = x + mlp(layer_norm(x, ln_2["weight"], ln_2["bias"], eps), feed)
    x = layer_norm(x, tensors["ln_f.weight"], tensors["ln_f.bias"], eps)
    return x @ tensors["wte.weight"].T  # the output layer is the token embedding, tied


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", help="folder with model.safetensors and config.json")
    parser.add_argument("--ids", required=True, help="prompt token ids, comma-separated")
    parser.add_argument("--greedy", type=int, default=0, help="tokens to continue greedily")
    parser.add_argument("--logits", help="write the prompt's logits here (float64, LE)")
    args = parser.parse_args()
    with open(os.path.join(args.model_dir, "config.json"), encoding="utf-8") as file:
        config = json.load(file)
    tensors = read_safetensors(os.path.join(args.model_dir, "model.safetensors"))
    ids = [int(token) for token in args.ids.split(",")]
    with torch.no_grad():
        logits = gpt2_logits(tensors, config, ids)
        if args.logits:
            with open(args.logits, "wb") as file:
                file.write(logits.numpy().astype("<f8").tobytes())
        sequence = list(ids)
        for _ in range(args.greedy):
            step = logits if len(sequence) == len(ids) else gpt2_logits(tensors, config, sequence)
            sequence.append(int(torch.argmax(step[-1])))
    result = {"positions": len(ids), "vocab": logits.shape[1], "greedy": sequence[len(ids):]}
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, KeyError) as error:
        print(f"pytorch_gpt2: error: {error}", file=sys.stderr)
        sys.exit(2)
