"""Many meta-analyses at once: ``batch`` on a long data frame, ``batch_arrays`` on numpy arrays."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from . import _columns, _core

# The analysis options that change how effect sizes are computed: with any of them (or without
# yi and vi columns) a batch goes through the command line's own reader.
_EFFECT_OPTIONS = {"measure", "add", "to", "drop00", "multiarm", "transf"}
# A multilevel model needs its grouping columns: it goes through the command line's reader.
_MULTILEVEL_OPTIONS = {
    "random", "rho", "cluster", "obs", "V", "robust", "small_sample", "profile", "struct"
}
_TEXT_COLUMNS = ("termination", "diagnostics", "error")


def _frame(columns: dict, ids=None, by=None) -> pd.DataFrame:
    data = {}
    if by is not None:
        data[by] = ids
    for name, value in columns.items():
        if isinstance(value, tuple):  # a categorical: (codes, categories)
            codes, categories = value
            value = pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))
        data[name] = value
    return pd.DataFrame(data, copy=False)


def batch_arrays(yi, vi, offsets, *, threads: int = 0, **options) -> pd.DataFrame:
    """Fits analysis j to ``yi[offsets[j]:offsets[j+1]]`` and ``vi`` over the same range, for
    every j, on all cores (``threads=0``) with the GIL released, reading the arrays in place:
    they must be 1-D C-contiguous float64 (``offsets`` int64), or TypeError, since a silent copy of
    10^8 studies would double the memory. Options: method, test, level (as ``evident fit``).

    Returns one row per analysis with the columns of ``evident batch`` (k, estimate, se, zval or
    tval, pval, ci_lb, ci_ub, pi_lb, pi_ub, tau2, tau2_se, I2, H2, Q, Q_df, Q_p, iterations,
    termination, diagnostics, error), with the numbers ``evident batch`` writes for the same
    studies, whatever the number of threads. An analysis that cannot be fitted has its message in
    ``error`` and NaN or -1 elsewhere; termination, diagnostics and error are categoricals."""
    out = _core.batch_arrays(yi, vi, offsets, _columns.core_options(options), int(threads))
    return _frame(out)


def _runs(ids: np.ndarray) -> np.ndarray:
    """Where each run of equal ids starts, and the end: offsets."""
    n = len(ids)
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    return np.concatenate(([0], change, [n])).astype(np.int64)


def batch(data: pd.DataFrame, by: str = "id", *, threads: int = 0, **options) -> pd.DataFrame:
    """``evident batch`` on a long data frame: one row per study, the analysis id in column
    ``by`` (or the index of that name), the rows of one analysis contiguous. Options are those of
    ``evident fit`` (measure, method, test, level, add, to, ...); raw data (ai, bi, ...; m1i, ...)
    takes a measure as there.

    Returns one row per analysis, in input order: the id, then the columns of ``batch_arrays``.
    With ``yi`` and ``vi`` columns and no effect-size option the arrays are read in place
    (batch_arrays); otherwise the frame goes through the command line's reader as CSV text, so
    every number is the one ``evident batch`` writes. A bad analysis has its error in its own row;
    an id that reappears after other ids starts a new row with an error, as in ``evident batch``."""
    if by not in data.columns:
        if data.index.name == by:
            data = data.reset_index()
        else:
            raise KeyError(f"by={by!r}: no column {by!r} in data")
    ids = data[by].to_numpy()
    offsets = _runs(ids)
    run_ids = ids[offsets[:-1]]
    opts = _columns.core_options(options)
    fast = (
        "yi" in data.columns
        and "vi" in data.columns
        and not ((_EFFECT_OPTIONS | _MULTILEVEL_OPTIONS) & set(opts))
        and pd.Series(run_ids).is_unique
        and pd.api.types.is_float_dtype(data["yi"].dtype)
        and pd.api.types.is_float_dtype(data["vi"].dtype)
    )
    if fast:
        yi = np.ascontiguousarray(data["yi"].to_numpy(dtype=np.float64))
        vi = np.ascontiguousarray(data["vi"].to_numpy(dtype=np.float64))
        out = _core.batch_arrays(yi, vi, offsets, opts, int(threads))
        return _frame(out, run_ids, by)
    text = data.to_csv(index=False)
    rows = _core.batch_csv(text, by, opts, int(threads), "<data frame>")
    frame = pd.read_csv(io.StringIO(rows), float_precision="round_trip", keep_default_na=False,
                        na_values=["NA"], dtype={by: object})
    if len(frame) == len(run_ids):
        frame[by] = run_ids
    if _MULTILEVEL_OPTIONS & set(opts):
        return frame  # its own columns (sigma2_1, ...), as `evident batch --random` writes them
    # The column types of the arrays path (the core's: counts are int64, -1 when missing).
    empty = _frame(_core.batch_arrays(_NO_STUDIES, _NO_STUDIES, _NO_OFFSETS, _fit_options(opts)))
    for name, dtype in empty.dtypes.items():
        if name not in frame.columns:
            continue
        if isinstance(dtype, pd.CategoricalDtype):
            frame[name] = pd.Categorical(frame[name].astype(str))
        elif pd.api.types.is_integer_dtype(dtype):
            frame[name] = frame[name].fillna(-1).astype(dtype)
    return frame


_NO_STUDIES = np.empty(0, dtype=np.float64)
_NO_OFFSETS = np.zeros(1, dtype=np.int64)


def _fit_options(opts: dict) -> dict:
    # The columns depend on the test only (zval or tval).
    return {k: v for k, v in opts.items() if k == "test"}
