#!/usr/bin/env python3
"""Load a dualssl safetensors export into a network built the reference's way.

Usage: load_statedict.py NET.safetensors [CHECK.json] [NET2.safetensors CHECK2.json ...]
       load_statedict.py --reference DEPTH CHILDREN HID SEED OUT.safetensors CHECK.json

Needs only the standard library and torch (torch 1.13 has no safetensors
module, so the file is parsed here: an 8-byte little-endian header length,
a JSON header, then the raw tensors). The tree network mirrors the
reference implementation of the HLTM experiment: a ModuleDict `nets` of
nn.Linear, one per latent node, named by the node's path from the root
("s", "s0", "s01", ...); a lowest latent reads its leaf children, a higher
node the ReLU of its children's outputs concatenated in child order, and
the root's output is the embedding f. An MLP is a ModuleList `layers`.

With CHECK.json ({"x": [[...]], "f": [[...]], "pre": {"s0": [[...]], ...}}),
the script runs the network on x and compares the output and every node's
pre-activation with the values given; it prints the largest difference and
exits 1 if it exceeds 1e-6.

--reference goes the other way, as a PyTorch run would start: it builds the
tree network with torch's own initialisation (torch.manual_seed(SEED)),
saves its state dict as float32 safetensors (no dualssl metadata) and
writes CHECK.json with a few 0/1 inputs and the network's outputs (computed
in float64 from those float32 weights), for dualssl-torch import and
ssl-train --init to reproduce.
"""
import json
import struct
import sys

import torch
from torch import nn


def read_safetensors(path):
    """Return ({name: tensor}, metadata) of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    dtypes = {"F64": torch.float64, "F32": torch.float32}
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(body[start:end]), dtype=dtypes[info["dtype"]])
        tensors[name] = flat.reshape(info["shape"])
    return tensors, meta


class TreeNet(nn.Module):
    """The reference's tree network: one nn.Linear per latent node."""

    def __init__(self, depth, children, hid):
        super().__init__()
        self.depth, self.children_, self.hid = depth, children, hid
        self.nets = nn.ModuleDict()

        def build(name, level):
            if level == depth - 1:
                fan_in = children
            else:
                fan_in = children * hid
                for k in range(children):
                    build(name + str(k), level + 1)
            self.nets[name] = nn.Linear(fan_in, hid)

        build("s", 0)
        self.pre = {}

    def forward(self, x):
        c = self.children_

        def node(name, level, index):
            if level == self.depth - 1:
                inp = torch.relu(x[:, index * c:(index + 1) * c])
            else:
                inp = torch.cat([torch.relu(node(name + str(k), level + 1, index * c + k))
                                 for k in range(c)], dim=1)
            h = self.nets[name](inp)
            self.pre[name] = h
            return h

        self.pre = {}
        return node("s", 0, 0)


class MLP(nn.Module):
    """Fully connected ReLU layers; the last layer's output is f."""

    def __init__(self, shapes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(i, o) for o, i in shapes)
        self.pre = {}

    def forward(self, x):
        self.pre = {}
        for l, layer in enumerate(self.layers):
            if l > 0:
                x = torch.relu(x)
            x = layer(x)
            self.pre["layers.%d" % l] = x
        return x


def build(tensors):
    """Build the network the names describe."""
    if "nets.s.weight" in tensors:
        paths = {name.split(".")[1] for name in tensors}
        depth = max(len(p) for p in paths)
        hid = tensors["nets.s.weight"].shape[0]
        if depth == 1:
            children = tensors["nets.s.weight"].shape[1]
        else:
            children = 1 + max(int(d) for p in paths for d in p[1:])
        return TreeNet(depth, children, hid)
    shapes = []
    while "layers.%d.weight" % len(shapes) in tensors:
        shapes.append(tuple(tensors["layers.%d.weight" % len(shapes)].shape))
    return MLP(shapes)


def write_safetensors(path, tensors, meta):
    """Write {name: tensor} as safetensors (little-endian, names sorted)."""
    dtypes = {torch.float64: "F64", torch.float32: "F32"}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        b = t.numpy().tobytes() if hasattr(t, "numpy") else bytes(t.untyped_storage())
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if meta:
        header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def reference(depth, children, hid, seed, out_path, check_path):
    """Save a torch-initialised tree network and its outputs on a few inputs."""
    torch.manual_seed(seed)
    net = TreeNet(depth, children, hid)  # float32, torch's nn.Linear initialisation
    write_safetensors(out_path, net.state_dict(), {"format": "pt"})
    leaves = children ** depth
    x = torch.randint(0, 2, (6, leaves)).double()
    with torch.no_grad():
        f = net.double()(x)
    with open(check_path, "w") as fh:
        json.dump({"x": x.tolist(), "f": f.tolist()}, fh)
    return 0


def check_one(net_path, check_path):
    """Load one file; with a check file, compare; return the largest difference."""
    tensors, meta = read_safetensors(net_path)
    net = build(tensors).double()
    net.load_state_dict(tensors, strict=True)
    print("%s: loaded %d tensors (%s); metadata keys: %s"
          % (net_path, len(tensors), type(net).__name__, ", ".join(sorted(meta))))
    if check_path is None:
        return 0.0
    with open(check_path) as f:
        check = json.load(f)
    x = torch.tensor(check["x"], dtype=torch.float64)
    with torch.no_grad():
        out = net(x)
        worst = (out - torch.tensor(check["f"], dtype=torch.float64)).abs().max().item()
        for name, want in check.get("pre", {}).items():
            got = net.pre[name]
            worst = max(worst, (got - torch.tensor(want, dtype=torch.float64)).abs().max().item())
    print("%s: max |difference| over %d samples: %.3g" % (net_path, x.shape[0], worst))
    return worst


def main():
    args = sys.argv[1:]
    if args and args[0] == "--reference":
        d, c, h, seed = (int(v) for v in args[1:5])
        return reference(d, c, h, seed, args[5], args[6])
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    worst = 0.0
    for i in range(0, len(args), 2):
        worst = max(worst, check_one(args[i], args[i + 1] if i + 1 < len(args) else None))
    return 0 if worst <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
