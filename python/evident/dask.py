"""evident on a dask cluster: ``batch`` on a dask DataFrame, and simulated data generated on the
workers.

    from dask.distributed import Client, LocalCluster
    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    ddf = evident.dask.simulate(analyses=10**6, k=10, partition_size=100_000, seed=1)
    res = evident.dask.batch(ddf, by="id", method="REML").compute()
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import dask.dataframe as dd
from dask.dataframe.utils import clear_known_categories

from . import _batch


def _partition_batch(part: pd.DataFrame, by: str, threads: int, options: dict) -> pd.DataFrame:
    return _batch.batch(part, by, threads=threads, **options)


def _edges(part: pd.DataFrame, by: str) -> pd.DataFrame:
    ids = part.index if by not in part.columns else part[by]
    ids = ids.to_numpy()
    if len(ids) == 0:
        return pd.DataFrame({"first": pd.Series([], dtype=object), "last": pd.Series([], dtype=object)})
    return pd.DataFrame({"first": [ids[0]], "last": [ids[-1]]}, dtype=object)


def check_partitions(ddf: dd.DataFrame, by: str = "id") -> None:
    """Raises ValueError when an analysis spans two partitions (its last rows in one, its first
    in the next): each partition is fitted on its own. Reads the id column once."""
    meta = pd.DataFrame({"first": pd.Series([], dtype=object), "last": pd.Series([], dtype=object)})
    edges = ddf.map_partitions(_edges, by, meta=meta).compute()
    firsts, lasts = edges["first"].tolist(), edges["last"].tolist()
    for i in range(1, len(firsts)):
        if firsts[i] == lasts[i - 1]:
            raise ValueError(
                f"analysis {by}={firsts[i]!r} spans two partitions; partition by {by} so that no "
                f"analysis is split (e.g. dd.from_pandas(df.set_index({by!r}), npartitions=n, "
                f"sort=True), or repartition at id boundaries)")


def batch(ddf: dd.DataFrame, by: str = "id", *, threads: int = 0, check: bool = True,
          **options) -> dd.DataFrame:
    """``evident.batch`` on every partition of a dask DataFrame (map_partitions): one row per
    analysis, the same numbers as the local batch of the same data. No analysis may span two
    partitions; ``check=True`` verifies that first (one pass over the id column) and raises
    ValueError otherwise. ``by`` may be a column or the index's name. ``threads``: per task
    (0: one per core of the worker; with several worker processes per machine give 1)."""
    if check:
        check_partitions(ddf, by)
    meta = _batch.batch(ddf._meta, by, threads=1, **options)
    meta = clear_known_categories(meta)
    return ddf.map_partitions(_partition_batch, by, threads, options, meta=meta,
                              enforce_metadata=False)


def simulate_partition(partition: int, *, partition_size: int, analyses: int, k: int = 10,
                       mu: float = 0.0, tau2: float = 0.1, vi_min: float = 0.01,
                       vi_max: float = 0.1, seed: int = 1) -> pd.DataFrame:
    """One partition of ``simulate``: analyses ``partition * partition_size + 1`` onwards, drawn
    from the random-effects model of ``evident simulate`` (vi uniform on [vi_min, vi_max], yi =
    mu + N(0, tau2) + N(0, vi)) with a counter-based generator (Philox keyed by the seed, its
    counter starting at the partition index): the data depend only on the seed, partition_size
    and the partition, never on which worker draws them or how many there are."""
    first = partition * partition_size
    n = max(0, min(partition_size, analyses - first))
    rng = np.random.Generator(np.random.Philox(key=seed, counter=[0, 0, 0, partition]))
    vi = vi_min + (vi_max - vi_min) * rng.random((n, k))
    theta = mu + np.sqrt(tau2) * rng.standard_normal((n, 1))
    yi = theta + np.sqrt(vi) * rng.standard_normal((n, k))
    return pd.DataFrame({
        "id": np.repeat(np.arange(first + 1, first + n + 1, dtype=np.int64), k),
        "study": np.tile(np.arange(1, k + 1, dtype=np.int64), n),
        "yi": yi.ravel(),
        "vi": vi.ravel(),
    })


def simulate(analyses: int, k: int = 10, *, partition_size: int = 100_000, mu: float = 0.0,
             tau2: float = 0.1, vi_min: float = 0.01, vi_max: float = 0.1,
             seed: int = 1) -> dd.DataFrame:
    """A dask DataFrame (id, study, yi, vi) of ``analyses`` simulated meta-analyses of ``k``
    studies, generated on the workers (simulate_partition), no analysis split between
    partitions. The numbers are numpy's Philox draws, not those of ``evident simulate``."""
    if analyses < 1 or k < 1 or partition_size < 1:
        raise ValueError("analyses, k and partition_size must be at least 1")
    npart = -(-analyses // partition_size)
    return dd.from_map(simulate_partition, list(range(npart)), partition_size=partition_size,
                       analyses=analyses, k=k, mu=mu, tau2=tau2, vi_min=vi_min, vi_max=vi_max,
                       seed=seed)
