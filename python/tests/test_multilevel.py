"""Multilevel models from Python (evident.rma with random=...): the command line's numbers to the
last digit, metafor's rma.mv values from the committed reference files, and the options refused
where multilevel models do not apply yet."""

from __future__ import annotations

import io
import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import evident
from conftest import REFERENCE, cli_json, without_source

KONSTANTOPOULOS = REFERENCE / "data" / "multilevel_konstantopoulos2011.csv"


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
    assert without_source(res.to_dict()) == without_source(want)


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


def test_batch_fits_each_analysis_as_the_command_line(tmp_path):
    frame = pd.read_csv(KONSTANTOPOULOS)
    two = pd.concat([frame.assign(id="a"), frame.assign(id="b", yi=frame.yi * 0.5)])
    res = evident.batch(two, by="id", random="~ 1 | district/school")
    assert list(res["id"]) == ["a", "b"]
    assert "sigma2_2" in res.columns and "tau2" not in res.columns
    path = tmp_path / "two.csv"
    two.to_csv(path, index=False)
    rows = subprocess.run([os.environ.get("EVIDENT_CLI", "evident"), "batch", str(path), "--by",
                           "id", "--random", "~ 1 | district/school", "--out", "-"],
                          capture_output=True, text=True, check=True).stdout
    want = pd.read_csv(io.StringIO(rows), float_precision="round_trip")
    for column in ("estimate", "se", "sigma2_1", "sigma2_2", "logLik"):
        assert list(res[column]) == list(want[column])


def test_batch_arrays_refuses_a_multilevel_model():
    with pytest.raises(ValueError, match="random"):
        evident.batch_arrays(np.array([0.1, 0.2]), np.array([0.01, 0.02]),
                             np.array([0, 2], dtype=np.int64), random="~ 1 | study")


def test_forest_and_funnel_plots(tmp_path):
    frame = pd.read_csv(KONSTANTOPOULOS)
    res = evident.rma(yi="yi", vi="vi", data=frame, random="~ 1 | district/school",
                      profile=False)
    forest = res.forest(str(tmp_path / "forest.svg"))
    funnel = res.funnel(str(tmp_path / "funnel.svg"))
    for path in (forest, funnel):
        text = open(path).read()
        assert text.startswith("<?xml") and "<svg" in text
    with_mods = evident.rma(yi="yi", vi="vi", data=frame, random="~ 1 | district/school",
                            mods="year_c", profile=False)
    with pytest.raises(evident.InputError, match="funnel"):
        with_mods.funnel(str(tmp_path / "never.svg"))


BERKEY = REFERENCE / "data" / "multilevel_berkey1998.csv"


@pytest.mark.parametrize("struct", ["UN", "HCS", "CS", "AR", "DIAG"])
def test_a_struct_equals_the_command_line_and_metafor(struct):
    # A correlated random effect (random="~ inner | outer", struct=...), as `evident fit
    # --random "~ outcome | trial" --struct ...`; UN's rho is the full correlation matrix.
    frame = pd.read_csv(BERKEY)
    options = {"random": "~ outcome | trial", "struct": struct, "mods": "outcome"}
    res = evident.rma(yi="yi", vi="vi", data=frame, **options)
    want = cli_json("fit", BERKEY, "--random", "~ outcome | trial", "--struct", struct,
                    "--mods", "outcome")
    assert without_source(res.to_dict()) == without_source(want)
    assert res.to_dict()["struct"]["levels"] == ["AL", "PD"]
    cases = json.loads((REFERENCE / "expected" / "multilevel_berkey1998.json").read_text())
    case = next((c for c in cases["cases"] if c["name"] == f"struct_{struct}_outcome_REML_outcome"),
                None)
    if case is not None:
        assert res.tau2 == pytest.approx(case["expected"]["tau2"], rel=1e-6)
        assert np.array(res.rho, dtype=float) == pytest.approx(
            np.array(case["expected"]["rho"], dtype=float), rel=1e-6)


def test_batch_refuses_a_struct():
    frame = pd.read_csv(BERKEY).assign(id=1)
    with pytest.raises(ValueError, match="struct"):
        evident.batch(frame, by="id", random="~ outcome | trial", struct="UN")


ASSINK = REFERENCE / "data" / "multilevel_assink2016.csv"


def test_cr2_test_of_two_moderators_equals_clubsandwich():
    # CR2's omnibus test of two moderator coefficients (HTZ), from Python as from the command
    # line, against metafor's robust(..., clubSandwich = TRUE) in the reference file.
    frame = pd.read_csv(ASSINK)
    res = evident.rma(yi="yi", vi="vi", data=frame, random="~ 1 | study/esid", mods="deltype",
                      robust="study", small_sample="CR2")
    want = cli_json("fit", ASSINK, "--random", "~ 1 | study/esid", "--mods", "deltype",
                    "--robust", "study", "--small-sample", "CR2")
    assert without_source(res.to_dict()) == without_source(want)
    cases = json.loads((REFERENCE / "expected" / "multilevel_assink2016.json").read_text())
    case = next(c for c in cases["cases"] if c["name"] == "deltype_robust_CR2_REML_z")
    robust = res.to_dict()["robust"]
    for key in ("QM", "QM_ddf", "QM_p"):
        assert robust[key] == pytest.approx(case["expected"]["robust"][key], rel=1e-6)
    assert robust["QM_df"] == 2
