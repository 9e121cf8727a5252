"""Multilevel models from Python (evident.rma with random=...): the command line's numbers to the
last digit, metafor's rma.mv values from the committed reference files, and the options refused
where multilevel models do not apply yet."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import evident
from conftest import REFERENCE, cli_json

KONSTANTOPOULOS = REFERENCE / "data" / "multilevel_konstantopoulos2011.csv"


def _without_source(doc: dict) -> dict:
    doc = dict(doc)
    doc.pop("source", None)
    doc["diagnostics"] = [{k: v for k, v in d.items() if k not in ("line", "source")}
                          for d in doc.get("diagnostics", [])]
    return doc


@pytest.mark.parametrize("options", [
    {"random": "~ 1 | district/school"},
    {"random": "~ 1 | district/school", "method": "ML", "test": "t"},
    {"random": "~ 1 | district/school", "mods": "year_c", "robust": "district",
     "small_sample": "CR2"},
])
def test_equals_the_command_line(options):
    frame = pd.read_csv(KONSTANTOPOULOS)
    res = evident.rma(yi="yi", vi="vi", data=frame, **options)
    args = []
    for k, v in options.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    want = cli_json("fit", KONSTANTOPOULOS, *args)
    assert _without_source(res.to_dict()) == _without_source(want)


def test_equals_metafor():
    cases = json.loads((REFERENCE / "expected" / "multilevel_konstantopoulos2011.json").read_text())
    case = next(c for c in cases["cases"] if c["name"] == "REML_z")
    frame = pd.read_csv(KONSTANTOPOULOS)
    res = evident.rma(yi="yi", vi="vi", data=frame, random=["~ 1 | district/school"])
    for got, want in zip(res.sigma2, case["expected"]["sigma2"]):
        assert got == pytest.approx(want, rel=1e-6)
    assert res.estimate == pytest.approx(case["expected"]["estimate"], rel=1e-6)
    assert res.sigma2_names == ["district", "district/school"]


def test_what_does_not_apply_yet_is_refused():
    frame = pd.read_csv(KONSTANTOPOULOS)
    with pytest.raises(ValueError, match="subgroup"):
        evident.rma(yi="yi", vi="vi", data=frame, random="~ 1 | district", subgroup="year")
    with pytest.raises(ValueError, match="REML or ML"):
        evident.rma(yi="yi", vi="vi", data=frame, random="~ 1 | district", method="DL")
    with pytest.raises(ValueError, match="multilevel"):
        evident.rma(yi="yi", vi="vi", data=frame, test="t")
