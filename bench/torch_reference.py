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

Written to be as fast as we could make it on a CPU, as a skilled PyTorch
user would (each choice was timed against the alternatives, see
--variant and the README's Speed section):

- Sampling: the three trees of an epoch (view a, view b, negative) in one
  pass, level by level, one uniform comparison and one XOR per level.
- Batches: one copy per epoch lays the views out step by step (anchors,
  positives and negatives of a step in one batch of 384), no slicing or
  concatenation per step.
- Training: a hand-written backward pass under torch.no_grad (autograd's
  per-operation overhead was a third of a step), in-place SGD updates.
  The leaf level (16 nodes reading 2 inputs each) is one dense product with
  a block-diagonal weight (a batched product of 2-wide matrices is the
  slowest op there; the gradient is masked to the blocks); every level
  above is one batched product (torch.baddbmm) over its nodes.
- Probe: the same forward pass over the 64000 probe samples at once, the
  moments from sums.

--variant autograd runs the straightforward formulation instead (autograd
through one baddbmm per level, torch.optim.SGD), and --check runs both
from the same start and checks that the weights agree after some steps.

Needs a real BLAS: Debian's python3-torch links the system libblas.so.3,
which is the reference (netlib) BLAS unless libopenblas0 is installed.

Prints one line per epoch (stderr) and a summary line (stdout), wall and
CPU time (all threads) per epoch:
  torch: threads T: S s/epoch, C CPU-s/epoch (gen+aug A, train B, probe P s), over E epochs (fast)
"""
import argparse
import ctypes
import math
import sys
import time

import torch

aten = torch.ops.aten
DEPTH, CHILDREN, HID, BATCH, LR, TAU = 5, 2, 10, 128, 0.1, 0.1


def polarities(gen, depth, children, lower, upper):
    """One polarity per edge, level by level (a list of tensors)."""
    out, width = [], 1
    for _ in range(depth):
        width *= children
        mag = lower + (upper - lower) * torch.rand(width, generator=gen)
        sign = torch.where(torch.rand(width, generator=gen) < 0.5, -1.0, 1.0)
        out.append(mag * sign)
    return out


def sample_levels(gen, root, flip, children):
    """Every level's values (bool, rows x nodes) below the given roots;
    flip[l] is P(child != parent) per edge of level l+1."""
    rows = root.shape[0]
    flips = torch.rand(rows, sum(q.numel() for q in flip), generator=gen) < torch.cat(flip)
    levels, z, at = [root.unsqueeze(1)], root.unsqueeze(1), 0
    for q in flip:
        width = q.numel()
        z = z.unsqueeze(2).expand(rows, width // children, children).reshape(rows, width) ^ flips[:, at:at + width]
        at += width
        levels.append(z)
    return levels


def init_weights(gen, depth, children, hid):
    """Level l's weights (nodes, fan_in, hid) and biases (nodes, 1, hid),
    uniform in +-1/sqrt(fan_in) as nn.Linear; leaves first."""
    w, b = [], []
    nodes, fan = children ** (depth - 1), children
    for _ in range(depth):
        bound = 1 / math.sqrt(fan)
        w.append((torch.rand(nodes, fan, hid, generator=gen) * 2 - 1).mul_(bound))
        b.append((torch.rand(nodes, 1, hid, generator=gen) * 2 - 1).mul_(bound))
        nodes //= children
        fan = children * hid
    return w, b


class FastNet:
    """The tree network for a binary tree, laid out for speed: the leaf
    level as a dense (leaves, nodes*hid) block-diagonal matrix over
    batch-major inputs, every level above as (nodes, 2*hid, hid) over
    node-major activations (nodes, batch, hid). Trained by the hand-written
    step below (no autograd)."""

    def __init__(self, w, b):
        n0, fan, hid = w[0].shape
        self.hid = hid
        self.w0 = torch.zeros(n0 * fan, n0 * hid)
        self.m0 = torch.zeros(n0 * fan, n0 * hid)
        for j in range(n0):
            self.w0[j * fan:(j + 1) * fan, j * hid:(j + 1) * hid] = w[0][j]
            self.m0[j * fan:(j + 1) * fan, j * hid:(j + 1) * hid] = 1
        self.b0 = b[0].reshape(-1).clone()
        self.w = [t.clone() for t in w[1:]]
        self.b = [t.clone() for t in b[1:]]

    def forward(self, x):
        """x (rows, leaves) -> pre-activations: the leaves' (rows, nodes*hid),
        then each level's (nodes, rows, hid); the last is the output."""
        rows, hid = x.shape[0], self.hid
        h = torch.addmm(self.b0, x, self.w0)
        hs = [h]
        inp = torch.relu(h).view(rows, -1, 2 * hid).transpose(0, 1).contiguous()
        acts = [inp]
        for l, (w, b) in enumerate(zip(self.w, self.b)):
            h = torch.baddbmm(b, inp, w)
            hs.append(h)
            if l == len(self.w) - 1:
                break
            p = h.shape[0] // 2
            inp = torch.relu(h).view(p, 2, rows, hid).transpose(1, 2).reshape(p, rows, 2 * hid)
            acts.append(inp)
        return hs, acts

    def step(self, x, batch, tau, lr):
        """One SGD step on x = anchors, positives, negatives (3*batch rows);
        returns the loss (a 0-d tensor)."""
        rows, hid = x.shape[0], self.hid
        hs, acts = self.forward(x)
        o = hs[-1][0]
        r = o.square().sum(1, keepdim=True).sqrt_()
        d = r + 1e-4
        f = o / d
        fa, fb, fn = f[:batch], f[batch:2 * batch], f[2 * batch:]
        n = float(fa.numel())
        p = (fa - fb).square_().sum() / n
        q = (fa - fn).square_().sum() / n
        s = torch.sigmoid((q - p) / tau)  # loss = -s (softmax of two logits)
        c = s * (1 - s) * (2 / (tau * n))
        gf = torch.cat([fn - fb, fb - fa, fa - fn]).mul_(c)
        g = (gf / d).sub_(o * ((o * gf).sum(1, keepdim=True) / (r * d * d)))
        g = g.unsqueeze(0)
        for l in range(len(self.w) - 1, -1, -1):
            inp, w = acts[l], self.w[l]
            gw = torch.bmm(inp.transpose(1, 2), g)
            gb = g.sum(1, keepdim=True)
            gi = torch.bmm(g, w.transpose(1, 2))  # (p, rows, 2*hid)
            pn = gi.shape[0]
            if l > 0:
                gi = gi.view(pn, rows, 2, hid).transpose(1, 2).reshape(2 * pn, rows, hid)
            else:
                gi = gi.transpose(0, 1).reshape(rows, -1)
            g = aten.threshold_backward(gi, hs[l], 0.0)
            w.sub_(gw, alpha=lr)
            self.b[l].sub_(gb, alpha=lr)
        self.w0.sub_(torch.mm(x.t(), g).mul_(self.m0), alpha=lr)
        self.b0.sub_(g.sum(0), alpha=lr)
        return -s

    def pre_activations(self, x):
        """Each level's pre-activations as (nodes, rows, hid), leaves first."""
        hs, _ = self.forward(x)
        rows = x.shape[0]
        return [hs[0].view(rows, -1, self.hid).transpose(0, 1)] + hs[1:]

    def weights(self):
        """The weights in the reference layout (nodes, fan_in, hid), leaves first."""
        n0 = self.b0.numel() // self.hid
        fan = self.w0.shape[0] // n0
        w0 = torch.stack([self.w0[j * fan:(j + 1) * fan, j * self.hid:(j + 1) * self.hid] for j in range(n0)])
        return [w0] + self.w


class AutogradNet:
    """The straightforward formulation: one baddbmm per level, autograd,
    torch.optim.SGD."""

    def __init__(self, w, b, lr):
        self.w = [t.clone().requires_grad_() for t in w]
        self.b = [t.clone().requires_grad_() for t in b]
        self.opt = torch.optim.SGD(self.w + self.b, lr=lr)

    def forward(self, x, keep=False):
        batch, hid = x.shape[0], self.w[0].shape[2]
        inp = x.view(batch, -1, 2).transpose(0, 1)
        pre = []
        for l, (w, b) in enumerate(zip(self.w, self.b)):
            h = torch.baddbmm(b, inp, w)
            if keep:
                pre.append(h)
            if l == len(self.w) - 1:
                return h[0], pre
            f = torch.relu(h)
            inp = f.transpose(0, 1).reshape(batch, f.shape[0] // 2, 2 * hid).transpose(0, 1)

    def step(self, x, batch, tau, lr):
        f, _ = self.forward(x)
        f = f / (f.norm(dim=1, keepdim=True) + 1e-4)
        p = torch.mean((f[:batch] - f[batch:2 * batch]) ** 2)
        q = torch.mean((f[:batch] - f[2 * batch:]) ** 2)
        loss = -torch.softmax(torch.stack([-p / tau, -q / tau]), 0)[0]
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss.detach()

    def pre_activations(self, x):
        return self.forward(x, keep=True)[1]

    def weights(self):
        return [w.detach() for w in self.w]


def probe(net, gen, flip, rows):
    """Mean over latents of the best |corr| with the node's neurons, per
    level, root first (population moments from sums)."""
    root = torch.rand(rows, generator=gen) < 0.5
    levels = sample_levels(gen, root, flip, CHILDREN)
    depth = len(flip)
    best = []
    with torch.no_grad():
        pre = net.pre_activations(levels[-1].float())
        for l, h in enumerate(pre):  # network layer l reads level depth-1-l
            z = levels[depth - 1 - l].float().t().unsqueeze(1)  # (nodes, 1, rows)
            n = float(rows)
            mz = z.sum(2) / n  # (nodes, 1)
            mh = h.sum(1) / n  # (nodes, hid)
            cov = torch.bmm(z, h).squeeze(1) / n - mz * mh
            vh = h.square().sum(1) / n - mh * mh
            vz = mz * (1 - mz)  # z is 0/1
            den = torch.sqrt(vz * vh)
            corr = torch.where(den > 0, cov / den, torch.zeros_like(cov))
            best.append(corr.abs().amax(1).mean().item())
    return best[::-1]


def epoch_batches(gen, flip, rows, batch):
    """One epoch's steps: (steps, 3*batch, leaves) float32, each step's
    anchors, positives (same roots) and negatives (own roots)."""
    steps = rows // batch
    root = torch.rand(rows, generator=gen) < 0.5
    roots = torch.cat([root, root, torch.rand(rows, generator=gen) < 0.5])
    x = sample_levels(gen, roots, flip, CHILDREN)[-1][:3 * steps * batch]
    leaves = x.shape[1]
    return x.view(3, steps, batch, leaves).transpose(0, 1).reshape(steps, 3 * batch, leaves).float()


def check(gen, flip, w, b, steps=50):
    """Runs both variants from the same start on the same batches and
    compares the weights (float32 rounding differs, nothing else)."""
    fast, ref = FastNet(w, b), AutogradNet(w, b, LR)
    xs = epoch_batches(gen, flip, steps * BATCH, BATCH)
    for x in xs:
        with torch.no_grad():
            lf = fast.step(x, BATCH, TAU, LR)
        lr = ref.step(x, BATCH, TAU, LR)
    worst = max((a - c).abs().max().item() / c.abs().max().item() for a, c in zip(fast.weights(), ref.weights()))
    print(f"torch: check: {steps} steps, loss {lf.item():.6f} (fast) {lr.item():.6f} (autograd), largest weight difference {worst:.2e} of the level's largest weight", file=sys.stderr)
    return worst < 1e-4 and abs(lf.item() - lr.item()) < 1e-4


def keep_freed_memory():
    """Asks glibc to keep freed memory for reuse rather than return it to
    the kernel: every epoch allocates tensors of tens of MB, and on this
    virtual machine faulting their pages in afresh each time cost more than
    the probe's arithmetic (3 s an epoch before, 0.4 s after). dualssl's Go
    runtime reuses its heap the same way."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: no mmap below 1 GB
    libc.mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD: never trim the heap


def blas_library():
    """The BLAS library this process mapped (after a product), or "?"."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "?"
    return " ".join(sorted(libs)) or "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (after one warm-up epoch)")
    ap.add_argument("--rows", type=int, default=64000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variant", choices=["fast", "autograd"], default="fast")
    ap.add_argument("--check", action="store_true", help="check the hand-written backward against autograd and exit")
    a = ap.parse_args()
    keep_freed_memory()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    print(f"torch: {torch.__version__}, BLAS {blas_library()}", file=sys.stderr)
    gen = torch.Generator().manual_seed(a.seed)
    rho = polarities(gen, DEPTH, CHILDREN, 0.8, 1.0)
    flip = [(1 - r) / 2 for r in rho]
    w, b = init_weights(gen, DEPTH, CHILDREN, HID)
    if a.check:
        ok = check(gen, flip, w, b)
        print("torch: check " + ("passed" if ok else "FAILED"))
        sys.exit(0 if ok else 1)
    net = FastNet(w, b) if a.variant == "fast" else AutogradNet(w, b, LR)
    times = []
    for epoch in range(a.epochs + 1):
        c0, t0 = time.process_time(), time.perf_counter()
        # Generation and augmentation: a root per data point, two views
        # given it and one negative with its own root.
        xs = epoch_batches(gen, flip, a.rows, BATCH)
        t1 = time.perf_counter()
        total = torch.zeros(())
        if a.variant == "fast":
            with torch.no_grad():
                for x in xs:
                    total += net.step(x, BATCH, TAU, LR)
        else:
            for x in xs:
                total += net.step(x, BATCH, TAU, LR)
        t2 = time.perf_counter()
        best = probe(net, gen, flip, a.rows)
        t3, c3 = time.perf_counter(), time.process_time()
        if not all(math.isfinite(v) for v in best):
            print("torch: non-finite probe", best, file=sys.stderr)
            sys.exit(1)
        tag = "warm-up" if epoch == 0 else f"epoch {epoch}"
        print(f"torch: {tag}: {t3 - t0:.3f} s, {c3 - c0:.3f} CPU-s (gen+aug {t1 - t0:.3f}, train {t2 - t1:.3f}, probe {t3 - t2:.3f}); mean loss {total.item() / len(xs):.4f}; best |corr| root..low {' '.join(f'{v:.3f}' for v in best)}", file=sys.stderr)
        if epoch > 0:
            times.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2, c3 - c0))
    n = len(times)
    tot, gen_t, tr, pr, cpu = (sum(t[i] for t in times) / n for i in range(5))
    print(f"torch: threads {a.threads}: {tot:.3f} s/epoch, {cpu:.3f} CPU-s/epoch (gen+aug {gen_t:.3f}, train {tr:.3f}, probe {pr:.3f} s), over {n} epochs ({a.variant})")


if __name__ == "__main__":
    main()
