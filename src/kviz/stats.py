"""Counting publications: by direction of effect (vote counting, in pure Python), by form, by comparison side.

Counting publications by the direction of their result is the crudest synthesis there is: it ignores effect
sizes and study quality. It is offered as an exploratory summary, with the two checks that make it honest: an
exact two-sided sign test of benefit against harm (is the split more lopsided than coin flips?) and a Wilson
score 95% interval for the share showing benefit (which behaves well for small counts and for 0 % or 100 %).

A publication counts once per outcome: several rows of one study on one outcome that disagree make it "mixed".
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Sequence

import pandas as pd

from kviz import schema

CONFIDENCE = 0.95
Z_95 = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)
MIN_PUBLICATIONS = 5
BENEFIT, HARM, MIXED = "benefit", "harm", "mixed"  # the DIRECTION codes vote counting is defined on
NO_EFFECT_STATED = "not_applicable"  # the DIRECTION code of rows left out of effect counts

SEVERAL_FORMS = "mixed"  # the K_FORM code a publication studying several forms is counted under
SPLITS = ("k_family", "d3")  # the comparisons of `comparison_groups`

VOTE_COLUMNS: tuple[str, ...] = (
    *schema.EFFECT_DIRECTIONS,
    "n_directional",
    "share_benefit",
    "wilson_low",
    "wilson_high",
    "sign_test_p",
    "shown",
)


def sign_test_p(successes: int, trials: int) -> float:
    """Exact two-sided sign test: binomial with p = 1/2, p-value = min(1, 2 × the smaller tail).

    Computed in log space, so it stays exact to floating-point precision for any number of trials.
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return 1.0
    smaller = min(successes, trials - successes)
    log_total = math.lgamma(trials + 1) - trials * math.log(2)
    log_terms = [log_total - math.lgamma(i + 1) - math.lgamma(trials - i + 1) for i in range(smaller + 1)]
    peak = max(log_terms)
    tail = math.exp(peak) * math.fsum(math.exp(t - peak) for t in log_terms)
    return min(1.0, 2 * tail)


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion (95 % by default)."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes} of {trials}")
    share = successes / trials
    z2_n = z * z / trials
    centre = (share + z2_n / 2) / (1 + z2_n)
    half_width = z * math.sqrt(share * (1 - share) / trials + z2_n / (4 * trials)) / (1 + z2_n)
    # At 0 % and 100 % the bound is exactly 0 or 1; computing it would leave rounding dust like 3e-17.
    low = 0.0 if successes == 0 else centre - half_width
    high = 1.0 if successes == trials else centre + half_width
    return low, high


def effect_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that carry a direction of effect (not 'no effect stated')."""
    return frame[frame["direction"].isin(schema.EFFECT_DIRECTIONS)]


def study_directions(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """One direction per (study_id, *by, outcome): rows of one study that disagree count as mixed.

    Rows without an effect direction are left out. Columns: study_id, *by, outcome, direction (ordered
    categoricals for outcome and direction).
    """
    keys = ["study_id", *by, "outcome"]
    effect = effect_rows(frame)
    grouped = effect.groupby(keys, observed=True, sort=True)["direction"]
    first = grouped.first().astype(str)
    agreeing = grouped.nunique() == 1
    result = first.where(agreeing, MIXED).rename("direction").reset_index()
    result["outcome"] = pd.Categorical(result["outcome"], categories=schema.OUTCOME.codes, ordered=True)
    result["direction"] = pd.Categorical(result["direction"], categories=schema.DIRECTION.codes, ordered=True)
    return result


def direction_table(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Publications per (*by, outcome) and effect direction: one column per direction, only observed outcomes."""
    directions = study_directions(frame, by)
    counts = directions.groupby([*by, "outcome", "direction"], observed=True).size().unstack("direction")
    return counts.reindex(columns=list(schema.EFFECT_DIRECTIONS), fill_value=0).fillna(0).astype(int)


def vote_counts(frame: pd.DataFrame, min_publications: int = MIN_PUBLICATIONS) -> pd.DataFrame:
    """Per outcome (schema order, outcomes with at least one directional publication): the vote count.

    Columns: one count per effect direction, n_directional (= benefit + harm), share_benefit (benefit /
    n_directional), wilson_low, wilson_high, sign_test_p, shown (n_directional >= min_publications).
    Indexed by outcome code.
    """
    counts = direction_table(frame)
    counts.index = counts.index.astype(str)
    counts.index.name = "outcome"
    table = counts.copy()
    table["n_directional"] = table[BENEFIT] + table[HARM]
    table["share_benefit"] = [b / n if n else math.nan for b, n in zip(table[BENEFIT], table["n_directional"])]
    intervals = [wilson_interval(b, n) if n else (math.nan, math.nan) for b, n in zip(table[BENEFIT], table["n_directional"])]
    table["wilson_low"] = [low for low, _ in intervals]
    table["wilson_high"] = [high for _, high in intervals]
    table["sign_test_p"] = [sign_test_p(b, n) for b, n in zip(table[BENEFIT], table["n_directional"])]
    table["shown"] = table["n_directional"] >= min_publications
    return table[list(VOTE_COLUMNS)]


def publication_forms(frame: pd.DataFrame) -> pd.Series:
    """The vitamin K form of each publication (study_id): its rows' form, or 'several forms' when they differ."""
    grouped = frame.groupby("study_id", observed=True)["k_form"]
    first = grouped.first().astype(str)
    return first.where(grouped.nunique() == 1, SEVERAL_FORMS)


def comparison_groups(frame: pd.DataFrame, split: str) -> list[tuple[str, pd.DataFrame]]:
    """The two sides of a comparison with their labels: K1 vs the K2 family, or with vs without D3."""
    if split == "k_family":
        return [
            (schema.K_FAMILY.label(family), frame[frame["k_form"].isin(schema.k_forms_of_family(family))])
            for family in schema.COMPARED_K_FAMILIES
        ]
    if split == "d3":
        return [(schema.D3.label(code), frame[frame["d3"] == code]) for code in schema.COMPARED_D3]
    raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")


def evidence_map_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (k_form, outcome) with findings: publications, publications with an effect direction, and those
    showing benefit, and the share showing benefit (NaN where no publication has a direction)."""
    keys = ["k_form", "outcome"]
    publications = frame.groupby(keys, observed=True)["study_id"].nunique().rename("publications")
    directions = study_directions(frame, by=["k_form"])
    with_direction = directions.groupby(keys, observed=True).size().rename("with_direction")
    benefit = directions[directions["direction"] == BENEFIT].groupby(keys, observed=True).size().rename("benefit")
    cells = pd.concat([publications, with_direction, benefit], axis=1).fillna(0).astype(int).reset_index()
    cells["k_form"] = cells["k_form"].astype(str)
    cells["outcome"] = cells["outcome"].astype(str)
    cells["share_benefit"] = (cells["benefit"] / cells["with_direction"].where(cells["with_direction"] > 0)).astype(float)
    return cells
