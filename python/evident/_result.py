"""The result of an analysis: the command line's JSON document as attributes."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pandas as pd

from . import _columns, _core


def _names(kind: str) -> set[str]:
    out = set()
    for p in _core.parameters(kind):
        out.add(p["name"])
        out.update(p["aliases"])
    return out


# The analysis parameters (measure, method, test, level, add, to, drop00, multiarm, transf): the
# names every kind of request shares, as the core's tables declare them.
ANALYSIS_PARAMETERS = _names("fit") & _names("bias") & _names("influence")
MODERATOR_SPEC = _names("fit") & _names("influence") - ANALYSIS_PARAMETERS  # mods, ref


class Text(str):
    """A report's text; shown as it is (not quoted) at the prompt."""

    def __repr__(self) -> str:
        return str(self)


class Result:
    """One analysis (``rma``, ``Result.influence()``, ``Result.bias()``).

    Every key of the command line's JSON document (``evident fit --format json``; docs/cli.md) is
    an attribute: ``estimate, se, zval or tval, pval, ci_lb, ci_ub, pi_lb, pi_ub, tau2, I2, Q,
    studies, diagnostics``; ``coefficients``, ``QM``, ``R2`` for a meta-regression; ``subgroups``
    and ``test`` for subgroups; and so on. Missing values are None, as null in the JSON.
    """

    def __init__(self, core: Any, kind: str, options: dict[str, Any]):
        self._core = core
        self._kind = kind
        self._options = options
        self._doc = json.loads(core.render("json"))

    # ---- the document -------------------------------------------------------------------------
    def __getattr__(self, name: str):
        doc = self.__dict__.get("_doc")
        if doc is not None and name in doc:
            return doc[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._doc))

    def keys(self) -> list[str]:
        """The document's keys, in the command line's order."""
        return list(self._doc)

    def to_dict(self) -> dict[str, Any]:
        """The document: what ``evident fit --format json`` prints for the same data."""
        return copy.deepcopy(self._doc)

    def to_json(self) -> str:
        """The document as the command line writes it."""
        return self._core.render("json")

    def to_frame(self) -> pd.DataFrame:
        """The command line's CSV output (``--format csv``) as a data frame: one row for a pooled
        analysis, one per coefficient for a meta-regression, the overall row then one per
        subgroup, one per study for influence."""
        return pd.read_csv(io.StringIO(self._core.render("csv")), float_precision="round_trip")

    def studies_frame(self) -> pd.DataFrame:
        """The per-study table (study, yi, vi, weight, ci_lb, ci_ub, ...)."""
        return pd.DataFrame(self._doc.get("studies", []))

    def summary(self) -> Text:
        """The metafor-style text report (``--format text``)."""
        return Text(self._core.render("text"))

    def __str__(self) -> str:
        return self._core.render("text")

    def __repr__(self) -> str:
        return self._core.render("text")

    # ---- methods on the fit --------------------------------------------------------------------
    def _base_options(self, keep: set[str]) -> dict[str, Any]:
        return {k: v for k, v in self._options.items() if k in keep}

    def influence(self, **options) -> "Result":
        """Leave-one-out, influence diagnostics, cumulative meta-analysis (``order=``) and Baujat
        coordinates, as ``evident influence``; with the model's moderators for a meta-regression."""
        merged = self._base_options(ANALYSIS_PARAMETERS | MODERATOR_SPEC)
        merged.update(_columns.core_options(options))
        return Result(self._core.rerun("influence", merged), "influence", merged)

    def bias(self, **options) -> "Result":
        """Egger, Begg, trim-and-fill, fail-safe N, PET-PEESE and funnel data, as ``evident
        bias`` (options: predictor, egger_model, estimator, side, fsn_alpha, ...)."""
        merged = self._base_options(ANALYSIS_PARAMETERS)
        merged.update(_columns.core_options(options))
        return Result(self._core.rerun("bias", merged), "bias", merged)

    def predict(self, newmods=None, **values):
        """Predictions. Without moderators: the pooled estimate with its confidence and
        prediction intervals (metafor's predict(res)), and ``back_transformed`` values for ratio
        measures. With moderators: at the points given (``newmods`` a dict or a list of dicts,
        or keyword arguments ``ablat=30``), one row per point, as ``--predict``."""
        if not self._options.get("mods"):
            if newmods is not None or values:
                raise ValueError("predict: the model has no moderators (give mods= to rma)")
            out = {k: self._doc.get(k) for k in ("estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub")}
            out = {"pred" if k == "estimate" else k: v for k, v in out.items()}
            if "back_transformed" in self._doc:
                out["back_transformed"] = self._doc["back_transformed"]
            return out
        points = newmods if newmods is not None else values
        if isinstance(points, dict):
            points = [points]
        merged = dict(self._options)
        merged.update(_columns.core_options({"predict": list(points)}))
        merged.pop("permutations", None)
        doc = Result(self._core.rerun("fit", merged), "fit", merged)._doc
        return pd.json_normalize(doc.get("predictions", []))

    # ---- plots ---------------------------------------------------------------------------------
    def forest(self, path: str, **options) -> str:
        """Writes a forest plot (.svg, .png at 300 dpi or .pdf, from the extension); options as
        the command line's: arms, benefit, mcid, title."""
        self._core.plots({"forest": path, **_columns.core_options(options)})
        return path

    def tsa_plot(self, path: str, title: str | None = None) -> str:
        """Writes the TSA plot of ``evident.sequential`` (cumulative z, monitoring boundaries,
        required information size), as ``evident sequential --plot PATH``."""
        options = {"plot": path}
        if title is not None:
            options["title"] = title
        self._core.sequential_plot(options)
        return path

    def funnel(self, path: str, **options) -> str:
        """Writes a funnel plot (contours=True for a contour-enhanced one)."""
        self._core.plots({"funnel": path, **_columns.core_options(options)})
        return path
