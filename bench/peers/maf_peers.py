#!/usr/bin/python3
"""resanom's MAF flow next to a PyTorch MAF of the identical configuration, on LHCO SR background.

Task: learn p(x | m) of the signal-region background events (label 0 of
sr_data_train and sr_data_val: ~119k events), x = columns 1-4 (mj_min, delta_m, tau21_min,
tau21_max), m = column 0 (mjj). A random 20k of them are held out; the rest is the training file,
of which both sides use a random 20 % as validation set for best-epoch selection.

Configuration on both sides (the CATHODE reference, made identical down to the masks):
  preprocessing: logit of min-max scaled features (margin 1e-3), then standardization; m standardized
  15 blocks of [conditional MADE (2 hidden layers of 128, ReLU; hidden degrees 0..d-1 sorted, m into
    every hidden unit; outputs shift and log-scale, log-scale soft-clamped s = 3 tanh(s~/3)),
    batch norm (batch statistics in training; after each epoch the running statistics are set to the
    whole training set's, as the reference code does), reverse order]
  standard normal base; Adam lr 1e-4, weight decay 1e-6; batch 256; nn.Linear's uniform
  initialization with zero biases.
The PyTorch MAF below is written here from the published architecture (it is not the CATHODE
code, whose MADE has no degree-0 units and feeds m to the first layer only).

Speed: seconds per epoch (training + batch-norm statistics pass + validation) for both, and the
ratio. Quality: samples drawn at the m values of the held-out events are compared with those real
events by a scikit-learn HistGradientBoostingClassifier (features x and m, 5-fold cross-validated
predictions); its ROC AUC is printed (0.5: indistinguishable; below 0.55 is the goal after
full training).

Usage: /usr/bin/python3 bench/peers/maf_peers.py [path/to/resanom] [--epochs N] [--torch-epochs M]
       [--torch-quality]
Data from $RESANOM_DATA_DIR/lhco_sr or /work/shared/data/lhco_sr. PyTorch runs with 2 threads.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def data_dir():
    base = os.environ.get("RESANOM_DATA_DIR", "/work/shared/data")
    d = os.path.join(base, "lhco_sr")
    if not os.path.isdir(d):
        sys.exit(f"no LHCO data at {d} (set RESANOM_DATA_DIR)")
    return d


def load_background(seed, n_hold=20000):
    d = data_dir()
    ev = np.concatenate([np.load(os.path.join(d, f)) for f in ("sr_data_train.npy", "sr_data_val.npy")])
    bkg = ev[ev[:, 5] == 0][:, :5]
    rng = np.random.default_rng(seed)
    rng.shuffle(bkg)
    return bkg[n_hold:], bkg[:n_hold]


def quality_auc(real, fake, seed):
    """AUC of a classifier separating real events from flow samples (columns: m, x1..x4)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    X = np.concatenate([real, fake])
    y = np.concatenate([np.ones(len(real)), np.zeros(len(fake))])
    clf = HistGradientBoostingClassifier(max_iter=200, early_stopping=True, random_state=seed)
    p = cross_val_predict(clf, X, y, cv=5, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, p))


# ---------------------------------------------------------------------------------------------
# resanom, through the tool


def run_resanom(tool, train, hold, epochs, seed, tmp, threads):
    tr = os.path.join(tmp, "train.npy")
    cond = os.path.join(tmp, "cond.npy")
    out = os.path.join(tmp, "samples.npy")
    np.save(tr, train)
    np.save(cond, hold[:, 0])
    cmd = [tool, "density", "--train", tr, "--features", "1,2,3,4", "--cond-col", "0", "--epochs", str(epochs),
           "--sample-cond", cond, "--out", out, "--threads", str(threads), "--seed", str(seed)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"resanom failed ({r.returncode}): {r.stderr.strip()}")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    return summary, np.load(out)


# ---------------------------------------------------------------------------------------------
# PyTorch MAF of the same configuration


def torch_maf(train, hold, epochs, seed):
    import torch
    import torch.nn as nn

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    X, m = train[:, 1:5], train[:, 0:1]
    margin = 1e-3
    lo, hi = X.min(0), X.max(0)

    def logit(x):
        u = margin + (1 - 2 * margin) * (x - lo) / (hi - lo)
        return np.log(u) - np.log1p(-u)

    L = logit(X)
    mu, sd = L.mean(0), L.std(0)
    mm, ms = m.mean(0), m.std(0)
    Z = ((L - mu) / sd).astype(np.float32)
    M = ((m - mm) / ms).astype(np.float32)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(Z))
    n_val = int(round(0.2 * len(Z)))
    va, tr = idx[:n_val], idx[n_val:]
    Ztr, Mtr = torch.from_numpy(Z[tr]), torch.from_numpy(M[tr])
    Zva, Mva = torch.from_numpy(Z[va]), torch.from_numpy(M[va])

    d, k, H, clamp = 4, 1, 128, 3.0
    deg_h = torch.arange(H) * d // H                      # sorted hidden degrees 0..d-1
    mask1 = (torch.arange(d)[None, :] < deg_h[:, None]).float()          # H x d
    mask2 = (deg_h[None, :] <= deg_h[:, None]).float()                   # H x H
    out_deg = torch.cat([torch.arange(d), torch.arange(d)])
    mask3 = (deg_h[None, :] <= out_deg[:, None]).float()                 # 2d x H

    class MaskedLinear(nn.Module):
        def __init__(self, n_in, n_out, mask, n_cond=0, bias=True):
            super().__init__()
            self.lin = nn.Linear(n_in, n_out, bias=bias)
            fan = n_in + n_cond
            nn.init.uniform_(self.lin.weight, -1 / math.sqrt(fan), 1 / math.sqrt(fan))
            if bias:
                nn.init.zeros_(self.lin.bias)
            self.cond = None
            if n_cond:
                self.cond = nn.Linear(n_cond, n_out, bias=False)
                nn.init.uniform_(self.cond.weight, -1 / math.sqrt(fan), 1 / math.sqrt(fan))
            self.register_buffer("mask", mask)

        def forward(self, x, c=None):
            y = nn.functional.linear(x, self.lin.weight * self.mask, self.lin.bias)
            if self.cond is not None:
                y = y + self.cond(c)
            return y

    class MADE(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = MaskedLinear(d, H, mask1, k)
            self.l2 = MaskedLinear(H, H, mask2, k)
            self.l3 = MaskedLinear(H, 2 * d, mask3)

        def params(self, z, c):
            h = torch.relu(self.l1(z, c))
            h = torch.relu(self.l2(h, c))
            o = self.l3(h)
            return o[:, :d], clamp * torch.tanh(o[:, d:] / clamp)

        def forward(self, z, c):
            mu_, s = self.params(z, c)
            return (z - mu_) * torch.exp(-s), -s.sum(-1)

        def inverse(self, u, c):
            z = torch.zeros_like(u)
            for i in range(d):
                mu_, s = self.params(z, c)
                z[:, i] = u[:, i] * torch.exp(s[:, i]) + mu_[:, i]
            return z

    class BatchNormFlow(nn.Module):
        def __init__(self, eps=1e-5):
            super().__init__()
            self.log_gamma = nn.Parameter(torch.zeros(d))
            self.beta = nn.Parameter(torch.zeros(d))
            self.eps = eps
            self.register_buffer("running_mean", torch.zeros(d))
            self.register_buffer("running_var", torch.ones(d))
            self.set_stats = False

        def forward(self, x):
            if self.training or self.set_stats:
                mean = x.mean(0)
                var = (x - mean).pow(2).mean(0) + self.eps
                if self.set_stats:
                    self.running_mean.copy_(mean.detach())
                    self.running_var.copy_(var.detach())
            else:
                mean, var = self.running_mean, self.running_var
            y = torch.exp(self.log_gamma) * (x - mean) / var.sqrt() + self.beta
            return y, (self.log_gamma - 0.5 * torch.log(var)).sum(-1)

        def inverse(self, y):
            return (y - self.beta) * torch.exp(-self.log_gamma) * self.running_var.sqrt() + self.running_mean

    class MAF(nn.Module):
        def __init__(self, blocks=15):
            super().__init__()
            self.mades = nn.ModuleList([MADE() for _ in range(blocks)])
            self.bns = nn.ModuleList([BatchNormFlow() for _ in range(blocks)])

        def log_prob(self, z, c):
            ld = torch.zeros(z.shape[0])
            for made, bn in zip(self.mades, self.bns):
                z, l1 = made(z, c)
                z, l2 = bn(z)
                z = z.flip(1)
                ld = ld + l1 + l2
            return -0.5 * (z * z).sum(-1) - 0.5 * d * math.log(2 * math.pi) + ld

        def sample(self, c, gen):
            z = torch.randn(c.shape[0], d, generator=gen)
            for made, bn in zip(reversed(self.mades), reversed(self.bns)):
                z = bn.inverse(z.flip(1))
                z = made.inverse(z, c)
            return z

    model = MAF()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-6)
    best, best_state, times = float("inf"), None, []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(len(Ztr))
        for b in range(0, len(Ztr), 256):
            sel = perm[b:b + 256]
            if len(sel) < 2:
                break
            loss = -model.log_prob(Ztr[sel], Mtr[sel]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            for bn in model.bns:
                bn.set_stats = True
            model.log_prob(Ztr, Mtr)
            for bn in model.bns:
                bn.set_stats = False
            val = -model.log_prob(Zva, Mva).mean().item()
        times.append(time.perf_counter() - t0)
        print(f"  torch epoch {epoch + 1}: val nll (preprocessed space) {val:.4f}, {times[-1]:.1f} s", file=sys.stderr)
        if val < best:
            best = val
            best_state = {k_: v.clone() for k_, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    with torch.no_grad():
        c = torch.from_numpy(((hold[:, 0:1] - mm) / ms).astype(np.float32))
        t0 = time.perf_counter()
        z = model.sample(c, torch.Generator().manual_seed(seed)).double().numpy()
        sample_seconds = time.perf_counter() - t0
    L = z * sd + mu
    u = 1 / (1 + np.exp(-L))
    x = lo + (u - margin) * (hi - lo) / (1 - 2 * margin)
    return float(np.median(times)), x, sample_seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tool", nargs="?", default="build/bin/resanom")
    ap.add_argument("--epochs", type=int, default=100, help="resanom epochs (quality after full training)")
    ap.add_argument("--torch-epochs", type=int, default=1, help="PyTorch epochs (timing; ~1 min each)")
    ap.add_argument("--torch-quality", action="store_true", help="also report the AUC of the PyTorch samples")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="resanom threads (PyTorch always uses 2)")
    a = ap.parse_args()
    train, hold = load_background(a.seed)
    print(f"LHCO SR background: {len(train)} training events (20 % of them validation), {len(hold)} held out")
    with tempfile.TemporaryDirectory() as tmp:
        summary, samples = run_resanom(a.tool, train, hold, a.epochs, a.seed, tmp, a.threads)
    r_epoch = summary["epoch_seconds"]
    real = hold
    fake = np.column_stack([hold[:, 0], samples])
    auc = quality_auc(real, fake, a.seed)
    print(f"resanom: {r_epoch:.2f} s/epoch over {summary['epochs']} epochs (best epoch {summary['best_epoch']}, "
          f"val NLL {summary['best_val_nll']:.4f} nat), real-vs-sample AUC {auc:.4f}")
    t_epoch, tx, t_sample = torch_maf(train, hold, a.torch_epochs, a.seed)
    line = f"PyTorch: {t_epoch:.2f} s/epoch (median of {a.torch_epochs}); sampling {len(hold)} events {t_sample:.2f} s"
    if a.torch_quality:
        line += f", real-vs-sample AUC {quality_auc(real, np.column_stack([hold[:, 0], tx]), a.seed):.4f} after {a.torch_epochs} epochs"
    print(line)
    print(f"ratio resanom/PyTorch seconds per epoch: {r_epoch / t_epoch:.3f}")


if __name__ == "__main__":
    main()
