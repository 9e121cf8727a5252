"""evident.dask on a distributed LocalCluster of 2 workers: the same numbers as the local batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evident

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def test_dask_batch_equals_the_local_batch(client):
    ddf = evident.dask.simulate(analyses=5000, k=6, partition_size=1200, seed=9)
    assert ddf.npartitions == 5
    local = ddf.compute()
    for options in ({}, {"method": "DL", "test": "knha"}):
        expected = evident.batch(local.reset_index(drop=True), by="id", **options)
        got = evident.dask.batch(ddf, by="id", threads=1, **options).compute().reset_index(drop=True)
        pd.testing.assert_frame_equal(got.astype({c: str for c in ("termination", "diagnostics", "error")}),
                                      expected.astype({c: str for c in ("termination", "diagnostics", "error")}),
                                      check_exact=True)


def test_simulation_does_not_depend_on_the_workers(client):
    one = evident.dask.simulate(analyses=300, k=4, partition_size=100, seed=3).compute()
    again = evident.dask.simulate(analyses=300, k=4, partition_size=100, seed=3).compute(scheduler="sync")
    pd.testing.assert_frame_equal(one, again, check_exact=True)
    assert one["id"].tolist() == list(np.repeat(np.arange(1, 301), 4))


def test_an_analysis_split_between_partitions_is_refused(client):
    df = pd.DataFrame({"id": np.repeat([1, 2, 3], 4), "yi": np.linspace(0, 1, 12), "vi": 0.05})
    split = dd.from_pandas(df, npartitions=2, sort=False)  # 6 rows each: id 2 in both
    with pytest.raises(ValueError, match="spans two partitions"):
        evident.dask.batch(split, by="id")
    by_index = dd.from_pandas(df.set_index("id"), npartitions=2, sort=True)
    got = evident.dask.batch(by_index, by="id").compute().reset_index(drop=True)
    assert got["id"].tolist() == [1, 2, 3]
    assert got["estimate"].tolist() == evident.batch(df, by="id")["estimate"].tolist()
