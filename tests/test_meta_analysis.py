"""Exploratory pooling: checked against published random-effects results, with τ² never negative, and only
compatible, non-duplicated, non-vitamin-D-only estimates pooled."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from kviz import meta_analysis as ma
from kviz import schema
from kviz.loader import load_findings

Z = 1.959963984540054

# Kacker RN (2004), "Combining information from interlaboratory evaluations using a random effects model",
# Metrologia 41:132-136: nine laboratories' results and variances. The random-effects results below were computed
# with R metafor, rma(y, v, method="DL") and rma(y, v, method="PM"), and are recorded in statsmodels' own test
# suite (statsmodels/stats/tests/results/results_meta.py, exk1_dl and exk1_metafor).
KACKER_Y = np.array([61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9])
KACKER_V = np.array([0.2025, 1.21, 0.09, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])
METAFOR = {
    "dl": dict(estimate=62.3901386044504, ci_low=61.9084781058787, ci_high=62.8717991030221, tau2=0.288049246973751,
               i2=67.744403741711),
    "pm": dict(estimate=62.4076199113286, ci_low=61.7450921043947, ci_high=63.0701477182625, tau2=0.705395309224248,
               i2=83.7218626490482),
}


def kacker_intervals() -> tuple[np.ndarray, np.ndarray]:
    se = np.sqrt(KACKER_V)
    return KACKER_Y - Z * se, KACKER_Y + Z * se


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_pooling_matches_metafor_on_the_kacker_example(method):
    low, high = kacker_intervals()
    estimate, ci_low, ci_high, tau2, i2 = ma.combine(KACKER_Y, low, high, "MD", method)
    expected = METAFOR[method]
    assert estimate == pytest.approx(expected["estimate"], abs=5e-4)
    assert (ci_low, ci_high) == pytest.approx((expected["ci_low"], expected["ci_high"]), abs=5e-4)
    assert tau2 == pytest.approx(expected["tau2"], abs=5e-4)
    if method == "dl":  # metafor's I² for PM uses its own τ²-based definition; ours is Higgins' (Q - df) / Q
        assert i2 == pytest.approx(expected["i2"], abs=5e-3)


def test_ratios_are_pooled_on_the_log_scale_and_returned_as_ratios():
    low, high = kacker_intervals()
    shifted = np.exp(KACKER_Y - 62)  # the same data as log ratios around 1
    estimate, ci_low, ci_high, tau2, _ = ma.combine(shifted, np.exp(low - 62), np.exp(high - 62), "RR", "dl")
    assert math.log(estimate) + 62 == pytest.approx(METAFOR["dl"]["estimate"], abs=5e-4)
    assert math.log(ci_low) + 62 == pytest.approx(METAFOR["dl"]["ci_low"], abs=5e-4)
    assert tau2 == pytest.approx(METAFOR["dl"]["tau2"], abs=5e-4)


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_studies_that_agree_more_than_chance_give_tau2_zero_never_negative(method):
    ratios = np.array([0.80, 0.81, 0.79, 0.80, 0.80])
    se = np.array([0.2, 0.22, 0.17, 0.24, 0.22])
    low, high = ratios * np.exp(-Z * se), ratios * np.exp(Z * se)
    estimate, ci_low, ci_high, tau2, i2 = ma.combine(ratios, low, high, "RR", method)
    assert tau2 == 0.0 and i2 == 0.0
    weights = 1 / se**2  # with τ² = 0 the pooled estimate is the fixed-effect (inverse-variance) mean
    assert math.log(estimate) == pytest.approx(np.sum(weights * np.log(ratios)) / weights.sum(), abs=1e-9)
    assert ci_low < estimate < ci_high


def test_a_single_study_is_returned_as_it_is():
    estimate, ci_low, ci_high, tau2, i2 = ma.combine([0.5], [0.25], [1.0], "OR")
    assert (estimate, ci_low, ci_high) == pytest.approx((0.5, 0.25, 1.0))
    assert math.isnan(tau2) and math.isnan(i2)


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        ma.combine([1.0, 2.0], [0.5, 1.5], [1.5, 2.5], "MD", "reml")


# --- what is pooled ------------------------------------------------------------------------------------------

RESULT = dict(outcome="fracture", measure="RR", site="hip fracture", design="rct", d3="without_d3",
              blinding="double_blind")


@pytest.fixture
def frame_of(make_csv):
    return lambda rows: load_findings(io.StringIO(make_csv(rows)))


def row(study, estimate, low, high, **extra):
    return {**RESULT, "study_id": study, "finding_id": f"{study}-{extra.pop('suffix', 'x')}",
            "estimate": str(estimate), "ci_low": str(low), "ci_high": str(high), **extra}


def test_only_compatible_estimates_are_pooled_once_per_study(frame_of):
    frame = frame_of([
        row("a", 0.5, 0.3, 0.9, k_form="K1"),
        row("a", 0.6, 0.4, 0.9, k_form="K1", suffix="y"),  # a second estimate of the same study
        row("b", 0.7, 0.5, 0.98, k_form="K1"),
        row("c", 0.8, 0.6, 1.1, k_form="MK-4"),
        row("d", 0.4, 0.2, 0.8, k_form="K1", design="meta_analysis"),
        row("e", 0.9, 0.7, 1.2, k_form="none", d3="d3_only"),
        row("f", 0.3, 0.1, 0.9, k_form="K1", site="vertebral fracture"),  # another site
        row("g", 1.2, 0.6, 2.4, k_form="K1", measure="OR"),  # another measure
    ])
    rows = ma.forest_rows(frame, "fracture", "RR", by="k_form")
    assert set(rows["study_id"]) == set("abcdef")
    reasons = dict(zip(rows["finding_id"], rows["not_pooled"]))
    assert reasons["a-y"] == ma.NOT_POOLED_REASONS["same_study"]
    assert reasons["d-x"] == ma.NOT_POOLED_REASONS["meta_analysis"]
    assert reasons["e-x"] == ma.NOT_POOLED_REASONS["vitamin_d_only"]
    table = ma.pooled_frame(ma.pooled_table(rows, "RR"))
    hip = table[table["site"] == "Hip fracture"].set_index("subgroup")
    assert hip.at["K1 (trials)", "k"] == 2 and hip.at["All trials", "k"] == 3
    assert "K2 as MK-4 (trials)" not in hip.index  # one study is not pooled
    assert table[table["site"] == "Vertebral fracture"].empty


def test_switches_leave_out_flagged_and_open_label_trials(frame_of):
    frame = frame_of([row("a", 0.5, 0.3, 0.9, integrity="retracted"), row("b", 0.7, 0.5, 0.98, blinding="open_label"),
                      row("c", 0.8, 0.6, 1.1)])
    default = ma.forest_rows(frame, "fracture", "RR")
    assert default["pooled"].all()
    strict = ma.forest_rows(frame, "fracture", "RR", exclude_flagged=True, exclude_open_label=True)
    assert list(strict.loc[~strict["pooled"], "not_pooled"]) == [
        ma.NOT_POOLED_REASONS["flagged"], ma.NOT_POOLED_REASONS["open_label"]]


def test_results_printed_the_other_way_round_are_turned_before_pooling(frame_of):
    frame = frame_of([{**row("a", 2.0, 1.0, 4.0), "contrast": "low_vs_high", "design": "cohort"},
                      {**row("b", 0.5, 0.25, 1.0), "design": "cohort"}])
    rows = ma.forest_rows(frame, "fracture", "RR").set_index("study_id")
    assert rows.loc["a", ["estimate", "ci_low", "ci_high"]].tolist() == pytest.approx([0.5, 0.25, 1.0])
    assert rows.at["a", "reoriented"] and not rows.at["b", "reoriented"]


def test_trials_and_observational_studies_are_never_pooled_together(frame_of):
    frame = frame_of([row("a", 0.5, 0.3, 0.9), row("b", 0.7, 0.5, 0.98), {**row("c", 0.8, 0.6, 1.1), "design": "cohort"},
                      {**row("d", 0.6, 0.4, 0.9), "design": "cohort"}])
    table = ma.pooled_frame(ma.pooled_table(ma.forest_rows(frame, "fracture", "RR", by="design"), "RR"))
    assert set(table["subgroup"]) == {"Randomised trial (trials)", "Cohort study (observational)"}
    assert (table["k"] == 2).all()


def test_unknown_grouping_is_refused(typed_frame):
    with pytest.raises(ValueError, match="by must be one of"):
        ma.forest_rows(typed_frame, "fracture", "RR", by="outcome")


def test_analyses_count_findings_per_outcome_and_measure_and_the_default_is_the_key_outcome_with_most(frame_of):
    frame = frame_of([
        row("a", 0.5, 0.3, 0.9, outcome="vascular"),
        row("b", 0.6, 0.4, 0.9, outcome="vascular"),
        row("c", 0.7, 0.5, 0.98, outcome="vascular"),
        row("d", 0.8, 0.6, 1.1),
        row("e", 0.9, 0.7, 1.2, measure="OR"),
        row("f", 0.4, 0.2, 0.8, measure="OR"),
        {**row("g", 0.5, 0.3, 0.9), "estimate": "", "ci_low": "", "ci_high": ""},  # no number: not counted
    ])
    table = ma.analyses(frame)
    in_schema_order = sorted([("fracture", "RR", 1), ("fracture", "OR", 2), ("vascular", "RR", 3)],
                             key=lambda r: (schema.OUTCOME.codes.index(r[0]), schema.MEASURE.codes.index(r[1])))
    assert list(table.itertuples(index=False, name=None)) == in_schema_order
    assert ma.default_analysis(frame) == ("fracture", "OR")  # a key outcome first, then the most findings
    assert list(ma.analyses(frame, "vascular").itertuples(index=False, name=None)) == [("vascular", "RR", 3)]
    assert ma.default_analysis(frame.iloc[:0]) is None
