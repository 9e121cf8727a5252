#!/usr/bin/env python3
"""evident.batch_arrays against a hand-vectorised numpy DerSimonian-Laird and statsmodels (if
installed), in one run on the same simulated arrays, then evident.dask.batch on a LocalCluster of
1 and 2 workers with the per-task overhead. Measured and printed, never asserted.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_batch.py          # 10^6 analyses, k = 10
    N=200000 DASK=0 PYTHONPATH=build/python /usr/bin/python3 bench/python_batch.py

Environment: N (analyses), K (studies each), N_STATSMODELS (analyses given to statsmodels),
DASK=0 to skip the dask part, DASK_N (analyses for dask).
"""

from __future__ import annotations

import os
import time

import numpy as np

import evident

N = int(os.environ.get("N", 1_000_000))
K = int(os.environ.get("K", 10))
N_SM = int(os.environ.get("N_STATSMODELS", 2000))


def best_of(f, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def numpy_dl(y: np.ndarray, v: np.ndarray):
    """DerSimonian-Laird over (n, k) arrays, vectorised across analyses."""
    w = 1.0 / v
    sw = w.sum(axis=1)
    mu_fe = (w * y).sum(axis=1) / sw
    q = (w * (y - mu_fe[:, None]) ** 2).sum(axis=1)
    c = sw - (w * w).sum(axis=1) / sw
    tau2 = np.maximum(0.0, (q - (y.shape[1] - 1)) / c)
    ws = 1.0 / (v + tau2[:, None])
    est = (ws * y).sum(axis=1) / ws.sum(axis=1)
    se = np.sqrt(1.0 / ws.sum(axis=1))
    return est, se, tau2


def main():
    rng = np.random.Generator(np.random.Philox(key=1))
    vi = rng.uniform(0.01, 0.1, (N, K))
    yi = rng.normal(0.0, np.sqrt(0.1), (N, 1)) + rng.normal(size=(N, K)) * np.sqrt(vi)
    y, v = yi.ravel(), vi.ravel()
    offsets = np.arange(0, N * K + 1, K, dtype=np.int64)
    print(f"{N} analyses of k = {K}, {os.cpu_count()} cores")

    rows = []
    t_reml, reml = best_of(lambda: evident.batch_arrays(y, v, offsets, method="REML"))
    rows.append(("evident.batch_arrays REML", t_reml, N))
    t_dl, dl = best_of(lambda: evident.batch_arrays(y, v, offsets, method="DL"))
    rows.append(("evident.batch_arrays DL", t_dl, N))
    t_np, (est, se, tau2) = best_of(lambda: numpy_dl(yi, vi))
    rows.append(("numpy vectorised DL", t_np, N))
    rel = np.max(np.abs(est - dl["estimate"].to_numpy()) / np.maximum(1e-300, np.abs(est)))
    try:
        from statsmodels.stats.meta_analysis import combine_effects

        def sm():
            return [combine_effects(yi[j], vi[j], method_re="dl").mean_effect_re for j in range(N_SM)]

        t_sm, sm_est = best_of(sm, repeat=1)
        rows.append((f"statsmodels combine_effects DL ({N_SM} analyses)", t_sm, N_SM))
        sm_rel = np.max(np.abs(np.array(sm_est) - dl["estimate"].to_numpy()[:N_SM]) / np.abs(sm_est))
    except ImportError:
        sm_rel = None
        print("statsmodels is not installed: its line is skipped")

    for name, t, n in rows:
        print(f"  {name:48s} {t:8.3f} s  {n / t:13,.0f} analyses/s")
    print(f"  evident REML vs numpy DL: {t_np / t_reml * N / N:.2f} x the analyses a second")
    print(f"  evident DL vs numpy DL:   {t_np / t_dl:.2f} x")
    print(f"  agreement: evident DL vs numpy DL estimate, max relative difference {rel:.1e}"
          + (f"; statsmodels {sm_rel:.1e}" if sm_rel is not None else ""))
    if os.environ.get("DASK", "1") != "0":
        dask_part()


def dask_part():
    from distributed import Client, LocalCluster

    n = int(os.environ.get("DASK_N", 1_000_000))
    part = 100_000
    print(f"dask: {n} REML analyses of k = {K} in partitions of {part}, simulated on the workers")
    rates = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cl, \
                Client(cl) as client:
            ddf = evident.dask.simulate(analyses=n, k=K, partition_size=part, seed=1).persist()
            client.wait_for_workers(workers)
            ddf = ddf.persist()
            from distributed import wait
            wait(ddf)
            t, _ = best_of(lambda: evident.dask.batch(ddf, by="id", threads=1, check=False)
                           .persist().count().compute(), repeat=2)
            rates[workers] = n / t
            print(f"  {workers} worker(s): {t:.3f} s, {n / t:,.0f} analyses/s")
            if workers == 2:
                tiny = evident.dask.simulate(analyses=400 * 10, k=K, partition_size=10, seed=2).persist()
                wait(tiny)
                t_tiny, _ = best_of(lambda: evident.dask.batch(tiny, by="id", threads=1, check=False)
                                    .count().compute(), repeat=2)
                overhead = t_tiny / 400 * workers
                print(f"  per-task overhead: {overhead * 1e3:.1f} ms (400 tasks of 10 analyses, "
                      f"{t_tiny:.3f} s on 2 workers)")
    print(f"  scaling 1 -> 2 workers: {rates[2] / rates[1]:.2f} x")
    per_core = rates[2] / 2
    print(f"  a 100-node cluster of 2-core workers, by these figures: {per_core * 200:,.0f} "
          f"analyses/s, 10^9 analyses in {1e9 / (per_core * 200):.0f} s plus "
          f"{1e9 / part:.0f} tasks x {overhead * 1e3:.1f} ms / 200 cores = "
          f"{1e9 / part * overhead / 200:.1f} s of task overhead")


if __name__ == "__main__":
    main()
