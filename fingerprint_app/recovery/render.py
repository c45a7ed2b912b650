"""``RecoveryResult.details``: the recovery rendered for display (admin, API, bench, notes).
Nothing reads these back: code reads :class:`.types.RecoveredModel`."""
from __future__ import annotations

from .lines import LabelSpace, LineFit
from .strips import ReelModel

__all__ = ["fit_details", "label_name", "strip_details", "weight_details"]


def strip_details(m: ReelModel, alphabet, independence) -> dict:
    return {"kind": "strip", "length": m.length,
            "counts": {alphabet[s]: c for s, c in sorted(m.counts.items())},
            "order": [alphabet[s] for s in m.order or []],
            "order_ambiguous": m.ambiguous, "log10_orderings": m.log10_orderings,
            "branching_contexts": [[alphabet[s] for s in ctx] for ctx in m.branching],
            "fit_pvalue": m.fit_pvalue, "length_candidates": m.length_candidates,
            "independence_pvalue": independence}


def weight_details(weights, info, alphabet, independence) -> list[dict]:
    out = []
    for r, reel_info in enumerate(info["per_reel"]):
        symbols = {}
        for s, item in enumerate(reel_info):
            if weights.counts[r, s] == 0 and weights.grid_weights[r, s] == 0:
                continue
            symbols[alphabet[s]] = {"p": item["p"], "ci95": item["ci95"],
                                    "grid_candidates": [f"{g}/{weights.grid}" for g in item["grid_candidates"]],
                                    "weight": f"{int(weights.grid_weights[r, s])}/{weights.grid}"}
        out.append({"kind": "weights", "cells": int(weights.trials[r]), "symbols": symbols,
                    "independence_pvalue": independence[r]})
    if info["pooled"] is not None:
        out.append({"kind": "pooled", "homogeneity_pvalue": weights.homogeneity_pvalue,
                    "symbols": {alphabet[s]: {"p": it["p"], "ci95": it["ci95"],
                                              "grid_candidates": [f"{g}/{weights.grid}" for g in it["grid_candidates"]]}
                                for s, it in enumerate(info["pooled"]) if weights.counts[:, s].sum()}})
    return out


def label_name(space: LabelSpace, alphabet, code: int) -> tuple[str, int, int]:
    t, c, w = space.decode(code)
    return ("wilds-only" if t == space.none else alphabet[t], c, w)


def fit_details(fit: LineFit, alphabet, space: LabelSpace) -> dict:
    return {"paylines": [list(line) for line in sorted(fit.lines)], "n_lines": fit.n_lines,
            "wild": alphabet[fit.wild] if fit.wild >= 0 else None,
            "scatter": alphabet[fit.scatter] if fit.scatter >= 0 else None,
            "scatter_pays": {str(k): str(v) for k, v in sorted(fit.scatter_values.items())},
            "fitted_labels": sorted(label_name(space, alphabet, code) for code in fit.values),
            "fitted_label_values": sorted([*label_name(space, alphabet, code), str(value)]
                                          for code, value in fit.values.items()),
            "ambiguous_paylines": [[list(line), list(alt)] for line, alt in fit.ambiguous_lines],
            "line_model_exact": fit.exact, "candidate_lines_alive": fit.candidates}
