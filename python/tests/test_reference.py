"""Every case of tests/reference/expected/*.json through the package: the same document as the
command line's JSON on the same data (every number to the last digit), and metafor's values
(relative 1e-6, as tests/reference/reference_test.cpp)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import evident

from conftest import REFERENCE, cli_json

REL, ABS = 1e-6, 1e-9
_LOCATION = re.compile(r"^(<data frame>|\S+):[\d,]+(:\d+)?: ")

_TYPES = {}
for _kind in ("fit", "influence", "bias"):
    _TYPES[_kind] = {}
    for _p in evident.parameters(_kind).to_dict("records"):
        for _name in [_p["name"], *_p["aliases"]]:
            _TYPES[_kind][_name] = _p["type"]


def kwargs_of(command: str, args: list[str]) -> dict:
    """The command line's words as keyword arguments, typed as the parameter tables say."""
    out, i = {}, 0
    while i < len(args):
        name = args[i][2:].replace("-", "_")
        j = i + 1
        while j < len(args) and not args[j].startswith("--"):
            j += 1
        words = args[i + 1 : j]
        kind = _TYPES[command][name]
        if kind == "bool":
            value = True if not words else words[-1] == "true"
        elif kind == "float":
            value = float(words[-1])
        elif kind == "int":
            value = int(words[-1])
        elif kind.startswith("list"):
            value = out.get(name, []) + words
        else:
            value = words[-1]
        out[name] = value
        i = j
    # One word is a text the core splits at the parameter's delimiter, as a command line's.
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in out.items()}


def cases():
    for path in sorted((REFERENCE / "expected").glob("*.json")):
        doc = json.loads(path.read_text())
        for n, case in enumerate(doc["cases"]):
            if "expected" not in case:
                continue
            name = case.get("name") or "_".join(a.lstrip("-") for a in case["args"])
            yield pytest.param(doc.get("command", "fit"), doc["input"], case, id=f"{path.stem}-{n}-{name}")


_frames: dict[str, pd.DataFrame] = {}


def frame(input_: str) -> pd.DataFrame:
    if input_ not in _frames:
        _frames[input_] = pd.read_csv(REFERENCE / input_, float_precision="round_trip")
    return _frames[input_]


def python_doc(command: str, input_: str, args: list[str]) -> dict:
    kwargs = kwargs_of(command, args)
    analysis = {k: v for k, v in kwargs.items() if k in _TYPES["bias"] and k in _TYPES["influence"]}
    if command == "fit":
        return evident.rma(data=frame(input_), **kwargs).to_dict()
    fit = evident.rma(data=frame(input_), **analysis)
    rest = {k: v for k, v in kwargs.items() if k not in analysis}
    return getattr(fit, command)(**rest).to_dict()


def without_locations(doc):
    """The document without what names the input: its source and the studies' lines (a data
    frame's row i is line i + 1, a file's is line i + 2 after the header)."""
    if isinstance(doc, dict):
        return {k: without_locations(v) for k, v in doc.items() if k not in ("source", "line", "lines")}
    if isinstance(doc, list):
        return [without_locations(v) for v in doc]
    if isinstance(doc, str):
        return _LOCATION.sub("", doc)  # a message's "source:line: "
    return doc


def close(expected, actual, path, out):
    if expected is None:
        if actual is not None:
            out.append(f"{path}: expected null, got {actual!r}")
    elif isinstance(expected, bool) or isinstance(expected, str):
        if actual != expected:
            out.append(f"{path}: expected {expected!r}, got {actual!r}")
    elif isinstance(expected, (int, float)):
        if not isinstance(actual, (int, float)) or not (
            abs(expected - actual) <= REL * max(abs(expected), abs(actual)) + ABS):
            out.append(f"{path}: expected {expected!r}, got {actual!r}")
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            out.append(f"{path}: expected {len(expected)} elements, got {actual!r}")
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            close(e, a, f"{path}[{i}]", out)
    elif isinstance(expected, dict):
        for k, v in expected.items():
            if not isinstance(actual, dict) or k not in actual:
                out.append(f"{path}.{k}: missing")
            else:
                close(v, actual[k], f"{path}.{k}", out)


@pytest.mark.parametrize("command,input_,case", list(cases()))
def test_reference_case(cli, command, input_, case):
    ours = python_doc(command, input_, case["args"])
    theirs = cli_json(command, REFERENCE / input_, *case["args"])
    assert without_locations(ours) == without_locations(theirs)
    problems = []
    close(case["expected"], ours, "", problems)
    tolerant = case.get("absolute_tolerance", {})
    problems = [p for p in problems if p.split(":")[0].lstrip(".") not in tolerant]
    assert not problems, "\n".join(problems)
