#!/usr/bin/env python3
"""The reference HLTM experiment in vectorised PyTorch (CPU, float32), as a
speed yardstick for dualssl (`make bench`, scripts/bench-torch.sh).

Written here from the experiment's definition (README "The paper's
experiment"), not from the authors' code: a depth-5 binary HLTM with
|polarity| ~ U(0.8, 1) and random signs; views that keep the root (both
views and one explicit negative redrawn from the model); the tree network
with hid = 10 and biases, each latent's 10 neurons reading its children;
the output normalised f/(|f|+1e-4); the nce-ref loss at tau = 0.1; plain SGD
with lr 0.1 and batch 128; 64000 fresh samples per epoch; and the probe of
the snapshot: best |corr| between each latent and its node's
pre-activations over 64000 fresh samples.

Everything is batched: samples are drawn for the whole epoch at once, level
by level; a training step stacks anchors, positives and negatives into one
batch and does one batched matrix product per tree level (torch.baddbmm
over the level's nodes); the probe runs the 64000 samples through the same
per-level products.

Prints one line per epoch and a summary line:
  torch: threads T: S s/epoch (gen+aug A, train B, probe C), over E epochs
"""
import argparse
import math
import sys
import time

import torch


def polarities(gen, depth, children, lower, upper):
    """One polarity per edge, level by level (a list of tensors)."""
    out, width = [], 1
    for _ in range(depth):
        width *= children
        mag = lower + (upper - lower) * torch.rand(width, generator=gen)
        sign = torch.where(torch.rand(width, generator=gen) < 0.5, -1.0, 1.0)
        out.append(mag * sign)
    return out


def sample_below(gen, root, rho, children):
    """Every level's values (bool, samples x nodes) below the given roots."""
    levels, z = [root.unsqueeze(1)], root.unsqueeze(1)
    for r in rho:
        parent = z.repeat_interleave(children, dim=1)
        keep = torch.rand(parent.shape, generator=gen) < (1 + r) / 2
        z = torch.where(keep, parent, ~parent)
        levels.append(z)
    return levels


class TreeNet:
    """The tree network: level l's weights are (nodes, fan_in, hid)."""

    def __init__(self, gen, depth, children, hid):
        self.children, self.hid = children, hid
        self.w, self.b = [], []
        nodes = children ** (depth - 1)
        fan = children
        for _ in range(depth):
            bound = 1 / math.sqrt(fan)
            self.w.append((torch.rand(nodes, fan, hid, generator=gen) * 2 - 1).mul_(bound).requires_grad_())
            self.b.append((torch.rand(nodes, 1, hid, generator=gen) * 2 - 1).mul_(bound).requires_grad_())
            nodes //= children
            fan = children * hid
        self.params = self.w + self.b

    def forward(self, x, keep=False):
        """x: (batch, leaves) -> output (batch, hid); with keep, every
        level's pre-activations (nodes, batch, hid) too."""
        batch, c = x.shape[0], self.children
        inp = x.view(batch, -1, c).transpose(0, 1)  # (nodes, batch, children)
        pre = []
        for l, (w, b) in enumerate(zip(self.w, self.b)):
            h = torch.baddbmm(b, inp, w)  # (nodes, batch, hid): one product per level
            if keep:
                pre.append(h)
            if l == len(self.w) - 1:
                return h[0], pre
            f = torch.relu(h)
            nodes = f.shape[0] // c
            inp = f.transpose(0, 1).reshape(batch, nodes, c * self.hid).transpose(0, 1)


def nce_ref(f1, f2, fn, tau):
    p = torch.mean((f1 - f2) ** 2)
    q = torch.mean((f1 - fn) ** 2)
    return -torch.softmax(torch.stack([-p / tau, -q / tau]), 0)[0]


def normalize(f, eps=1e-4):
    return f / (f.norm(dim=1, keepdim=True) + eps)


def probe(net, gen, rho, children, rows):
    """Mean over latents of the best |corr| with the node's neurons, per level
    (population moments, from sums: one batched product per level)."""
    root = torch.rand(rows, generator=gen) < 0.5
    levels = sample_below(gen, root, rho, children)
    x = levels[-1].float()
    best = []
    depth = len(rho)
    with torch.inference_mode():
        _, pre = net.forward(x, keep=True)
        for l, h in enumerate(pre):  # network layer l reads level depth-1-l
            z = levels[depth - 1 - l].float().t().unsqueeze(1)  # (nodes, 1, rows)
            n = float(rows)
            mz = z.sum(2) / n  # (nodes, 1)
            mh = h.sum(1) / n  # (nodes, hid)
            cov = torch.bmm(z, h).squeeze(1) / n - mz * mh
            vh = (h * h).sum(1) / n - mh * mh
            vz = mz * (1 - mz)  # z is 0/1
            den = torch.sqrt(vz * vh)
            corr = torch.where(den > 0, cov / den, torch.zeros_like(cov))
            best.append(corr.abs().amax(1).mean().item())
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up epoch)")
    ap.add_argument("--rows", type=int, default=64000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    gen = torch.Generator().manual_seed(a.seed)
    depth, children, hid, batch, lr, tau = 5, 2, 10, 128, 0.1, 0.1
    rho = polarities(gen, depth, children, 0.8, 1.0)
    net = TreeNet(gen, depth, children, hid)
    opt = torch.optim.SGD(net.params, lr=lr)
    steps = a.rows // batch
    times = []
    for epoch in range(a.epochs + 1):
        t0 = time.perf_counter()
        # Generation and augmentation: a root per data point, two views and
        # one negative drawn from the model given it.
        root = torch.rand(a.rows, generator=gen) < 0.5
        xa = sample_below(gen, root, rho, children)[-1].float()
        xb = sample_below(gen, root, rho, children)[-1].float()
        xn = sample_below(gen, torch.rand(a.rows, generator=gen) < 0.5, rho, children)[-1].float()
        t1 = time.perf_counter()
        for s in range(steps):
            sl = slice(s * batch, (s + 1) * batch)
            x = torch.cat([xa[sl], xb[sl], xn[sl]])
            f, _ = net.forward(x)
            f = normalize(f)
            loss = nce_ref(f[:batch], f[batch:2 * batch], f[2 * batch:], tau)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        t2 = time.perf_counter()
        best = probe(net, gen, rho, children, a.rows)
        t3 = time.perf_counter()
        if not all(math.isfinite(v) for v in best):
            print("torch: non-finite probe", best, file=sys.stderr)
            sys.exit(1)
        tag = "warm-up" if epoch == 0 else f"epoch {epoch}"
        print(f"torch: {tag}: {t3 - t0:.3f} s (gen+aug {t1 - t0:.3f}, train {t2 - t1:.3f}, probe {t3 - t2:.3f}); loss {loss.item():.4f}; best |corr| root..low {' '.join(f'{v:.3f}' for v in reversed(best))}", file=sys.stderr)
        if epoch > 0:
            times.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2))
    n = len(times)
    tot, gen_t, tr, pr = (sum(t[i] for t in times) / n for i in range(4))
    print(f"torch: threads {a.threads}: {tot:.3f} s/epoch (gen+aug {gen_t:.3f}, train {tr:.3f}, probe {pr:.3f}), over {n} epochs")


if __name__ == "__main__":
    main()
