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

import numpy as np
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


# Why a finding is not evidence about vitamin K, in the order the reasons are tested (the first that applies),
# with how a count of such findings reads.
NOT_EVIDENCE_REASONS: dict[str, str] = {
    "vitamin_d_only": "vitamin D only",
    "untraced": "untraced",
    "review": "from narrative reviews",
    "opinion": "opinion",
}


# Every column the direction counts read (what counts as evidence, the directions, the comparison and map groups).
DIRECTION_COLUMNS: tuple[str, ...] = ("study_id", "outcome", "direction", "design", "source_match", "k_form", "d3")


def direction_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the columns the direction counts read: every row selection after it copies 7 columns instead of all."""
    return frame[list(DIRECTION_COLUMNS)]


def not_evidence_reason(frame: pd.DataFrame) -> pd.Series:
    """Per row, why it is not evidence about vitamin K (a NOT_EVIDENCE_REASONS key), or '' when it is."""
    reasons = np.full(len(frame), "", dtype=object)
    tests = {
        "opinion": frame["design"] == "opinion",
        "review": frame["design"] == "review",
        "untraced": frame["source_match"] == schema.UNTRACED,
        "vitamin_d_only": (frame["k_form"] == "none") | (frame["d3"] == "d3_only"),
    }
    for reason in reversed(list(NOT_EVIDENCE_REASONS)):  # the first reason wins: assign it last
        reasons[tests[reason].fillna(False).to_numpy(dtype=bool)] = reason
    return pd.Series(reasons, index=frame.index, dtype=object)


def counted_rows(frame: pd.DataFrame, count_all: bool = False) -> tuple[pd.DataFrame, str]:
    """The rows a direction chart counts, and the note that says what it leaves out (or brought back).

    By default only evidence about vitamin K; with `count_all` every row, and the note names what is not evidence.
    """
    counted, note = counted_mask(frame, count_all)
    return (frame if count_all else frame[counted]), note


def counted_mask(frame: pd.DataFrame, count_all: bool = False) -> tuple[np.ndarray, str]:
    """`counted_rows` as a boolean array over the rows (for a caller that selects rows and columns in one go)."""
    reasons = not_evidence_reason(frame).to_numpy()
    outside = pd.Series(reasons[has_effect(frame) & (reasons != "")], dtype=object)
    per_reason = outside.value_counts()
    parts = ", ".join(f"{int(per_reason[key])} {label}" for key, label in NOT_EVIDENCE_REASONS.items()
                      if per_reason.get(key, 0))
    total = len(outside)
    findings = f"{total} finding{'s' if total != 1 else ''} that {'are' if total != 1 else 'is'} not evidence about vitamin K"
    if count_all:
        return np.ones(len(frame), dtype=bool), (f"Also counting {findings} ({parts}), hatched" if total else "")
    return reasons == "", (f"Left out of the counts: {findings} ({parts})" if total else "")


def rows_behind(frame: pd.DataFrame, outcome: str, direction: str) -> pd.DataFrame:
    """The rows on `outcome` of the publications a direction chart counts under `direction` for it."""
    on_outcome = frame[frame["outcome"] == outcome]
    directions = study_directions(on_outcome)
    studies = set(directions.loc[directions["direction"] == direction, "study_id"])
    return on_outcome[on_outcome["study_id"].isin(studies)]


def voting_rows(frame: pd.DataFrame, count_all: bool = False) -> tuple[pd.DataFrame, str]:
    """The rows a vote count pools: primary studies (schema.VOTING_DESIGNS) that are evidence about vitamin K (with
    `count_all`, reviews and opinion too, never meta-analyses); and the note of `counted_rows`."""
    rows, note = counted_rows(frame, count_all)
    designs = schema.VOTING_DESIGNS + (schema.NOT_EVIDENCE_DESIGNS if count_all else ())
    return rows[rows["design"].isin(designs)], note


def effect_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that carry a direction of effect (not 'no effect stated')."""
    return frame[has_effect(frame)]


def has_effect(frame: pd.DataFrame) -> np.ndarray:
    """Per row, whether it carries a direction of effect (a boolean array: `effect_rows` without the copy)."""
    return frame["direction"].isin(schema.EFFECT_DIRECTIONS).to_numpy(dtype=bool)


def study_directions(frame: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """One direction per (study_id, *by, outcome): rows of one study that disagree count as mixed.

    Rows without an effect direction are left out. Columns: study_id, *by, outcome, direction (ordered
    categoricals for outcome and direction).
    """
    keys = ["study_id", *by, "outcome"]
    # One integer per group from the key columns' sorted codes: numpy's unique on it is a sorted groupby without
    # pandas' per-group machinery (this runs in most charts, for the first visitor of every view). The columns are
    # read as arrays: no table of the rows with an effect is made.
    with_effect = has_effect(frame)
    columns = [_sorted_codes(frame[key], with_effect) for key in keys]
    codes = np.array([code for code, _ in columns], dtype=np.int64).reshape(len(keys), int(with_effect.sum()))
    known = (codes >= 0).all(axis=0)  # like groupby: a row missing a key is in no group
    codes = codes[:, known]
    direction = frame["direction"].cat.codes.to_numpy()[with_effect].astype(np.int64)[known]
    group = np.ravel_multi_index(codes, [max(len(values), 1) for _, values in columns])
    groups, first_row, row_group = np.unique(group, return_index=True, return_inverse=True)
    directions = len(schema.DIRECTION.codes)
    distinct_per_group = np.bincount(np.unique(row_group * directions + direction) // directions, minlength=len(groups))
    result = pd.DataFrame({key: values.take(row_codes[first_row])
                           for key, row_codes, (_, values) in zip(keys, codes, columns)})
    # Outcomes as the schema's categorical: its codes looked up once per category.
    in_schema = pd.Index(schema.OUTCOME.codes).get_indexer(np.asarray(columns[-1][1]).astype(str))
    result["outcome"] = pd.Categorical.from_codes(in_schema[codes[-1][first_row]], categories=schema.OUTCOME.codes,
                                                  ordered=True)
    chosen = np.where(distinct_per_group > 1, schema.DIRECTION.codes.index(MIXED), direction[first_row])
    result["direction"] = pd.Categorical.from_codes(chosen, categories=schema.DIRECTION.codes, ordered=True)
    return result


def _sorted_codes(column: pd.Series, rows: np.ndarray | None = None) -> tuple[np.ndarray, pd.Index | pd.Categorical]:
    """A key column (its `rows`, a boolean mask; all by default) as integer codes in groupby's sorted order (-1 for
    missing), and the values they stand for (a categorical column keeps its categorical type)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        values = pd.Categorical.from_codes(np.arange(len(column.cat.categories)), dtype=column.dtype)
        codes = column.cat.codes.to_numpy()
        return (codes if rows is None else codes[rows]), values
    return pd.factorize(column if rows is None else column[rows], sort=True)


def direction_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Publications per outcome and effect direction: one column per direction, only observed outcomes (in schema
    order), counted from study_directions' category codes."""
    directions = study_directions(frame)
    outcomes, names = schema.OUTCOME.codes, schema.DIRECTION.codes
    outcome = directions["outcome"].cat.codes.to_numpy().astype(np.int64)
    pair = (outcome * len(names) + directions["direction"].cat.codes.to_numpy())[outcome >= 0]
    grid = np.bincount(pair, minlength=len(outcomes) * len(names)).reshape(len(outcomes), len(names))
    observed = grid.sum(axis=1) > 0
    index = pd.CategoricalIndex(np.array(outcomes)[observed], dtype=directions["outcome"].dtype, name="outcome")
    columns = [names.index(direction) for direction in schema.EFFECT_DIRECTIONS]
    return pd.DataFrame(grid[observed][:, columns], index=index,
                        columns=pd.Index(list(schema.EFFECT_DIRECTIONS), name="direction"))


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


# The evidence map's optional second dimension: a name, the column it reads, and its groups (label, codes).
MAP_SPLITS: dict[str, tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "d3": ("Vitamin D3", "d3", (("With D3", ("with_d3",)), ("Without D3", ("without_d3",)), ("D3 only", ("d3_only",)),
                               ("Other", ("k_and_d_status", "not_reported")))),
    "design": ("Design", "design", (("Trials", ("rct", "trial")), ("Cohorts and other observational", ("cohort", "observational")),
                                    ("Meta-analyses", ("meta_analysis",)), ("Other designs", ("lab", "review", "opinion")))),
}


def split_groups(frame: pd.DataFrame, split: str | None) -> pd.Series:
    """Each row's group label of a MAP_SPLITS split ('' for no split)."""
    if split is None:
        return pd.Series("", index=frame.index, dtype=object)
    _, column, groups = MAP_SPLITS[split]
    lookup = {code: label for label, codes in groups for code in codes}
    return frame[column].astype(str).map(lookup).fillna(groups[-1][0])


EFFECT_AND_NONE: tuple[str, ...] = (*schema.EFFECT_DIRECTIONS, NO_EFFECT_STATED)


def evidence_map_cells(frame: pd.DataFrame, split: str | None = None) -> pd.DataFrame:
    """Per (k_form, split group, outcome) with findings: publications, and publications per direction (each
    publication once: rows that disagree count as mixed; rows with no effect stated as 'not_applicable')."""
    keys = ["k_form", "group", "outcome"]
    counts = ["publications", *EFFECT_AND_NONE]
    if frame.empty:
        return pd.DataFrame({**{key: pd.Series(dtype=str) for key in keys}, **{n: pd.Series(dtype=int) for n in counts}})
    rows = frame[["study_id", "k_form", "outcome", "direction"]].assign(group=split_groups(frame, split))
    # Cells as integers from the keys' sorted codes (see study_directions): counted with numpy, in groupby's order.
    key_codes = [_sorted_codes(rows[key]) for key in keys]
    shape = [max(len(values), 1) for _, values in key_codes]
    codes = np.array([code for code, _ in key_codes], dtype=np.int64).reshape(len(keys), len(rows))
    known = (codes >= 0).all(axis=0)  # like groupby: a row missing a key is in no cell
    row_cell = np.ravel_multi_index(codes[:, known], shape)
    study, _ = pd.factorize(rows["study_id"])
    study = study[known]
    cells = np.unique(row_cell)
    studies = max(int(study.max()) + 1, 1) if len(study) else 1
    study_in_cell = np.unique(row_cell[study >= 0] * studies + study[study >= 0]) // studies
    table = {"publications": np.bincount(np.searchsorted(cells, study_in_cell), minlength=len(cells))}

    directions = study_directions(rows, by=["k_form", "group"])
    direction_cell = np.ravel_multi_index(
        [pd.Index(values).get_indexer(directions[key]) for key, (_, values) in zip(keys, key_codes)], shape)
    position = np.searchsorted(cells, direction_cell)
    for name in schema.EFFECT_DIRECTIONS:
        chosen = (directions["direction"] == name).to_numpy(dtype=bool)
        table[name] = np.bincount(position[chosen], minlength=len(cells))
    effect_total = sum(table[name] for name in schema.EFFECT_DIRECTIONS)
    table[NO_EFFECT_STATED] = np.clip(table["publications"] - effect_total, 0, None)
    cell_keys = np.unravel_index(cells, shape)
    return pd.DataFrame({
        **{key: np.asarray(values.take(code)).astype(str) for key, code, (_, values) in zip(keys, cell_keys, key_codes)},
        **{name: table[name].astype(int) for name in counts},
    }).astype({key: str for key in keys})
