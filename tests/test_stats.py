"""Vote counting: the sign test and Wilson interval against known values and an exact oracle, and the
one-direction-per-publication rule behind every effect chart."""

from __future__ import annotations

import io
import math
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kviz import schema, stats, synthetic
from kviz.loader import load_findings


def exact_two_sided_p(successes: int, trials: int) -> float:
    """Reference: the sign test with exact fractions (slow, but obviously right for small n)."""
    total = 2**trials
    lower = Fraction(sum(math.comb(trials, i) for i in range(successes + 1)), total)
    upper = Fraction(sum(math.comb(trials, i) for i in range(successes, trials + 1)), total)
    return float(min(Fraction(1), 2 * min(lower, upper)))


@pytest.mark.parametrize(
    ("successes", "trials", "expected"),
    [(8, 10, 0.1094), (2, 10, 0.1094), (0, 5, 0.0625), (9, 9, 0.0039), (5, 10, 1.0), (10, 20, 1.0),
     (1, 1, 1.0), (15, 20, 0.0414), (60, 100, 0.0569)],
)
def test_sign_test_matches_known_values(successes, trials, expected):
    assert stats.sign_test_p(successes, trials) == pytest.approx(expected, abs=5e-5)


def test_sign_test_of_no_publications_is_one():
    assert stats.sign_test_p(0, 0) == 1.0


@given(st.integers(min_value=1, max_value=80).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_sign_test_equals_exact_fractions(case):
    successes, trials = case
    assert stats.sign_test_p(successes, trials) == pytest.approx(exact_two_sided_p(successes, trials), rel=1e-9)


def test_sign_test_is_symmetric_and_stays_a_probability_for_large_counts():
    p = stats.sign_test_p(40_000, 100_000)
    assert p == stats.sign_test_p(60_000, 100_000)
    assert 0.0 <= p < 1e-100
    assert stats.sign_test_p(50_000, 100_000) == 1.0


@pytest.mark.parametrize(("successes", "trials"), [(-1, 5), (6, 5), (0, -1)])
def test_sign_test_rejects_impossible_counts(successes, trials):
    with pytest.raises(ValueError):
        stats.sign_test_p(successes, trials)


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(8, 10, 0.490, 0.943), (0, 5, 0.0, 0.434), (5, 5, 0.566, 1.0), (50, 100, 0.404, 0.596), (1, 2, 0.095, 0.905)],
)
def test_wilson_interval_matches_known_values(successes, trials, low, high):
    assert stats.wilson_interval(successes, trials) == pytest.approx((low, high), abs=5e-4)


def test_wilson_interval_is_exactly_bounded_at_zero_and_one():
    assert stats.wilson_interval(0, 7)[0] == 0.0
    assert stats.wilson_interval(7, 7)[1] == 1.0


@given(st.integers(min_value=1, max_value=500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_contains_the_share_and_mirrors(case):
    successes, trials = case
    low, high = stats.wilson_interval(successes, trials)
    assert 0.0 <= low <= successes / trials <= high <= 1.0
    mirrored_low, mirrored_high = stats.wilson_interval(trials - successes, trials)
    assert (low, high) == pytest.approx((1 - mirrored_high, 1 - mirrored_low), abs=1e-12)


@pytest.mark.parametrize(("successes", "trials"), [(0, 0), (3, 2), (-1, 4)])
def test_wilson_interval_rejects_impossible_counts(successes, trials):
    with pytest.raises(ValueError):
        stats.wilson_interval(successes, trials)


def test_vote_counting_codes_are_schema_directions():
    assert {stats.BENEFIT, stats.HARM, stats.MIXED} <= set(schema.EFFECT_DIRECTIONS)
    assert stats.NO_EFFECT_STATED in schema.DIRECTION and stats.NO_EFFECT_STATED not in schema.EFFECT_DIRECTIONS


# --------------------------------------------------------------------------------- directions per publication


@pytest.fixture
def frame_of(make_csv):
    """Typed frame from partial rows (each row a dict of overrides on conftest's valid base row)."""
    return lambda rows: load_findings(io.StringIO(make_csv(rows)))


def test_one_direction_per_publication_and_outcome(frame_of):
    frame = frame_of([
        {"study_id": "agree", "direction": "benefit"},
        {"study_id": "agree", "direction": "benefit"},
        {"study_id": "disagree", "direction": "benefit"},
        {"study_id": "disagree", "direction": "harm"},
        {"study_id": "disagree", "direction": "benefit", "outcome": "fracture"},
        {"study_id": "stated-none", "direction": "not_applicable"},
        {"study_id": "with-background", "direction": "harm"},
        {"study_id": "with-background", "direction": "not_applicable"},
    ])
    directions = stats.study_directions(frame)
    found = {(s, str(o)): str(d) for s, o, d in directions[["study_id", "outcome", "direction"]].itertuples(index=False)}
    assert found == {
        ("agree", "bone_density"): "benefit",
        ("disagree", "bone_density"): "mixed",
        ("disagree", "fracture"): "benefit",
        ("with-background", "bone_density"): "harm",
    }
    assert list(directions["direction"].cat.categories) == schema.DIRECTION.codes


def test_study_directions_split_by_an_extra_column(frame_of):
    frame = frame_of([
        {"study_id": "a", "k_form": "K1", "direction": "benefit"},
        {"study_id": "a", "k_form": "MK-7", "direction": "harm"},
    ])
    assert len(stats.study_directions(frame)) == 1
    by_form = stats.study_directions(frame, by=["k_form"])
    assert sorted(zip(by_form["k_form"].astype(str), by_form["direction"].astype(str))) == [
        ("K1", "benefit"), ("MK-7", "harm")
    ]


@pytest.mark.parametrize("by", [(), ("design",), ("k_form", "d3")])
def test_study_directions_agrees_with_a_plain_pandas_groupby(by):
    """study_directions groups with numpy for speed: the same table as pandas' sorted groupby (first direction, or
    mixed when a group's directions differ), rows missing a key left out, on 3,000 synthetic rows."""
    single = load_findings(synthetic.generate(1_500, seed=4).to_csv(index=False).encode(), name="s.csv")
    # Each finding again with another row's direction: groups of two that agree or disagree.
    shuffled = single["direction"].sample(frac=1, random_state=1).to_numpy()
    frame = pd.concat([single, single.assign(direction=pd.Categorical(shuffled, dtype=single["direction"].dtype))],
                      ignore_index=True)
    frame.loc[frame.index[::97], "design"] = None
    keys = ["study_id", *by, "outcome"]
    grouped = stats.effect_rows(frame).groupby(keys, observed=True, sort=True)["direction"]
    expected = grouped.first().astype(str).where(grouped.nunique() == 1, stats.MIXED).rename("direction").reset_index()
    result = stats.study_directions(frame, list(by))
    disagreeing = (grouped.nunique() == 2).sum()
    assert len(result) > 1000 and disagreeing > 100
    pd.testing.assert_frame_equal(result.astype({"outcome": str, "direction": str}),
                                  expected.astype({"outcome": str, "direction": str}))


@pytest.mark.parametrize("split", [None, "d3", "design"])
def test_evidence_map_cells_agree_with_plain_pandas_groupbys(split):
    """evidence_map_cells counts with numpy for speed: the same table as pandas' groupbys (distinct publications
    per cell, publications per direction, the rest as no effect stated), rows missing a key left out."""
    frame = load_findings(synthetic.generate(2_000, seed=6).to_csv(index=False).encode(), name="s.csv")
    frame.loc[frame.index[::89], "k_form"] = None
    keys = ["k_form", "group", "outcome"]
    rows = frame.assign(group=stats.split_groups(frame, split))
    publications = rows.groupby(keys, observed=True)["study_id"].nunique().rename("publications")
    per_direction = stats.study_directions(rows, by=["k_form", "group"]).groupby(
        [*keys, "direction"], observed=True).size().unstack("direction").reindex(columns=list(stats.EFFECT_AND_NONE))
    expected = pd.concat([publications, per_direction], axis=1).fillna(0).astype(int).reset_index()
    expected["not_applicable"] = (expected["publications"]
                                  - expected[list(schema.EFFECT_DIRECTIONS)].sum(axis=1)).clip(lower=0)
    result = stats.evidence_map_cells(frame, split)
    assert len(result) > 20 and result["not_applicable"].sum() > 0
    pd.testing.assert_frame_equal(result, expected.astype({"k_form": str, "outcome": str, "group": str}))


def test_direction_table_counts_publications_not_rows(frame_of):
    frame = frame_of([
        {"study_id": "a", "direction": "benefit"},
        {"study_id": "a", "direction": "benefit"},
        {"study_id": "b", "direction": "no_effect"},
    ])
    table = stats.direction_table(frame)
    assert list(table.columns) == list(schema.EFFECT_DIRECTIONS)
    assert table.loc["bone_density"].to_dict() == {"benefit": 1, "no_effect": 1, "mixed": 0, "harm": 0}


def test_vote_counts(frame_of):
    rows = [{"study_id": f"benefit-{i}", "direction": "benefit"} for i in range(8)]
    rows += [{"study_id": f"harm-{i}", "direction": "harm"} for i in range(2)]
    rows += [{"study_id": "flat", "direction": "no_effect"}, {"study_id": "split", "direction": "mixed"}]
    rows += [{"study_id": "few", "direction": "benefit", "outcome": "fracture"}]
    rows += [{"study_id": "background", "direction": "not_applicable", "outcome": "muscle"}]
    votes = stats.vote_counts(frame_of(rows))
    assert list(votes.columns) == list(stats.VOTE_COLUMNS)
    assert list(votes.index) == ["bone_density", "fracture"]  # schema order; no outcome without a direction
    bone = votes.loc["bone_density"]
    assert (bone["benefit"], bone["harm"], bone["no_effect"], bone["mixed"]) == (8, 2, 1, 1)
    assert bone["n_directional"] == 10
    assert bone["share_benefit"] == pytest.approx(0.8)
    assert (bone["wilson_low"], bone["wilson_high"]) == pytest.approx((0.490, 0.943), abs=5e-4)
    assert bone["sign_test_p"] == pytest.approx(0.1094, abs=5e-5)
    assert bool(bone["shown"]) is True
    assert bool(votes.loc["fracture", "shown"]) is False
    assert bool(stats.vote_counts(frame_of(rows), min_publications=1).loc["fracture", "shown"]) is True


def test_vote_counts_without_benefit_or_harm_has_no_share(frame_of):
    votes = stats.vote_counts(frame_of([{"study_id": "a", "direction": "no_effect"}]))
    row = votes.loc["bone_density"]
    assert row["n_directional"] == 0 and math.isnan(row["share_benefit"]) and math.isnan(row["wilson_low"])
    assert row["sign_test_p"] == 1.0 and not row["shown"]


def test_vote_counts_of_an_empty_frame(typed_frame):
    votes = stats.vote_counts(typed_frame.iloc[:0])
    assert votes.empty and list(votes.columns) == list(stats.VOTE_COLUMNS)
