"""evident: exact, fast meta-analysis (metafor's numbers), for Python.

    import evident
    dat = evident.escalc(df, measure="RR", ai="tpos", bi="tneg", ci="cpos", di="cneg")
    res = evident.rma("yi", "vi", data=dat, method="REML", test="knha")
    res.estimate, res.tau2, res.I2; print(res); res.forest("forest.png")
    evident.batch(long_df, by="id", method="REML")          # many analyses at once
    evident.dask.batch(ddf, by="id")                         # on a dask cluster

Options are the command line's, with the same names, values and checks (docs/python.md); they
are declared once in the core's parameter tables, which this package only passes them to.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pandas as pd

from . import _columns, _core
from ._batch import batch, batch_arrays
from ._result import Result, Text

__version__ = _core.__version__
InputError = _core.InputError
"""Bad input (a subclass of ValueError): the message lists every problem as
``source:row:column: problem``, rows counted from 1; ``problems`` holds them as tuples."""

__all__ = ["escalc", "rma", "sequential", "batch", "batch_arrays", "parameters", "Result", "InputError"]


def parameters(kind: str = "fit") -> pd.DataFrame:
    """The keyword arguments of ``rma`` (kind "fit"), ``Result.influence`` ("influence"),
    ``Result.bias`` ("bias") and the plots ("plot"): name, type, help, choices, default, as the
    core's parameter tables declare them (the command line's --help shows the same)."""
    return pd.DataFrame(_core.parameters(kind))


def escalc(data=None, measure: str | None = None, *, var_names=("yi", "vi"), **kwargs) -> pd.DataFrame:
    """Effect sizes and sampling variances, as metafor's escalc: the data frame with ``yi`` and
    ``vi`` added (NaN where a row has none; ``diagnostics`` in ``attrs``).

    Study columns are metafor's arguments, each a column name of ``data`` or values
    (``ai="tpos"``); columns already named so are used as they are. Options: add, to, drop00,
    multiarm, transf (as ``evident fit``)."""
    columns, options = _columns.split_kwargs(kwargs)
    if measure is not None:
        options["measure"] = measure
    cols = _columns.table_columns(data, columns)
    numbers_, integers, texts, order, rows = _columns.core_columns(cols)
    out = _core.escalc(numbers_, integers, texts, order, "<data frame>", rows,
                       _columns.core_options(options))
    frame = pd.DataFrame(data).copy() if data is not None else pd.DataFrame(index=range(rows))
    frame[var_names[0]] = out["yi"]
    frame[var_names[1]] = out["vi"]
    frame.attrs["measure"] = out["measure"]
    frame.attrs["diagnostics"] = out["diagnostics"]
    return frame


def _analyse(kind: str, yi, vi, data, kwargs) -> Result:
    # The study columns (yi, vi and the raw-data columns) and the options of a request of `kind`.
    columns, options = _columns.split_kwargs(kwargs)
    if yi is not None:
        columns["yi"] = yi
    if vi is not None:
        columns["vi"] = vi
    cols = _columns.table_columns(data, columns)
    numbers_, integers, texts, order, _ = _columns.core_columns(cols)
    opts = _columns.core_options(options)
    core = _core.analyse(kind, numbers_, integers, texts, order, "<data frame>", opts)
    return Result(core, kind, opts)


def rma(yi=None, vi=None, *, data=None, **kwargs) -> Result:
    """A meta-analysis, as metafor's rma (and rma.mh, rma.peto with method="MH", "PETO").

    ``yi``, ``vi`` and the other study columns (sei, ai, bi, ci, di, n1i, n2i, m1i, sd1i, ...,
    slab or study) are column names of ``data`` or values; raw data takes ``measure=``. Every
    other keyword is an option of ``evident fit``: measure, method, test, level, add, to, drop00,
    multiarm, transf; mods (a list, "a,b" or a formula "~ a + b"), ref, predict, permutations,
    seed; subgroup, subgroup_tau2. Returns a Result whose attributes are the JSON document's keys.
    Raises InputError for bad data, ValueError naming the keyword for a bad option, TypeError for
    an unknown keyword."""
    return _analyse("fit", yi, vi, data, kwargs)


def sequential(yi=None, vi=None, *, data=None, **kwargs) -> Result:
    """Trial sequential analysis, as ``evident sequential``: the study columns as for ``rma``
    (2x2 tables or two-group means: participants are counted), the analysis options (measure,
    method, test, ...) and order, alpha, power, rrr, control_risk, effect, sd, boundary,
    futility, heterogeneity, benefit. The result's attributes are the JSON document's keys
    (information_size, looks, conclusion, adjusted, ...); ``tsa_plot(path)`` draws it."""
    return _analyse("sequential", yi, vi, data, kwargs)


def __getattr__(name: str) -> Any:
    # evident.dask imports dask only when it is used.
    if name == "dask":
        return importlib.import_module(".dask", __name__)
    raise AttributeError(f"module 'evident' has no attribute {name!r}")
