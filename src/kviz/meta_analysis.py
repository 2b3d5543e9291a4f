"""Exploratory random-effects pooling of the findings' numeric results, through statsmodels.

What is pooled, and what is not:

- only results of one outcome and one measure, at one site (`effect_sizes.site_group`) and in one unit;
- results turned to compare vitamin K (or more of it) with its comparator (`effect_sizes.oriented`); ratios on the
  log scale;
- one estimate per study and subgroup: the study's first row in the file (curators list the primary comparison
  first); its other rows are listed as not pooled, and in the pooled result for all subgroups a study counts once;
- never a vitamin D-only comparison (no vitamin K was given);
- never a meta-analysis (its pooled estimate is shown as published, not pooled again), and never trials together
  with observational studies (they answer different questions): each design family is pooled on its own;
- the random-effects variance is estimated by DerSimonian–Laird or Paule–Mandel. statsmodels' DerSimonian–Laird
  does not truncate a negative estimate at 0 (seen with studies that agree more closely than chance would give),
  which would give wrong weights; such an estimate is taken as 0, which is what DerSimonian and Laird defined, and
  the pooled result is then the fixed-effect one.

Every number here is exploratory: the studies differ in populations, doses, durations and quality.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.meta_analysis import combine_effects

from kviz import effect_sizes, schema

METHODS: dict[str, str] = {"pm": "Paule–Mandel", "dl": "DerSimonian–Laird"}  # the default first
DEFAULT_METHOD = "pm"
# What the forest plot can group by: a column and the name users see.
GROUPINGS: dict[str, str] = {"k_form": "Vitamin K form", "d3": "Vitamin D3", "design": "Study design"}
ALL = "All"
TRIALS, OBSERVATIONAL, META = "trials", "observational", "meta-analyses"
FAMILY_ORDER: dict[str, int] = {TRIALS: 0, OBSERVATIONAL: 1, META: 2}  # the forest plot's order
DESIGN_FAMILIES: dict[str, str] = {"rct": TRIALS, "trial": TRIALS, "cohort": OBSERVATIONAL,
                                   "observational": OBSERVATIONAL, "meta_analysis": META}
NOT_POOLED_REASONS = {
    "no_ci": "no 95% CI printed",
    "vitamin_d_only": "vitamin D without vitamin K: not evidence about vitamin K",
    "meta_analysis": "a published meta-analysis: shown as published, not pooled again",
    "same_study": "another estimate of the same study (its first is pooled)",
    "flagged": "retracted or under an integrity concern (left out by the switch)",
    "open_label": "open-label trial (left out by the switch)",
}
MIN_POOLED = 2  # a pooled estimate needs at least two studies
POOLED_COLUMNS = ("site", "subgroup", "k", "estimate", "ci_low", "ci_high", "tau2", "i2", "method")


@dataclass(frozen=True)
class Pooled:
    """A pooled estimate on the measure's own scale (a ratio, not its log), with its heterogeneity."""

    site: str
    subgroup: str
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    tau2: float  # between-study variance, on the log scale for ratios; NaN for a single study
    i2: float  # share of variability beyond chance, in percent; NaN for a single study
    method: str


def combine(estimates: Sequence[float], lows: Sequence[float], highs: Sequence[float], measure: str,
            method: str = DEFAULT_METHOD) -> tuple[float, float, float, float, float]:
    """Random-effects pooled (estimate, ci_low, ci_high, tau2, i2 %) of oriented estimates with 95% CIs.

    Standard errors come from the CIs; ratios are pooled on the log scale and returned as ratios.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    log = effect_sizes.log_scale(measure)
    y = np.log(np.asarray(estimates, dtype=float)) if log else np.asarray(estimates, dtype=float)
    se = np.array([effect_sizes.standard_error(measure, lo, hi) for lo, hi in zip(lows, highs)])
    if len(y) == 1:
        centre, low, high, tau2, i2 = y[0], y[0] - 1.959963984540054 * se[0], y[0] + 1.959963984540054 * se[0], math.nan, math.nan
    else:
        with np.errstate(invalid="ignore"):  # statsmodels takes the root of a negative τ² for its HKSJ variant
            result = combine_effects(y, se**2, method_re=method, use_t=False)
            fixed_ci, random_ci = result.conf_int(use_t=False)[:2]
        q, df = float(result.q), len(y) - 1
        i2 = max(0.0, (q - df) / q) * 100 if q > 0 else 0.0
        if result.tau2 > 0:
            centre, (low, high), tau2 = float(result.mean_effect_re), random_ci, float(result.tau2)
        else:  # τ² truncated at 0: random effects equal fixed effects
            centre, (low, high), tau2 = float(result.mean_effect_fe), fixed_ci, 0.0
    if log:
        centre, low, high = math.exp(centre), math.exp(low), math.exp(high)
    return float(centre), float(low), float(high), float(tau2), float(i2)


def analyses(frame: pd.DataFrame, outcome: str | None = None) -> pd.DataFrame:
    """The (outcome, measure) pairs with numeric results, how many findings each has, in schema order."""
    present = (frame["estimate"].notna() & frame["measure"].notna()).to_numpy()
    if outcome is not None:
        present = present & (frame["outcome"] == outcome).to_numpy(dtype=bool, na_value=False)
    outcomes, measures = frame["outcome"].cat, frame["measure"].cat
    pairs = Counter(zip(outcomes.codes.to_numpy()[present].tolist(), measures.codes.to_numpy()[present].tolist()))
    known = sorted(pair for pair in pairs if min(pair) >= 0)  # category codes: schema order
    return pd.DataFrame({
        "outcome": pd.array([outcomes.categories[o] for o, _ in known], dtype="str"),
        "measure": pd.array([measures.categories[m] for _, m in known], dtype="str"),
        "findings": np.array([pairs[pair] for pair in known], dtype=np.int64),
    })


def forest_rows(frame: pd.DataFrame, outcome: str, measure: str, by: str = "k_form", *,
                exclude_flagged: bool = False, exclude_open_label: bool = False) -> pd.DataFrame:
    """Every finding of one outcome and measure with its oriented result, site, subgroup and whether it is pooled.

    Columns added: site (the site group), subgroup (label), family (trials / observational / meta-analyses),
    reoriented, pooled (bool), not_pooled (reason text, '' when pooled). Sorted by site, family, subgroup, date.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)}, not {by!r}")
    chosen = ((frame["outcome"] == outcome) & (frame["measure"] == measure) & frame["estimate"].notna()).to_numpy(
        dtype=bool, na_value=False)
    # Everything but the results is worked out on the few columns it reads (a handful of rows, where a pandas
    # operation costs more than its work); the chosen rows are then taken once, already in their sorted order.
    columns = ["site", "unit", "design", "k_form", "d3", "integrity", "blinding", "study_id", "ci_low", "ci_high",
               schema.PUBLISHED_DATE, "finding_id"]
    part = frame.loc[chosen, columns + ([] if by in columns else [by])]
    sites = [effect_sizes.site_group(outcome, site, unit) for site, unit in zip(part["site"], part["unit"])]
    family = np.array([DESIGN_FAMILIES.get(design, OBSERVATIONAL) for design in part["design"].astype(str).tolist()],
                      dtype=object)
    subgroups = part[by].astype(str).map(schema.VOCABULARIES[by].labels).tolist()
    subgroup_order = part[by].cat.codes.to_numpy()
    # The first reason that applies, tested in this order; then, of the rows left, a study's later rows in the file.
    tests = [
        ("no_ci", part["ci_low"].isna().to_numpy() | part["ci_high"].isna().to_numpy()),
        ("vitamin_d_only", ((part["k_form"] == "none") | (part["d3"] == "d3_only")).to_numpy(dtype=bool, na_value=False)),
        ("meta_analysis", family == META),
        ("flagged", part["integrity"].isin(schema.FLAGGED).to_numpy(dtype=bool) if exclude_flagged else None),
        ("open_label", (part["blinding"] == "open_label").to_numpy(dtype=bool, na_value=False)
         if exclude_open_label else None),
    ]
    reasons = np.full(len(part), "", dtype=object)
    for reason, applies in tests:
        if applies is not None:
            reasons[(reasons == "") & applies] = NOT_POOLED_REASONS[reason]
    seen: set[tuple] = set()
    keys = zip(sites, family, [None if pd.isna(label) else label for label in subgroups], part["study_id"].tolist())
    for position, key in enumerate(keys):
        if reasons[position] == "":
            if key in seen:
                reasons[position] = NOT_POOLED_REASONS["same_study"]
            seen.add(key)
    family_order = np.array([FAMILY_ORDER[name] for name in family], dtype=np.int64)
    dates = part[schema.PUBLISHED_DATE].to_numpy()
    undated = np.isnat(dates)
    finding_ids = part["finding_id"].tolist()
    order = sorted(range(len(part)), key=lambda i: (sites[i], family_order[i], subgroup_order[i], undated[i],
                                                    0 if undated[i] else dates[i], finding_ids[i]))
    rows = effect_sizes.oriented(frame.iloc[np.flatnonzero(chosen)[order]])
    rows["site"] = [sites[i] for i in order]
    rows["family"] = pd.array(family[order].tolist(), dtype="str")
    rows["subgroup"] = pd.array([subgroups[i] for i in order], dtype="str")
    rows["subgroup_order"] = subgroup_order[order]
    rows["not_pooled"] = pd.Series(reasons[order], index=rows.index, dtype=object)
    rows["pooled"] = reasons[order] == ""
    rows["family_order"] = family_order[order]
    return rows


def pooled_table(rows: pd.DataFrame, measure: str, method: str = DEFAULT_METHOD) -> list[Pooled]:
    """Pooled estimates per site and design family: one per subgroup of two or more studies, and one for all
    subgroups together when they are more than one. A single study is not pooled; meta-analyses never are."""
    results: list[Pooled] = []
    pooled = rows.loc[rows["pooled"].to_numpy(dtype=bool), ["site", "family", "subgroup", "study_id", "estimate",
                                                             "ci_low", "ci_high"]]
    for (site, family), block in pooled.groupby(["site", "family"], sort=False):
        subgroups = list(dict.fromkeys(block["subgroup"]))
        for subgroup in subgroups:
            part = block[block["subgroup"] == subgroup]
            if len(part) >= MIN_POOLED:
                results.append(_pool(site, f"{subgroup} ({family})", part, measure, method))
        studies = block.drop_duplicates("study_id")  # a study with arms in two subgroups counts once in all
        if len(subgroups) > 1 and len(studies) >= MIN_POOLED:
            results.append(_pool(site, f"{ALL} {family}", studies, measure, method))
    return results


def _pool(site: str, subgroup: str, part: pd.DataFrame, measure: str, method: str) -> Pooled:
    estimate, low, high, tau2, i2 = combine(part["estimate"], part["ci_low"], part["ci_high"], measure, method)
    return Pooled(site, subgroup, len(part), estimate, low, high, tau2, i2, METHODS[method])


def pooled_frame(pooled: list[Pooled]) -> pd.DataFrame:
    """The pooled estimates as a table (the CSV of `kviz pool` and the table under the forest plot)."""
    return pd.DataFrame([{name: getattr(p, name) for name in POOLED_COLUMNS} for p in pooled],
                        columns=list(POOLED_COLUMNS))


@dataclass(frozen=True)
class Analysis:
    """One forest plot's worth: the findings of an outcome and measure, which are pooled, and the pooled results."""

    outcome: str
    measure: str
    by: str
    method: str
    rows: pd.DataFrame
    pooled: list[Pooled]

    @property
    def table(self) -> pd.DataFrame:
        return pooled_frame(self.pooled)

    @property
    def not_pooled(self) -> pd.DataFrame:
        return self.rows[~self.rows["pooled"]]


def analyse(frame: pd.DataFrame, outcome: str, measure: str, by: str = "k_form", method: str = DEFAULT_METHOD, *,
            exclude_flagged: bool = False, exclude_open_label: bool = False) -> Analysis:
    """The rows and pooled results the forest plot, its table and `kviz pool` all show."""
    rows = forest_rows(frame, outcome, measure, by, exclude_flagged=exclude_flagged,
                       exclude_open_label=exclude_open_label)
    return Analysis(outcome, measure, by, method, rows, pooled_table(rows, measure, method))


def default_analysis(frame: pd.DataFrame) -> tuple[str, str] | None:
    """The (outcome, measure) shown when none is chosen: the key outcome, then measure, with the most findings
    that carry an estimate."""
    return first_analysis(analyses(frame))


def first_analysis(options: pd.DataFrame) -> tuple[str, str] | None:
    """`default_analysis` from a table `analyses` already made."""
    if options.empty:
        return None
    order = {code: i for i, code in enumerate(schema.KEY_OUTCOMES + tuple(schema.OUTCOME.codes))}
    candidates = zip(options["outcome"], options["measure"], options["findings"])
    outcome, measure, _ = min(candidates, key=lambda option: (order[option[0]], -option[2]))  # the first of equals
    return str(outcome), str(measure)
