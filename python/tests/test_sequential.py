"""evident.sequential: the trial sequential analysis the command line gives, to the last digit,
from a data frame; its options through the core's table; the TSA plot."""

from __future__ import annotations

import pandas as pd
import pytest

import evident
from conftest import REFERENCE, cli_json, without_source


BCG = REFERENCE / "data" / "bcg.csv"


@pytest.mark.parametrize("options", [
    {"measure": "RR"},
    {"measure": "RR", "method": "DL", "rrr": 0.3, "power": 0.9, "heterogeneity": "none",
     "futility": "binding"},
    {"measure": "OR", "order": "year", "boundary": "pocock", "control_risk": 0.05},
])
def test_equals_the_command_line(options):
    frame = pd.read_csv(BCG)
    res = evident.sequential(data=frame, **options)
    args = []
    for k, v in options.items():
        args += ["--" + k.replace("_", "-"), str(v)]
    want = cli_json("sequential", BCG, *args)
    assert without_source(res.to_dict()) == without_source(want)
    assert res.conclusion == want["conclusion"]
    assert len(res.looks) == 13


def test_bad_option_names_the_keyword():
    frame = pd.read_csv(BCG)
    with pytest.raises(ValueError, match="power"):
        evident.sequential(data=frame, measure="RR", power=1.5)
    with pytest.raises(TypeError):
        evident.sequential(data=frame, measure="RR", no_such_option=1)


def test_generic_effect_sizes_are_a_bad_input():
    with pytest.raises(evident.InputError, match="participants"):
        evident.sequential(yi=[0.1, 0.3], vi=[0.02, 0.05])


def test_tsa_plot(tmp_path):
    frame = pd.read_csv(BCG)
    res = evident.sequential(data=frame, measure="RR")
    path = res.tsa_plot(str(tmp_path / "tsa.svg"))
    text = open(path).read()
    assert text.startswith("<?xml") and "<svg" in text
