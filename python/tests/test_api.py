"""The package's functions: escalc, rma and its methods, plots, errors, batch, batch_arrays."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import evident
from evident import _core

from conftest import REFERENCE, REPO, cli_json, run_cli

BCG = REFERENCE / "data" / "bcg.csv"


@pytest.fixture(scope="module")
def bcg():
    return pd.read_csv(BCG, float_precision="round_trip")


def metafor_case(name: str, args: list[str]) -> dict:
    doc = json.loads((REFERENCE / "expected" / name).read_text())
    for case in doc["cases"]:
        if case["args"] == args:
            return case["expected"]
    raise KeyError(args)


def test_escalc_with_metafor_names_and_mapping(bcg):
    renamed = bcg.rename(columns={"ai": "tpos", "bi": "tneg", "ci": "cpos", "di": "cneg"})
    dat = evident.escalc(renamed, measure="RR", ai="tpos", bi="tneg", ci="cpos", di="cneg")
    assert list(dat.columns[-2:]) == ["yi", "vi"]
    assert len(dat) == len(bcg)
    # metafor: escalc("RR", ai=tpos, ...)$yi[1] for Aronson 1948.
    assert dat["yi"].iloc[0] == pytest.approx(np.log((4 / 123) / (11 / 139)), rel=1e-12)
    assert dat.attrs["measure"] == "RR"
    # The same numbers as the command line's studies.
    doc = cli_json("fit", BCG, "--measure", "RR")
    assert dat["yi"].tolist() == [s["yi"] for s in doc["studies"]]
    assert dat["vi"].tolist() == [s["vi"] for s in doc["studies"]]


def test_rma_on_escalc_equals_metafor_and_the_cli(bcg):
    dat = evident.escalc(bcg, measure="RR")
    res = evident.rma("yi", "vi", data=dat, method="REML", test="knha")
    expected = metafor_case("bcg_RR.json", ["--measure", "RR", "--method", "REML", "--test", "knha"])
    for key in ("estimate", "se", "tval", "pval", "ci_lb", "ci_ub", "tau2", "I2", "H2", "Q"):
        assert getattr(res, key) == pytest.approx(expected[key], rel=1e-6), key
    # Raw data and the measure give the same pooled numbers as yi and vi.
    raw = evident.rma(data=bcg, measure="RR", method="REML", test="knha")
    assert raw.estimate == res.estimate and raw.tau2 == res.tau2
    assert "tau2" in dir(res) and res.to_dict()["k"] == 13
    with pytest.raises(AttributeError):
        res.no_such_key


def test_print_summary_frame_and_predict(bcg):
    res = evident.rma(data=bcg, measure="RR")
    text = str(res)
    assert text == run_cli("fit", BCG, "--measure", "RR").stdout.replace(str(BCG), "<data frame>")
    assert "tau^2" in text or "tau2" in text
    assert repr(res.summary()) == text
    frame = res.to_frame()
    assert len(frame) == 1 and frame["estimate"].iloc[0] == res.estimate
    assert len(res.studies_frame()) == 13
    p = res.predict()
    assert p["pred"] == res.estimate and p["pi_lb"] == res.pi_lb
    assert p["back_transformed"]["estimate"] == pytest.approx(np.exp(res.estimate), rel=1e-12)


def test_meta_regression_subgroups_mh_peto(bcg):
    reg = evident.rma(data=bcg, measure="RR", mods="~ ablat + year")
    doc = cli_json("fit", BCG, "--measure", "RR", "--mods", "ablat,year")
    assert reg.to_dict()["coefficients"] == doc["coefficients"]
    pred = reg.predict({"ablat": 30, "year": 1970})
    cli_pred = cli_json("fit", BCG, "--measure", "RR", "--mods", "ablat,year", "--predict",
                        "ablat=30,year=1970")["predictions"]
    assert pred["pred"].iloc[0] == cli_pred[0]["pred"]
    assert len(reg.to_frame()) == 3  # one row per coefficient
    sub = evident.rma(data=bcg, measure="RR", subgroup="alloc", subgroup_tau2="common")
    assert sub.to_dict()["test"] == cli_json("fit", BCG, "--measure", "RR", "--subgroup", "alloc",
                                             "--subgroup-tau2", "common")["test"]
    for method in ("MH", "PETO"):
        res = evident.rma(data=bcg, method=method)
        assert res.estimate == cli_json("fit", BCG, "--method", method)["estimate"]


def test_influence_and_bias(bcg):
    res = evident.rma(data=bcg, measure="RR")
    inf = res.influence(order="year").to_dict()
    assert inf == {**cli_json("influence", BCG, "--measure", "RR", "--order", "year"),
                   "source": inf["source"]}
    bias = res.bias(predictor="vi").to_dict()
    assert bias["egger"] == cli_json("bias", BCG, "--measure", "RR", "--predictor", "vi")["egger"]


def test_plots(bcg, tmp_path):
    res = evident.rma(data=bcg, measure="RR")
    forest, funnel = tmp_path / "f.png", tmp_path / "f.svg"
    res.forest(str(forest), benefit="lower", title="BCG")
    res.funnel(str(funnel), contours=True)
    assert forest.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in funnel.read_text()[:500]


def test_option_errors_name_the_keyword(bcg):
    with pytest.raises(ValueError, match=r"^method: "):
        evident.rma(data=bcg, measure="RR", method="XYZ")
    with pytest.raises(ValueError, match=r"^level: "):
        evident.rma(data=bcg, measure="RR", level=150)
    with pytest.raises(ValueError, match=r"^predict: .*needs mods"):
        evident.rma(data=bcg, measure="RR", predict={"ablat": 3})
    with pytest.raises(ValueError, match=r"^method: .*inverse-variance"):
        evident.rma(data=bcg, method="MH", mods="ablat")
    with pytest.raises(TypeError, match="unexpected keyword argument 'methd'"):
        evident.rma(data=bcg, measure="RR", methd="DL")


def test_input_errors_are_the_cli_messages(bcg, tmp_path):
    bad = bcg.copy()
    bad.loc[2, "bi"] = -5
    with pytest.raises(evident.InputError) as info:
        evident.rma(data=bad, measure="RR")
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert message.startswith("<data frame>:3:")  # row 3, as a data frame counts from 1
    # The command line says the same of the same data, with its file name and line (row + 1).
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    cli = run_cli("fit", path, "--measure", "RR")
    assert cli.returncode == 2
    assert message.split(": ", 1)[1] in cli.stderr
    assert info.value.problems[0][1:3] == (3, 3)  # row 3, column 3 (bi)
    with pytest.raises(evident.InputError, match="no column|needs"):
        evident.rma(data=bcg[["study", "year"]], measure="RR")


# ---- batch ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "sim.csv"
    assert run_cli("simulate", "--analyses", "3000", "--k", "7", "--seed", "5", "--out", path).returncode == 0
    return path


def cli_batch(path, tmp, *args) -> pd.DataFrame:
    out = tmp / "rows.csv"
    r = run_cli("batch", path, "--by", "id", "--out", out, *args)
    assert r.returncode == 0, r.stderr
    return pd.read_csv(out, float_precision="round_trip", keep_default_na=False, na_values=["NA"])


def assert_same_rows(ours: pd.DataFrame, theirs: pd.DataFrame):
    assert list(ours.columns) == list(theirs.columns)
    assert len(ours) == len(theirs)
    for name in ours.columns:
        a, b = ours[name], theirs[name]
        if pd.api.types.is_numeric_dtype(b) and pd.api.types.is_numeric_dtype(a):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            if name in ("k", "iterations"):
                x = np.where(x < 0, np.nan, x)
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), name


@pytest.mark.parametrize("args", [{}, {"method": "DL"}, {"method": "PM", "test": "knha"}])
def test_batch_equals_the_cli_batch(simulated, tmp_path, args):
    df = pd.read_csv(simulated, float_precision="round_trip")
    ours = evident.batch(df, by="id", **args)
    words = [w for k, v in args.items() for w in (f"--{k}", v)]
    assert_same_rows(ours, cli_batch(simulated, tmp_path, *words))
    # One thread or all: the same numbers.
    assert_same_rows(evident.batch(df, by="id", threads=1, **args), ours)


def test_batch_of_raw_tables_goes_through_the_cli_reader(tmp_path):
    rng = np.random.default_rng(3)
    n1, n2 = rng.integers(20, 200, 800), rng.integers(20, 200, 800)
    df = pd.DataFrame({"id": np.repeat(np.arange(1, 101), 8), "ai": rng.integers(0, 10, 800),
                       "n1i": n1, "ci": rng.integers(0, 12, 800), "n2i": n2})
    df.loc[5, "ai"] = 500  # more events than participants: that analysis's error only
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    ours = evident.batch(df, by="id", measure="OR", method="DL")
    theirs = cli_batch(path, tmp_path, "--measure", "OR", "--method", "DL")
    # The same rows; the error names the frame's CSV line (header line 1) as the file's.
    theirs["error"] = theirs["error"].str.replace(str(path), "<data frame>", regex=False)
    assert_same_rows(ours, theirs)
    assert ours["error"].iloc[0] != "" and (ours["error"].iloc[1:] == "").all()


def test_batch_arrays_reads_in_place_and_checks(simulated):
    df = pd.read_csv(simulated, float_precision="round_trip")
    yi, vi = df["yi"].to_numpy(), df["vi"].to_numpy()
    offsets = np.arange(0, len(yi) + 1, 7, dtype=np.int64)
    tracemalloc.start()
    out = _core.batch_arrays(yi, vi, offsets, {"method": "REML"}, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < yi.nbytes / 4  # no copy of the inputs was made
    assert out["estimate"].base is not None  # the result owns the core's buffer, not a copy
    frame = evident.batch_arrays(yi, vi, offsets)
    assert frame["estimate"].tolist() == out["estimate"].tolist()
    with pytest.raises(TypeError, match="C-contiguous float64"):
        evident.batch_arrays(yi[::2], vi[::2], offsets[: len(offsets) // 2])
    with pytest.raises(TypeError, match="float64"):
        evident.batch_arrays(yi.astype(np.float32), vi, offsets)
    with pytest.raises(evident.InputError, match="offsets must start at 0"):
        evident.batch_arrays(yi, vi, offsets[:-1])
    with pytest.raises(ValueError, match="^method: "):
        evident.batch_arrays(yi, vi, offsets, method="nope")


def test_batch_arrays_releases_the_gil():
    # While one thread fits, this one keeps running Python: with the GIL held through the call it
    # would stall for the whole call.
    rng = np.random.default_rng(1)
    yi, vi = rng.normal(size=400_000 * 10), rng.uniform(0.01, 0.1, 400_000 * 10)
    offsets = np.arange(0, len(yi) + 1, 10, dtype=np.int64)
    done = threading.Event()
    spans = []

    def work():
        start = time.perf_counter()
        _core.batch_arrays(yi, vi, offsets, {}, 1)
        spans.append(time.perf_counter() - start)
        done.set()

    t = threading.Thread(target=work)
    gaps, last = [], time.perf_counter()
    t.start()
    while not done.is_set():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    t.join()
    assert max(gaps) < spans[0] / 2, (max(gaps), spans[0])
