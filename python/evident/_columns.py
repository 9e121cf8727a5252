"""Data frames and arrays as the core's columns, and keyword arguments as its parameters.

A call's keyword arguments are of two kinds, told apart by name as the core tells them: study
columns (metafor's argument names: yi, vi, sei, ai, bi, ..., from ``_core.study_column_names()``,
plus metafor's ``slab`` for the ``study`` labels) and parameters of the core's tables (measure,
method, test, mods, ...). Nothing here knows a parameter: options pass through as typed values and
the core's tables check them.
"""

from __future__ import annotations

import numbers
from typing import Any, Mapping

import numpy as np
import pandas as pd

from . import _core

STUDY_COLUMNS = frozenset(_core.study_column_names())
# metafor's name for the study labels.
_ALIASES = {"slab": "study"}


def split_kwargs(kwargs: Mapping[str, Any]) -> tuple[dict, dict]:
    """(study columns, options) of a call's keyword arguments."""
    columns, options = {}, {}
    for name, value in kwargs.items():
        target = _ALIASES.get(name, name)
        if target in STUDY_COLUMNS:
            columns[target] = value
        else:
            options[name] = value
    return columns, options


def table_columns(data, mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of a call: every column of ``data`` under its own name, then each mapped
    study column (a column name of ``data``, or values) under metafor's name."""
    out: dict[str, Any] = {}
    if data is not None:
        if not isinstance(data, pd.DataFrame):
            data = pd.DataFrame(data)
        for name in data.columns:
            if str(name) not in mapping:
                out[str(name)] = data[name]
    for name, value in mapping.items():
        if value is None:
            continue
        if isinstance(value, str):
            if data is None or value not in data.columns:
                raise KeyError(f"{name}={value!r}: no column {value!r} in data")
            out[name] = data[value]
        else:
            out[name] = value
    return out


def _is_text(values) -> bool:
    return not (np.issubdtype(values.dtype, np.number) or values.dtype == np.bool_)


def core_columns(columns: Mapping[str, Any]) -> tuple[list, list, list, list, int]:
    """(numbers, integers, texts, order, rows) as _core takes them: float64 arrays (NaN missing),
    int64 arrays, lists of str ("" missing), and every name in the frame's order (so a message's
    column number counts as the frame does)."""
    numbers_, integers, texts = [], [], []
    rows = None
    for name, raw in columns.items():
        if isinstance(raw, pd.Series):
            series = raw
        else:
            series = pd.Series(np.asarray(raw) if not isinstance(raw, list) else raw)
        if rows is None:
            rows = len(series)
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype) or dtype == object or pd.api.types.is_string_dtype(dtype):
            texts.append((name, ["" if pd.isna(v) else str(v) for v in series.tolist()]))
        elif pd.api.types.is_bool_dtype(dtype) and not series.isna().any():
            integers.append((name, series.to_numpy(dtype=np.int64)))
        elif pd.api.types.is_integer_dtype(dtype) and not series.isna().any():
            integers.append((name, series.to_numpy(dtype=np.int64)))
        elif pd.api.types.is_numeric_dtype(dtype):
            numbers_.append((name, series.to_numpy(dtype=np.float64, na_value=np.nan)))
        else:
            texts.append((name, ["" if pd.isna(v) else str(v) for v in series.tolist()]))
    return numbers_, integers, texts, list(columns), rows or 0


def _plain(value):
    """A Python value of the kinds the parameter tables take (numpy scalars made plain)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _formula_terms(formula: str) -> list[str]:
    """metafor's ``mods = ~ a + b`` as the core's terms: ["a", "b"]."""
    rhs = formula.strip()
    if rhs.startswith("~"):
        rhs = rhs[1:]
    return [t.strip() for t in rhs.split("+") if t.strip() and t.strip() != "1"]


def _assignments(point) -> str:
    """{"ablat": 30, "alloc": "random"} as the core's "ablat=30,alloc=random"."""
    if isinstance(point, str):
        return point
    return ",".join(f"{k}={_plain(v)}" for k, v in dict(point).items())


def core_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments in the shapes the core's tables take. Only shapes change (a formula to
    a list of terms, dicts to name=value texts); every name and value is checked by the core."""
    out = {}
    for name, value in options.items():
        if value is None:
            continue
        if name == "mods" and isinstance(value, str) and "~" in value:
            value = _formula_terms(value)
        elif name == "ref" and isinstance(value, Mapping):
            value = [f"{k}={v}" for k, v in value.items()]
        elif name == "predict":
            if isinstance(value, Mapping):
                value = [_assignments(value)]
            elif isinstance(value, (list, tuple)):
                value = [_assignments(p) for p in value]
        out[name] = _plain(value)
    return out
