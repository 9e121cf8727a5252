#!/usr/bin/env python3
"""Writes what evident prints for every analysis the test suite knows into a folder, so two
builds can be compared byte for byte (a refactoring must not change one byte of JSON or CSV).

Usage: scripts/snapshot-outputs.py BUILD/evident OUTDIR
       diff -r OUTDIR_BEFORE OUTDIR_AFTER   (or cmp on each file)

Covered: every case of tests/reference/expected/*.json (its subcommand, input and arguments) in
the json, csv and text formats; the review of data/knee_msc (summary and HTML report); a batch of
simulated analyses in csv and jsonl, with and without --measure.
"""
import json
import os
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent


def run(binary, args, out, stdin=None):
    result = subprocess.run([binary] + args, cwd=root, input=stdin, capture_output=True)
    out.write_bytes(result.stdout + b"\n--- stderr\n" + result.stderr +
                    f"\n--- exit {result.returncode}\n".encode())


def main():
    binary, outdir = os.path.abspath(sys.argv[1]), pathlib.Path(sys.argv[2])
    outdir.mkdir(parents=True, exist_ok=True)
    for expected in sorted((root / "tests/reference/expected").glob("*.json")):
        doc = json.loads(expected.read_text())
        command = doc.get("command", "fit")
        data = str(pathlib.Path("tests/reference") / doc["input"])
        for i, case in enumerate(doc["cases"]):
            sub = case.get("command", command)
            for fmt in ("json", "csv", "text"):
                name = f"{expected.stem}.{i}.{fmt}"
                run(binary, [sub, data] + case["args"] + ["--format", fmt], outdir / name)
    tmp = outdir / "tmp"
    tmp.mkdir(exist_ok=True)
    run(binary, ["review", "data/knee_msc", "--out", str(tmp / "report.html")],
        outdir / "review.summary")
    # The summary names the report's path; everything else must match.
    summary = outdir / "review.summary"
    summary.write_text(summary.read_text().replace(str(tmp), "TMP"))
    (outdir / "review.html").write_bytes((tmp / "report.html").read_bytes())
    run(binary, ["simulate", "--analyses", "300", "--k", "7", "--seed", "5", "--out",
                 str(tmp / "sim.csv")], outdir / "simulate")
    for fmt in ("csv", "jsonl"):
        for method in ("REML", "DL", "PM", "SJ", "HE", "EB", "ML", "HS", "FE"):
            run(binary, ["batch", str(tmp / "sim.csv"), "--by", "id", "--method", method,
                         "--out", "-", "--format", fmt], outdir / f"batch.{method}.{fmt}")
        run(binary, ["batch", "tests/data/knee_msc_any_ae.csv", "--by", "outcome", "--measure",
                     "OR", "--out", "-", "--format", fmt], outdir / f"batch.knee.{fmt}")
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()


main()
