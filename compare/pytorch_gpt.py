"""A PyTorch twin of microgpt's chapters 04 to 07, written the way a PyTorch user would write it.

Our TypeScript chapters build the GPT from scalar `Value`s and feed a name one token at a time,
keeping earlier keys and values in a KV cache. This file computes the same model with tensors:
every position of a name at once, a causal mask instead of a cache, torch's autograd, and
`torch.optim.Adam`. `deno task compare` runs both on the same weights and names and checks that
losses, gradients and updated weights agree to 1e-10.

It trains as microgpt does: step s on name s, Adam with lr 0.01 decaying linearly over `--steps`,
betas 0.85 and 0.99, eps 1e-8, starting fresh (a checkpoint's saved Adam state is not used).

Nothing here is translated from our code: it is the textbook PyTorch GPT (nanoGPT's shape) cut
down to microgpt's choices: RMSNorm without a gain, no biases, ReLU, one name per step.

Run it on its own, on any model our `deno task train` saved (F64 safetensors are exact, F32 are
rounded), and a file of names to train on, one step each:

    deno task train --steps 100 --out out/model.safetensors --dtype f64
    python3 compare/pytorch_gpt.py out/model.safetensors names.txt --timed-steps 1000

Needs torch and numpy: `apt-get install python3-torch python3-numpy` on Debian and Ubuntu,
`pip install torch numpy` elsewhere.
"""

import argparse
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# JavaScript numbers are float64, so the twin is float64 too: every tensor and parameter
# created below is a double unless it holds token ids.
torch.set_default_dtype(torch.float64)


# --- Loading our weights --------------------------------------------------------------------
# Our files name matrices as in GPT-2 (`wte`, `layer0.attn_wq`, ...) and store them as
# [out][in], which is exactly the layout of `nn.Linear.weight` and `nn.Embedding.weight`.


def load_weights(path):
    """Returns (config, vocabulary, {name: tensor}) from a JSON checkpoint or safetensors file."""
    try:
        return read_weights(path)
    except (json.JSONDecodeError, KeyError, struct.error) as error:
        raise ValueError(f"{path}: not a microgpt checkpoint or safetensors file: {error}")


def read_weights(path):
    if path.endswith(".safetensors"):
        with open(path, "rb") as file:
            data = file.read()
        # safetensors: 8 bytes of header length, a JSON header, then raw little-endian numbers.
        (header_length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + header_length])
        metadata = header.pop("__metadata__", {})
        if metadata.get("format") != "microgpt":
            raise ValueError(f"{path}: no microgpt metadata; export it with deno task train")
        body = data[8 + header_length :]
        numpy_type = {"F64": "<f8", "F32": "<f4"}
        weights = {}
        for name, tensor in header.items():
            begin, end = tensor["data_offsets"]
            array = np.frombuffer(body[begin:end], dtype=numpy_type[tensor["dtype"]])
            weights[name] = torch.from_numpy(array.astype(np.float64).reshape(tensor["shape"]))
        return json.loads(metadata["config"]), json.loads(metadata["vocabulary"]), weights
    with open(path, encoding="utf-8") as file:
        checkpoint = json.load(file)  # Python reads back exactly the doubles JavaScript wrote
    weights = {name: torch.tensor(rows) for name, rows in checkpoint["weights"].items()}
    return checkpoint["config"], checkpoint["vocabulary"], weights


def torch_name(name):
    """Our matrix name as a state dict key: `layer0.attn_wq` -> `layer.0.attn_wq.weight`."""
    if name.startswith("layer"):
        index, rest = name[len("layer") :].split(".", 1)
        return f"layer.{index}.{rest}.weight"
    return f"{name}.weight"


# --- The model --------------------------------------------------------------------------------


def rmsnorm(x):
    """Scales each row to unit root-mean-square. (torch 2.4 has F.rms_norm; Debian's 1.13 not.)"""
    return x * (x.pow(2).mean(dim=-1, keepdim=True) + 1e-5).rsqrt()


class Block(nn.Module):
    """One transformer layer: causal self-attention, then an MLP, each added to the residual."""

    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.attn_wq = nn.Linear(n_embd, n_embd, bias=False)
        self.attn_wk = nn.Linear(n_embd, n_embd, bias=False)
        self.attn_wv = nn.Linear(n_embd, n_embd, bias=False)
        self.attn_wo = nn.Linear(n_embd, n_embd, bias=False)
        self.mlp_fc1 = nn.Linear(n_embd, 4 * n_embd, bias=False)
        self.mlp_fc2 = nn.Linear(4 * n_embd, n_embd, bias=False)

    def attention(self, x):
        T, C = x.shape  # positions, width
        head_dim = C // self.n_head
        # [T, C] -> [n_head, T, head_dim]: each head works on its own slice of the width.
        q, k, v = (
            w(x).view(T, self.n_head, head_dim).transpose(0, 1)
            for w in (self.attn_wq, self.attn_wk, self.attn_wv)
        )
        scores = q @ k.transpose(-2, -1) / math.sqrt(head_dim)  # [n_head, T, T]
        # The causal mask: position t may look at positions 0..t only. A score of -inf
        # becomes a weight of exactly 0 after softmax, so the future contributes nothing.
        future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)
        weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        heads = (weights @ v).transpose(0, 1).reshape(T, C)  # heads side by side again
        return self.attn_wo(heads)

    def forward(self, x):
        x = x + self.attention(rmsnorm(x))
        return x + self.mlp_fc2(F.relu(self.mlp_fc1(rmsnorm(x))))


class GPT(nn.Module):
    """Token ids [T] -> next-token logits [T, vocab_size], all positions in one pass."""

    def __init__(self, vocab_size, n_layer, n_embd, n_head, block_size):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.layer = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, tokens):
        x = self.wte(tokens) + self.wpe(torch.arange(len(tokens)))
        x = rmsnorm(x)
        for block in self.layer:
            x = block(x)
        return self.lm_head(x)


def document_loss(model, tokens):
    """Mean cross-entropy of each next token of [BOS, ...name, BOS] (the first block only)."""
    n = min(model.block_size, len(tokens) - 1)
    return F.cross_entropy(model(tokens[:n]), tokens[1 : n + 1])


# --- Training ---------------------------------------------------------------------------------


def train(model, docs, steps, stop=None, on_step=None):
    """Step s trains on docs[s % len(docs)], learning rate 0.01 * (1 - s / steps), as microgpt.

    torch.optim.Adam is microgpt's Adam exactly, not an approximation: both add eps to the
    bias-corrected root, sqrt(v / (1 - beta2^t)) + eps (torch computes it as
    sqrt(v) / sqrt(1 - beta2^t) + eps, the same number up to rounding), and both divide m by
    1 - beta1^t. LambdaLR multiplies the base rate by 1 - s / steps before step s.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    for step in range(steps if stop is None else stop):
        loss = document_loss(model, docs[step % len(docs)])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if on_step:
            on_step(step, loss.item())  # .grad still holds this step's gradients


# --- Command line -----------------------------------------------------------------------------


def build_model(config, weights):
    shape = (config[key] for key in ("vocabSize", "nLayer", "nEmbd", "nHead", "blockSize"))
    model = GPT(*shape)
    model.load_state_dict({torch_name(name): tensor for name, tensor in weights.items()})
    return model


def main():
    parser = argparse.ArgumentParser(description="Train microgpt's model in PyTorch.")
    parser.add_argument("model", help="a microgpt checkpoint (.json) or safetensors export")
    parser.add_argument("docs", help="a UTF-8 text file, one name per line, in training order")
    parser.add_argument("--steps", type=int, default=1000, help="schedule length (default 1000)")
    parser.add_argument("--timed-steps", type=int, default=0, help="then time this many steps")
    parser.add_argument("--json", action="store_true", help="print every step's numbers as JSON")
    args = parser.parse_args()

    config, vocabulary, weights = load_weights(args.model)
    bos = len(vocabulary)
    ids = {char: i for i, char in enumerate(vocabulary)}
    with open(args.docs, encoding="utf-8") as file:
        names = [line.strip() for line in file if line.strip()]
    if not names:
        raise ValueError(f"{args.docs} has no names; give one name per line")
    unknown = sorted({char for name in names for char in name if char not in ids})
    if unknown:
        raise ValueError(f"{args.docs} has characters outside the model's vocabulary: {unknown}")
    docs = [torch.tensor([bos] + [ids[c] for c in name] + [bos]) for name in names]

    model = build_model(config, weights)
    named = [(name, dict(model.named_parameters())[torch_name(name)]) for name in weights]
    report = {"torch": torch.__version__, "losses": [], "gradients": [], "weights": []}

    def record(step, loss):
        report["losses"].append(loss)
        report["gradients"].append({name: p.grad.tolist() for name, p in named})
        report["weights"].append({name: p.detach().tolist() for name, p in named})
        if not args.json:
            print(f"step {step + 1:4d} | loss {loss:.12f} | {names[step % len(names)]}")

    train(model, docs, args.steps, stop=len(docs), on_step=record)

    if args.timed_steps > 0:
        # A fresh copy of the starting weights, and the same loop with nothing recorded.
        fresh = build_model(config, weights)
        started = time.perf_counter()
        train(fresh, docs, args.timed_steps)
        report["steps_per_second"] = args.timed_steps / (time.perf_counter() - started)
        if not args.json:
            print(f"{report['steps_per_second']:.0f} steps/s over {args.timed_steps} steps")
    if args.json:
        json.dump(report, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, KeyError) as error:  # a missing or foreign file: one line, exit 2
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
