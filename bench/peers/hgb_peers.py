#!/usr/bin/python3
"""Side-by-side comparison of resanom's HGB (run through the `resanom` tool) with scikit-learn's
HistGradientBoostingClassifier and XGBoost's hist method, on the same data and settings.

Tasks:
  (a) LHCO signal-region idealized-detector task: data (label 1) = sr_data_train, background
      template (label 0) = the background events of sr_data_val, features = columns 1-4; evaluated
      on sr_test (AUC, max SIC) with ensembles of 10, early stopping on (validation fraction 0.2,
      patience 10, at most 200 iterations), balanced classes: the settings of Das et al. 2024, App. A.1.
  (b) synthetic: 300k training events, 8 features, 100 rounds, early stopping off, 100k test events.

Peers: Debian's python3-sklearn and python3-xgboost (scripts/install-peers); run with
/usr/bin/python3. Same settings everywhere: 31 leaves grown best-first (XGBoost: lossguide,
max_leaves 31, no depth limit), 255 bins, learning rate 0.1, no L2 regularization (XGBoost's
reg_lambda defaults to 1; set to 0 like the others); XGBoost has no min_samples_leaf (its
min_child_weight stays at its default, 1). Threads: --threads T (default 2: the development machine's cores)
for all three: resanom --threads T, XGBoost n_jobs=T, scikit-learn's OpenMP limited to T
(threadpoolctl). With other work on the machine, --threads 1 gives the steadier comparison.

Timings: wall-clock seconds on this machine; training time for resanom is the tool's own
"train_seconds" (file reading excluded, like the peers' fit()); "train CPU s" is the CPU time (all
threads) of the training: the whole tool process for resanom (file reading included), the fit()
calls for the peers — less sensitive than wall time to other work on the machine, though threads
spinning while they wait count too. resanom's prediction time is the wall time of a separate
`--load-model --apply` run (process start, model and file reading and writing included, so an
upper bound). max SIC requires at least 25 background events passing.

Usage: /usr/bin/python3 bench/peers/hgb_peers.py [path/to/resanom] [--data DIR] [--repeats N]
                                                [--tasks a,b] [--threads T] [--markdown]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

try:
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.utils.class_weight import compute_sample_weight
    import xgboost as xgb
    from threadpoolctl import threadpool_limits
except ImportError as e:  # pragma: no cover
    sys.exit(f"hgb_peers.py: {e}; run scripts/install-peers and use /usr/bin/python3")


def max_sic(scores, labels, min_bkg=25):
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    # cut between distinct scores only
    last = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(y)[last]
    fp = np.cumsum(1 - y)[last]
    ok = fp >= min_bkg
    eps_s = tp[ok] / y.sum()
    eps_b = fp[ok] / (1 - y).sum()
    return float(np.max(eps_s / np.sqrt(eps_b)))


def children_cpu():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def run_resanom(tool, args):
    t0, c0 = time.perf_counter(), children_cpu()
    r = subprocess.run([tool, "classify"] + args, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, children_cpu() - c0
    if r.returncode != 0:
        sys.exit(f"resanom failed ({r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1]), wall, cpu


def bench_resanom(tool, tmp, Xtr, ytr, Xte, flags, ensemble, seed):
    train = os.path.join(tmp, "train.npy")
    test = os.path.join(tmp, "test.npy")
    np.save(train, np.column_stack([Xtr, ytr]).astype(np.float64))
    np.save(test, Xte.astype(np.float64))
    d = Xtr.shape[1]
    feats = ",".join(str(i) for i in range(d))
    model = os.path.join(tmp, "model.bin")
    out = os.path.join(tmp, "scores.npy")
    j, _, train_cpu = run_resanom(tool, ["--train", train, "--label-col", str(d), "--features", feats,
                              "--ensemble", str(ensemble), "--seed", str(seed),
                              "--save-model", model] + flags)
    _, wall, _ = run_resanom(tool, ["--load-model", model, "--apply", test, "--features", feats,
                                 "--out", out])
    return j["train_seconds"], wall, np.load(out), j["iterations"], train_cpu


def bench_sklearn(Xtr, ytr, Xte, params, ensemble, seed, balanced):
    t0, c0 = time.perf_counter(), time.process_time()
    members = []
    for k in range(ensemble):
        m = HistGradientBoostingClassifier(random_state=seed + k, **params)
        if balanced and sklearn.__version__ < "1.2":
            m.fit(Xtr, ytr, sample_weight=compute_sample_weight("balanced", ytr))
        else:
            if balanced:
                m.set_params(class_weight="balanced")
            m.fit(Xtr, ytr)
        members.append(m)
    train, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    p = np.mean([m.predict_proba(Xte)[:, 1] for m in members], axis=0)
    return train, time.perf_counter() - t0, p, [m.n_iter_ for m in members], train_cpu


def bench_xgboost(Xtr, ytr, Xte, params, ensemble, seed, balanced, early_stopping, threads, val_fraction=0.2):
    rng = np.random.default_rng(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    members = []
    for k in range(ensemble):
        kw = dict(tree_method="hist", grow_policy="lossguide", max_depth=0, n_jobs=threads, random_state=seed + k,
                  **params)
        if early_stopping:
            perm = rng.permutation(len(ytr))
            nv = int(round(val_fraction * len(ytr)))
            va, tr = perm[:nv], perm[nv:]
            w_tr = compute_sample_weight("balanced", ytr[tr]) if balanced else None
            w_va = compute_sample_weight("balanced", ytr[va]) if balanced else None
            m = xgb.XGBClassifier(early_stopping_rounds=10, **kw)
            m.fit(Xtr[tr], ytr[tr], sample_weight=w_tr, eval_set=[(Xtr[va], ytr[va])],
                  sample_weight_eval_set=[w_va], verbose=False)
        else:
            m = xgb.XGBClassifier(**kw)
            m.fit(Xtr, ytr, sample_weight=compute_sample_weight("balanced", ytr) if balanced else None)
        members.append(m)
    train, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    p = np.mean([m.predict_proba(Xte)[:, 1] for m in members], axis=0)
    iters = [(m.best_iteration + 1) if early_stopping else params["n_estimators"] for m in members]
    return train, time.perf_counter() - t0, p, iters, train_cpu


def task_a(data_dir):
    d = os.path.join(data_dir, "lhco_sr")
    data = np.load(os.path.join(d, "sr_data_train.npy"))
    val = np.load(os.path.join(d, "sr_data_val.npy"))
    test = np.load(os.path.join(d, "sr_test.npy"))
    bkg = val[val[:, 5] == 0]
    X = np.vstack([data[:, 1:5], bkg[:, 1:5]])
    y = np.r_[np.ones(len(data)), np.zeros(len(bkg))]
    return X, y, test[:, 1:5], test[:, 5]


def task_b(seed=0, n_train=300_000, n_test=100_000, d=8):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_train + n_test, d))
    f = (X[:, 0] * X[:, 1] + np.sin(2 * X[:, 2]) + 0.5 * X[:, 3] ** 2 - 0.5 - 0.7 * X[:, 4]
         + 0.5 * np.abs(X[:, 5]) * X[:, 6] + 0.3 * X[:, 7])
    y = (rng.random(n_train + n_test) < 1 / (1 + np.exp(-f))).astype(np.float64)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tool", nargs="?", default=os.path.join(root, "build", "bin", "resanom"))
    ap.add_argument("--data", default=os.environ.get("RESANOM_DATA_DIR", os.path.join(root, "..", "shared", "data")))
    ap.add_argument("--repeats", type=int, default=1, help="repeat each measurement, report medians")
    ap.add_argument("--tasks", default="a,b")
    ap.add_argument("--ensemble", type=int, default=10, help="ensemble size of task (a)")
    ap.add_argument("--threads", type=int, default=2, help="threads for resanom and both peers")
    ap.add_argument("--markdown", action="store_true", help="also print the tables in Markdown (docs/models/hgb.md)")
    a = ap.parse_args()
    if not os.access(a.tool, os.X_OK):
        sys.exit(f"hgb_peers.py: no resanom tool at {a.tool} (build it, or pass its path)")

    print(f"sklearn {sklearn.__version__}, xgboost {xgb.__version__}, numpy {np.__version__}, "
          f"{os.cpu_count()} cores, {a.threads} thread(s) each; medians of {a.repeats} run(s); load average at start "
          f"{os.getloadavg()[0]:.1f} (other work on the machine slows the multi-threaded peers most)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in a.tasks.split(","):
            if task == "a":
                if not os.path.isdir(os.path.join(a.data, "lhco_sr")):
                    print(f"task (a) skipped: no lhco_sr under {a.data}")
                    continue
                Xtr, ytr, Xte, yte = task_a(a.data)
                ens, es, bal = a.ensemble, True, True
                flags = ["--early-stopping", "on", "--val-fraction", "0.2", "--class-weight", "balanced"]
                skp = dict(max_iter=200, learning_rate=0.1, max_leaf_nodes=31, max_bins=255, min_samples_leaf=20,
                           early_stopping=True, validation_fraction=0.2, n_iter_no_change=10, scoring="loss")
                xgp = dict(n_estimators=200, learning_rate=0.1, max_leaves=31, max_bin=255, reg_lambda=0.0)
                name = f"(a) LHCO SR, {len(ytr)}x{Xtr.shape[1]}, ensemble {ens}"
            elif task == "b":
                Xtr, ytr, Xte, yte = task_b()
                ens, es, bal = 1, False, False
                flags = ["--early-stopping", "off", "--max-iter", "100", "--class-weight", "none"]
                skp = dict(max_iter=100, learning_rate=0.1, max_leaf_nodes=31, max_bins=255, min_samples_leaf=20,
                           early_stopping=False)
                xgp = dict(n_estimators=100, learning_rate=0.1, max_leaves=31, max_bin=255, reg_lambda=0.0)
                name = f"(b) synthetic, {len(ytr)}x{Xtr.shape[1]}, 100 rounds"
            else:
                sys.exit(f"unknown task {task}")
            results = {"resanom": [], "sklearn": [], "xgboost": []}
            for rep in range(a.repeats):
                results["resanom"].append(bench_resanom(a.tool, tmp, Xtr, ytr, Xte,
                                                        flags + ["--threads", str(a.threads)], ens, rep))
                with threadpool_limits(limits=a.threads, user_api="openmp"):
                    results["sklearn"].append(bench_sklearn(Xtr, ytr, Xte, skp, ens, rep, bal))
                results["xgboost"].append(bench_xgboost(Xtr, ytr, Xte, xgp, ens, rep, bal, es, a.threads))
            print(f"\n{name}")
            print(f"{'':10s} {'train s':>9s} {'train CPU s':>12s} {'predict s':>10s} {'AUC':>7s} {'max SIC':>8s}"
                  f" {'iters (mean)':>13s} {'train vs resanom':>17s}")
            med = {}
            for k, rs in results.items():
                tr = float(np.median([r[0] for r in rs]))
                pr = float(np.median([r[1] for r in rs]))
                auc = float(np.median([roc_auc_score(yte, r[2]) for r in rs]))
                sic = float(np.median([max_sic(r[2], yte) for r in rs]))
                it = float(np.mean([np.mean(r[3]) for r in rs]))
                cpu = float(np.median([r[4] for r in rs]))
                med[k] = (tr, pr, auc, sic, it, cpu)
            for k, (tr, pr, auc, sic, it, cpu) in med.items():
                ratio = tr / med["resanom"][0]
                print(f"{k:10s} {tr:9.2f} {cpu:12.2f} {pr:10.3f} {auc:7.4f} {sic:8.2f} {it:13.1f} {ratio:16.2f}x")
            print(f"load average after the task: {os.getloadavg()[0]:.1f}")
            rows.append((name, med))
    if a.markdown:
        for name, med in rows:
            print(f"\n{name}\n")
            print("| | train s | train CPU s | predict s | AUC | max SIC | iterations (mean) "
                  "| train time / resanom's |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for k, (tr, pr, auc, sic, it, cpu) in med.items():
                print(f"| {k} | {tr:.2f} | {cpu:.2f} | {pr:.3f} | {auc:.4f} | {sic:.2f} | {it:.1f} "
                      f"| {tr / med['resanom'][0]:.2f} |")
    return rows


if __name__ == "__main__":
    main()
