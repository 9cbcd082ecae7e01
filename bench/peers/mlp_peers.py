#!/usr/bin/python3
"""resanom's MLP next to PyTorch on the LHCO idealized-detector (IAD) signal-region task.

Task (bench): label 1 = sr_data_train (SR data: background + 0.66 % signal), label 0 = the
background events of sr_data_val (an ideal background template); features 1-4 (mj_min, delta_m,
tau21_min, tau21_max); class-balanced weights; 3x64 ReLU network, batch 128, Adam lr 1e-3; a 20 %
random validation split on each side (each tool draws its own), the same number of epochs (no early
stopping), and the epoch of lowest validation loss kept. Evaluation: AUC and max SIC (at least 25 background events
passing, resanom's max_sic default) on sr_test (truth labels).

resanom runs through the built tool (`resanom classify --model mlp`); PyTorch with
torch.set_num_threads(2). Prints seconds per epoch, AUC and max SIC for both and the ratios.

Usage: /usr/bin/python3 bench/peers/mlp_peers.py [path/to/resanom] [--epochs N] [--repeats R]
       [--torch-threads 2,1] [--skip-torch]
Data from $RESANOM_DATA_DIR/lhco_sr or /work/shared/data/lhco_sr. Timings on a shared 2-core
machine are noisy: the script repeats each run and reports the median.
"""
import argparse
import json
import os
import statistics
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


def load_task():
    d = data_dir()
    data = np.load(os.path.join(d, "sr_data_train.npy"))
    val = np.load(os.path.join(d, "sr_data_val.npy"))
    test = np.load(os.path.join(d, "sr_test.npy"))
    bkg = val[val[:, 5] == 0]
    X = np.concatenate([data[:, 1:5], bkg[:, 1:5]])
    y = np.concatenate([np.ones(len(data)), np.zeros(len(bkg))])
    return X, y, test[:, 1:5], test[:, 5]


def auc_and_max_sic(score, label, min_bkg=25):
    order = np.argsort(-score, kind="stable")
    s = label[order]
    tp = np.cumsum(s)
    fp = np.cumsum(1 - s)
    # Only thresholds between distinct scores.
    distinct = np.r_[np.diff(score[order]) != 0, True]
    tp, fp = tp[distinct], fp[distinct]
    tpr = np.r_[0, tp / tp[-1]]
    fpr = np.r_[0, fp / fp[-1]]
    auc = np.trapz(tpr, fpr)
    ok = fp >= min_bkg
    sic = (tp[ok] / tp[-1]) / np.sqrt(fp[ok] / fp[-1])
    return float(auc), float(sic.max())


def run_resanom(tool, X, y, Xt, epochs, seed, tmp):
    train = os.path.join(tmp, "train.npy")
    test = os.path.join(tmp, "test.npy")
    out = os.path.join(tmp, "scores.npy")
    np.save(train, np.column_stack([X, y]))
    np.save(test, np.column_stack([Xt, np.zeros(len(Xt))]))
    cmd = [tool, "classify", "--model", "mlp", "--train", train, "--label-col", "4", "--features", "0,1,2,3",
           "--apply", test, "--out", out, "--hidden", "64,64,64", "--batch-size", "128", "--lr", "1e-3",
           "--epochs", str(epochs), "--patience", str(epochs), "--val-fraction", "0.2",
           "--class-weight", "balanced", "--threads", "2", "--seed", str(seed)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"resanom failed ({r.returncode}): {r.stderr.strip()}")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    return summary["train_seconds"] / summary["iterations"][0], np.load(out)


def run_torch(X, y, Xt, epochs, seed, threads=2):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(X))
    n_val = int(0.2 * len(X))
    vi, ti = perm[:n_val], perm[n_val:]
    mu, sd = X[ti].mean(0), X[ti].std(0)
    f = lambda a: torch.tensor((a - mu) / sd, dtype=torch.float32)
    Xtr, ytr, Xva, yva = f(X[ti]), torch.tensor(y[ti], dtype=torch.float32), f(X[vi]), torch.tensor(y[vi], dtype=torch.float32)

    def factors(lab):
        w1 = float(lab.sum()); w0 = float(len(lab) - w1); h = 0.5 * (w1 + w0)
        return h / w1, h / w0

    s1, s0 = factors(ytr)
    v1, v0 = factors(yva)
    net = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(),
                              torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    best, best_state, t_train = float("inf"), None, 0.0
    for _ in range(epochs):
        t0 = time.perf_counter()
        net.train()
        order = torch.randperm(len(Xtr))
        for b in range(0, len(Xtr), 128):
            idx = order[b:b + 128]
            xb, yb = Xtr[idx], ytr[idx]
            w = yb * s1 + (1 - yb) * s0
            loss = (bce(net(xb).squeeze(1), yb) * w).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            w = yva * v1 + (1 - yva) * v0
            vl = float((bce(net(Xva).squeeze(1), yva) * w).sum() / w.sum())
        if vl < best:
            best, best_state = vl, {k: v.clone() for k, v in net.state_dict().items()}
        t_train += time.perf_counter() - t0
    net.load_state_dict(best_state)
    with torch.no_grad():
        score = torch.sigmoid(net(f(Xt)).squeeze(1)).numpy().astype(np.float64)
    return t_train / epochs, score


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tool", nargs="?", default="build/bin/resanom")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--torch-threads", default="2",
                    help="comma-separated thread counts for PyTorch (e.g. 2,1); 2 is the reference")
    a = ap.parse_args()
    X, y, Xt, yt = load_task()
    torch_threads = [] if a.skip_torch else [int(t) for t in a.torch_threads.split(",")]
    print(f"IAD task: {len(X)} training events ({int(y.sum())} label 1), 80/20 train/validation, "
          f"{len(Xt)} test events; 3x64 ReLU, batch 128, Adam 1e-3, {a.epochs} epochs, {a.repeats} repeats (median)")
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    # Interleaved (resanom, then PyTorch, per repeat) so that both see the same load of a shared machine.
    rows = {"resanom": []}
    for t in torch_threads:
        rows[f"pytorch-{t}t"] = []
    with tempfile.TemporaryDirectory() as tmp:
        for s in range(a.repeats):
            rows["resanom"].append(run_resanom(a.tool, X, y, Xt, a.epochs, s, tmp))
            for t in torch_threads:
                rows[f"pytorch-{t}t"].append(run_torch(X, y, Xt, a.epochs, s, t))
    print("load average after:  %.2f %.2f %.2f" % os.getloadavg())
    summary = {}
    print(f"{'':10s} {'s/epoch':>9s} {'AUC':>7s} {'max SIC':>8s}")
    for name, runs in rows.items():
        spe = statistics.median(r[0] for r in runs)
        metrics = [auc_and_max_sic(r[1], yt) for r in runs]
        auc = statistics.median(m[0] for m in metrics)
        sic = statistics.median(m[1] for m in metrics)
        summary[name] = (spe, auc, sic)
        print(f"{name:10s} {spe:9.3f} {auc:7.4f} {sic:8.2f}")
    # 8 512 multiply-adds per event forward (4*64 + 64*64 + 64*64 + 64), three GEMM passes in
    # training (forward, dX, dW): 6 * 8512 flop per training event and epoch.
    n_train = len(X) - int(0.2 * len(X))
    gflop = 6 * 8512 * n_train / 1e9
    for name, (spe, _, _) in summary.items():
        print(f"{name:10s} {gflop / spe:6.1f} GFLOP/s of the {gflop:.2f} GFLOP per epoch in the GEMMs")
    for name in summary:
        if name == "resanom":
            continue
        r, p = summary["resanom"], summary[name]
        print(f"resanom/{name}: time {r[0] / p[0]:.3f}, AUC difference {r[1] - p[1]:+.4f}, "
              f"max SIC ratio {r[2] / p[2]:.2f}")


if __name__ == "__main__":
    main()
