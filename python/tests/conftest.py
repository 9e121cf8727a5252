"""Shared helpers: the repository, the command line built beside the package, and a runner."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
REFERENCE = REPO / "tests" / "reference"


def cli_path() -> pathlib.Path:
    return pathlib.Path(os.environ.get("EVIDENT_CLI", REPO / "build" / "evident"))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(cli_path()), *map(str, args)], capture_output=True, text=True)


def without_source(doc: dict) -> dict:
    """A result document without what differs between a file and a data frame: the source name
    and the lines of diagnostics."""
    doc = dict(doc)
    doc.pop("source", None)
    doc["diagnostics"] = [{k: v for k, v in d.items() if k not in ("line", "source")}
                          for d in doc.get("diagnostics", [])]
    return doc


def cli_json(*args: str) -> dict:
    r = run_cli(*args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="session")
def cli():
    if not cli_path().exists():
        pytest.fail(f"the command line {cli_path()} is not built (set EVIDENT_CLI)")
    return run_cli
