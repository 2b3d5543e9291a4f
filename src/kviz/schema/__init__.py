"""The single source of truth for the findings table (and, in `kviz.schema.screening`, the search records).

Columns, vocabularies (codes, human labels, display order, colours, chart symbols) and the dtypes of a
loaded table live here and nowhere else: loader, filters, figures, pages and exports all read them from
this module, so adding a category is a one-line change.

Colours come from the Okabe-Ito and Paul Tol palettes, which stay distinguishable under the common
forms of colour-blindness; direction colours are always paired with distinct marker symbols.
"""

from __future__ import annotations

from typing import Iterable

# The building blocks and the screening records' schema live in their own modules; `schema.X` reaches them all.
from kviz.schema.screening import DECISION, EXCLUSION_REASON, RECORD_SOURCE, SCREENING, SCREENING_COLUMNS  # noqa: F401
from kviz.schema.types import Category, Column, Problem, TableSpec, Vocabulary  # noqa: F401


DESIGN = Vocabulary(
    "design",
    "Study design",
    (
        Category("meta_analysis", "Meta-analysis", "#BBCCEE", "star",
                 "Pools the results of several studies (systematic review with meta-analysis)."),
        Category("rct", "Randomised trial", "#CCEEFF", "square",
                 "Participants were randomly allocated to vitamin K or a comparison."),
        Category("trial", "Non-randomised trial", "#CCDDAA", "pentagon",
                 "People were given vitamin K without random allocation (open-label, dose-finding, case series)."),
        Category("cohort", "Cohort study", "#EEEEBB", "circle",
                 "Follows people over time (prospective cohort or case-cohort): shows association, not cause."),
        Category("observational", "Cross-sectional or case-control", "#F5E6C8", "circle-dot",
                 "Compares people at one time, or cases with controls: shows association, not cause."),
        Category("lab", "Laboratory (cell or animal)", "#FFCCCC", "cross",
                 "In vitro, animal or food-composition work; no human outcomes."),
        Category("review", "Narrative review", "#DDDDDD", "hexagon",
                 "Summarises other studies without pooling them statistically."),
        Category("opinion", "Opinion / editorial", "#F2F2F2", "circle-open",
                 "A claim or recommendation with no study of its own behind it."),
    ),
)

K_FAMILY = Vocabulary(
    "k_family",
    "Vitamin K form",
    (
        Category("K1", "K1 (phylloquinone)", "#009E73", short="K1"),
        Category("K2", "K2 (menaquinones)", "#0072B2", short="K2"),
        Category("mixed", "Several forms", "#E69F00"),
        Category("unspecified", "Form not stated", "#999999"),
        Category("none", "No vitamin K", "#CCCCCC"),
    ),
)

K_FORM = Vocabulary(
    "k_form",
    "Vitamin K form",
    (
        Category("K1", "K1", "#009E73", family="K1",
                 description="Phylloquinone, from green plants."),
        Category("K2", "K2 (subtype not stated)", "#0072B2", family="K2", short="Subtype not stated",
                 description="Menaquinones, subtype not reported."),
        Category("MK-4", "K2 as MK-4", "#56B4E9", family="K2", short="MK-4",
                 description="Menaquinone-4 (menatetrenone); short half-life, often given in milligram doses."),
        Category("MK-7", "K2 as MK-7", "#CC79A7", family="K2", short="MK-7",
                 description="Menaquinone-7, from natto and fermented foods; long half-life."),
        Category("mixed", "Several forms", "#E69F00", family="mixed",
                 description="Several vitamin K forms studied or pooled together."),
        Category("unspecified", "Vitamin K, form not stated", "#999999", family="unspecified",
                 description="Vitamin K in general, or a status marker that does not distinguish forms."),
        Category("none", "No vitamin K", "#CCCCCC", family="none",
                 description="No vitamin K involved, e.g. a vitamin D-only trial."),
    ),
)

D3 = Vocabulary(
    "d3",
    "Vitamin D3",
    (
        Category("with_d3", "K given with D3", "#E69F00", slug="with-D3", short="With D3",
                 description="People were given vitamin K together with vitamin D3: one product, the K + D3 arm of a "
                 "factorial trial, or D3 given to every arm as background."),
        Category("without_d3", "K given without D3", "#56B4E9", slug="without-D3", short="Without D3",
                 description="People were given vitamin K and no vitamin D3."),
        Category("d3_only", "Vitamin D only, no vitamin K", "#D55E00", slug="D3-only", short="D3 only",
                 description="Vitamin D3 (or another vitamin D) given without vitamin K: not evidence about vitamin K."),
        Category("k_and_d_status", "K and D status (observational)", "#CC79A7", slug="K-and-D-status",
                 short="K & D status",
                 description="An observational study that analyses vitamin K status or intake together with vitamin D "
                 "status."),
        Category("not_reported", "D3 not reported", "#BBBBBB", slug="D3-not-reported", short="Not reported",
                 description="Anything else, including observational studies of vitamin K alone and sources that do "
                 "not say."),
    ),
)
# Codes of the first d3 vocabulary (before 2026-12): files written for it still load, each old code read as the
# new code its row's design and vitamin K form imply (kviz.loader.translate_legacy_d3 says how, with a warning).
LEGACY_D3_CODES: tuple[str, ...] = ("yes", "no")

OUTCOME = Vocabulary(
    "outcome",
    "Outcome",
    (
        Category("bone_density", "Bone density", "#332288", description="Bone mineral density or content (DXA, QCT)."),
        Category("fracture", "Fracture", "#882255", description="Fractures of any kind (hip, vertebral, clinical)."),
        Category("muscle", "Muscle", "#117733",
                 description="Muscle mass, strength, physical function, satellite cells, exercise performance."),
        Category("bone_quality", "Bone quality & strength", "#44AA99",
                 description="Bone strength, geometry, stiffness and other quality measures."),
        Category("bone_markers", "Bone markers", "#88CCEE",
                 description="Osteocalcin carboxylation, bone-cell activity and other bone biomarkers."),
        Category("vascular", "Vascular calcification", "#DDCC77", description="Arterial calcification and stiffness."),
        Category("cardiovascular", "Cardiovascular", "#CC6677", description="Heart function, events and cardiovascular risk."),
        Category("mortality", "Mortality", "#AA4499", description="Death from any cause."),
        Category("covid", "COVID-19", "#999933", description="Severity or outcome of COVID-19."),
        Category("vitamin_status", "Vitamin status & absorption", "#6699CC",
                 description="Vitamin levels, absorption, food content and requirements."),
        Category("other", "Other", "#BBBBBB", description="Mechanisms, measurement and everything else."),
    ),
)

DIRECTION = Vocabulary(
    "direction",
    "Direction of effect",
    (
        Category("benefit", "Benefit", "#0072B2", "triangle-up",
                 "Vitamin K (or better vitamin K status) went with a better outcome."),
        Category("no_effect", "No clear effect", "#999999", "diamond",
                 "No difference, or a difference that was not statistically clear."),
        Category("mixed", "Mixed", "#E69F00", "diamond-open",
                 "Conflicting results across sites, subgroups or studies."),
        Category("harm", "Harm", "#D55E00", "triangle-down",
                 "Vitamin K went with a worse outcome."),
        Category("not_applicable", "No effect stated", "#DDDDDD", "circle-open",
                 "The row states no effect: food content, opinion, background."),
    ),
)

SOURCE_MATCH = Vocabulary(
    "source_match",
    "Traced to a study",
    (
        Category("identified", "Identified", "#009E73", description="The study behind the claim is known for certain."),
        Category("probable", "Probable", "#E69F00", description="A study that very likely is the one meant."),
        Category("not_identified", "Untraced", "#D55E00",
                 description="No study could be identified: the claim is shown as stated, untraced."),
    ),
)

SOURCE = Vocabulary(
    "source",
    "Where the row comes from",
    (
        Category("seed_list", "Vitamin D Life list", description="A headline from the Vitamin D Life overview page."),
        Category("seed_review", "Alonso et al. 2022", description="A finding stated in the abstract of the lead review."),
        Category("added", "Added by curators", description="A study added to fill a gap the seed leaves."),
        Category("search", "Documented search", description="A study found by the search of docs/SEARCH.md."),
    ),
)

BLINDING = Vocabulary(
    "blinding",
    "Blinding",
    (
        Category("double_blind", "Double-blind", description="Neither participants nor investigators knew the allocation."),
        Category("single_blind", "Single-blind", description="One side (usually participants) did not know the allocation."),
        Category("open_label", "Open-label", description="Everyone knew who got what: outcomes are more open to bias."),
        Category("not_reported", "Blinding not reported", description="The page read does not say."),
    ),
)

INTEGRITY = Vocabulary(
    "integrity",
    "Integrity",
    (
        Category("ok", "No concern known", "#009E73", description="No retraction, expression of concern or published "
                 "caution was found."),
        Category("concern", "Integrity concern", "#E69F00", "diamond-wide",
                 description="An expression of concern, a published caution, or questioned data; `notes` cites it."),
        Category("retracted", "Retracted", "#D55E00", "x",
                 description="The publication was retracted; `notes` cites the notice."),
    ),
)

MEASURE = Vocabulary(
    "measure",
    "Effect measure",
    (
        Category("RR", "Risk ratio", family="ratio", short="RR", description="Risk with vitamin K ÷ risk without (below 1: fewer events)."),
        Category("OR", "Odds ratio", family="ratio", short="OR", description="Odds with vitamin K ÷ odds without (below 1: fewer events)."),
        Category("HR", "Hazard ratio", family="ratio", short="HR", description="Hazard with vitamin K ÷ hazard without (below 1: fewer events)."),
        Category("MD", "Mean difference", family="difference", short="MD",
                 description="Vitamin K minus control, in the outcome's own units (above 0: more of it)."),
        Category("SMD", "Standardised mean difference", family="difference", short="SMD",
                 description="Mean difference in standard deviations (above 0: more with vitamin K)."),
        Category("pct_diff", "Difference in % change", family="difference", short="Difference in % change",
                 description="Percent change from baseline with vitamin K minus that with control."),
    ),
)
RATIO_MEASURES: tuple[str, ...] = tuple(c.code for c in MEASURE.categories if c.family == "ratio")

CONTRAST = Vocabulary(
    "contrast",
    "Comparison order",
    (
        Category("k_vs_control", "Vitamin K vs control", description="Vitamin K against its comparator, or more "
                 "vitamin K (intake, status) against less: the order every chart uses."),
        Category("low_vs_high", "Less vs more vitamin K", description="Reported the other way round, e.g. lowest vs "
                 "highest intake: charts and pooling turn it round (1 / ratio, or − difference)."),
    ),
)

VOCABULARIES: dict[str, Vocabulary] = {
    v.column: v
    for v in (DESIGN, BLINDING, K_FORM, D3, OUTCOME, DIRECTION, SOURCE_MATCH, INTEGRITY, SOURCE, MEASURE, CONTRAST)
}

# Directions that carry an effect; rows with other directions stay out of effect charts and vote counts.
EFFECT_DIRECTIONS: tuple[str, ...] = ("benefit", "no_effect", "mixed", "harm")
# The outcomes users ask about first; charts list them first.
KEY_OUTCOMES: tuple[str, ...] = ("bone_density", "fracture", "muscle")
# The two comparisons users bring, side by side in charts: K1 vs the K2 family, and with vs without D3.
COMPARED_K_FAMILIES: tuple[str, ...] = ("K1", "K2")
COMPARED_D3: tuple[str, ...] = ("with_d3", "without_d3")
# Evidence about vitamin K, what direction charts, vote counts and the evidence map count by default: primary
# studies and meta-analyses in which vitamin K was given or measured. Left out (unless the user asks): narrative
# reviews and opinion, untraced claims, and vitamin D-only findings (k_form none, or d3 d3_only).
NOT_EVIDENCE_DESIGNS: tuple[str, ...] = ("review", "opinion")
# The designs a vote count pools: primary human studies. Meta-analyses pool the same trials, so they never vote.
VOTING_DESIGNS: tuple[str, ...] = ("rct", "trial", "cohort", "observational")
# Integrity codes that flag a finding: marked in every view, hidden by the sidebar switch.
FLAGGED: tuple[str, ...] = ("concern", "retracted")
UNTRACED = "not_identified"


def k_forms_of_family(family: str) -> list[str]:
    """The k_form codes that belong to one family (K2 -> K2, MK-4, MK-7)."""
    return [c.code for c in K_FORM.categories if c.family == family]


K2_SUBTYPES: tuple[str, ...] = tuple(k_forms_of_family("K2"))


COLUMNS: tuple[Column, ...] = (
    Column("finding_id", "id", "Finding ID", "Unique, stable identifier of the row (lower-case slug).", True),
    Column("study_id", "id", "Study ID", "Shared by all rows that come from one publication.", True),
    Column("published", "date", "Published", "YYYY-MM (or YYYY when only the year is known); empty if undated."),
    Column("headline", "text", "Finding", "The finding in one line, in our own words.", True),
    Column("design", "category", "Design", "What kind of study it is.", True),
    Column("blinding", "category", "Blinding", "For trials: who knew the allocation; empty otherwise.",
           in_every_file=False),
    Column("k_form", "category", "Vitamin K form", "Which form of vitamin K was studied.", True),
    Column("d3", "category", "Vitamin D3", "Whether people were given vitamin D3 with vitamin K (or D3 alone).", True),
    Column("comparison", "text", "Comparison", "What the vitamin K arm (or exposure) is compared with.",
           in_every_file=False),
    Column("outcome", "category", "Outcome", "What was measured.", True),
    Column("site", "text", "Site", "Where or what exactly: lumbar spine, total hip, any clinical fracture, grip strength.",
           in_every_file=False),
    Column("direction", "category", "Direction", "What the study found for vitamin K on this outcome.", True),
    Column("source_match", "category", "Traced", "How sure we are which study the claim refers to.", True),
    Column("integrity", "category", "Integrity", "Retracted, or under an integrity concern; empty or ok otherwise.",
           in_every_file=False),
    Column("n_participants", "int", "Participants", "Number of people studied; empty if unknown or not human."),
    Column("dose_ug_per_day", "float", "Dose (µg/day)", "Daily vitamin K dose in micrograms; empty if unknown."),
    Column("duration_months", "float", "Duration (months)", "Length of treatment or follow-up; empty if unknown."),
    Column("population", "text", "Population", "Who was studied."),
    Column("dose_text", "text", "Dose as reported", "The dose in the source's words."),
    Column("effect_size", "text", "Effect size", "As reported, e.g. OR 0.72 (0.55–0.95)."),
    Column("measure", "category", "Measure", "The effect measure of `estimate`.", in_every_file=False),
    Column("estimate", "signed", "Estimate", "The effect as printed, in `measure` units.", in_every_file=False),
    Column("ci_low", "signed", "95% CI low", "Lower end of the 95% confidence interval.", in_every_file=False),
    Column("ci_high", "signed", "95% CI high", "Upper end of the 95% confidence interval.", in_every_file=False),
    Column("unit", "text", "Unit", "Unit of a mean difference (g/cm², kg, cm, points); empty for ratios, SMD and %.",
           in_every_file=False),
    Column("contrast", "category", "Order", "Which way round the estimate compares (empty: vitamin K vs control).",
           in_every_file=False),
    Column("timepoint_months", "float", "At (months)", "When the estimate was measured.", in_every_file=False),
    Column("events_k", "int", "Events, vitamin K", "People with the event in the vitamin K arm.", in_every_file=False),
    Column("n_k", "int", "n, vitamin K", "People in the vitamin K arm.", in_every_file=False),
    Column("events_control", "int", "Events, control", "People with the event in the control arm.", in_every_file=False),
    Column("n_control", "int", "n, control", "People in the control arm.", in_every_file=False),
    Column("citation", "text", "Citation", "Authors, title, journal, year."),
    Column("doi", "doi", "DOI", "Bare DOI (10.xxxx/...); empty unless known for certain."),
    Column("url", "url", "Link", "An https:// address of the source."),
    Column("evidence_url", "url", "Read at", "The https page the row's facts were read on.", in_every_file=False),
    Column("source", "category", "Row source", "Where the row comes from.", True),
    Column("notes", "text", "Notes", "Caveats, and where the headline overstates the study."),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
# The header every findings file must have; the other columns came later and may be missing (read as empty).
HEADER_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.in_every_file)
COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
LABELS: dict[str, str] = {c.name: c.label for c in COLUMNS}
TEXT_SEARCH_COLUMNS: tuple[str, ...] = ("headline", "citation", "population", "notes")
# A result read from the numeric columns, e.g. 'RR 0.45 (95% CI 0.20 to 0.98)' (kviz.effect_sizes.effect_texts).
EFFECT_TEXT, EFFECT_TEXT_LABEL = "effect_text", "Effect (95% CI)"
# Tables of findings (app and report): these columns first, in this order, then the rest in file order.
TABLE_FIRST_COLUMNS: tuple[str, ...] = (
    "published", "headline", "outcome", "direction", "design", "k_form", "d3", "n_participants",
)
TABLE_ORDER: tuple[str, ...] = (
    *TABLE_FIRST_COLUMNS, EFFECT_TEXT, *(name for name in COLUMN_NAMES if name not in TABLE_FIRST_COLUMNS),
)
# What the Evidence table shows until the reader chooses other columns.
TABLE_DEFAULT_COLUMNS: tuple[str, ...] = (
    *TABLE_FIRST_COLUMNS, EFFECT_TEXT, "dose_ug_per_day", "duration_months", "population", "integrity", "source_match",
    "citation", "doi", "url", "notes",
)

# One complete, valid row (a real, verified study) for the upload template and the data dictionary.
# Its ids start with "example-" so that a forgotten example row never clashes with the bundled data.
EXAMPLE_FINDING: dict[str, str] = {
    "finding_id": "example-knapen-2013-bone-density",
    "study_id": "example-knapen-2013",
    "published": "2013-03",
    "headline": "MK-7 180 µg/day for 3 years slowed bone loss at the spine and femoral neck, not the total hip",
    "design": "rct",
    "blinding": "",
    "k_form": "MK-7",
    "d3": "not_reported",
    "comparison": "MK-7 vs placebo",
    "outcome": "bone_density",
    "site": "lumbar spine; femoral neck; total hip",
    "direction": "mixed",
    "source_match": "identified",
    "integrity": "ok",
    "n_participants": "244",
    "dose_ug_per_day": "180",
    "duration_months": "36",
    "population": "Healthy postmenopausal women",
    "dose_text": "180 µg MK-7 per day",
    "effect_size": "",
    "measure": "",
    "estimate": "",
    "ci_low": "",
    "ci_high": "",
    "unit": "",
    "contrast": "",
    "timepoint_months": "",
    "events_k": "",
    "n_k": "",
    "events_control": "",
    "n_control": "",
    "citation": "Knapen MHJ, Drummen NE, Smit E, Vermeer C, Theuwissen E. Three-year low-dose menaquinone-7 "
    "supplementation helps decrease bone loss in healthy postmenopausal women. Osteoporos Int. "
    "2013;24(9):2499-2507.",
    "doi": "10.1007/s00198-013-2325-6",
    "url": "https://pubmed.ncbi.nlm.nih.gov/23525894/",
    "evidence_url": "https://www.researchgate.net/publication/236077775_Three-year_low-dose_menaquinone-7_supplementation_helps_decrease_bone_loss_in_healthy_postmenopausal_women",
    "source": "added",
    "notes": "Example row: replace it with your own findings. Less bone loss at lumbar spine and femoral "
    "neck; total hip did not differ. The abstract does not say whether vitamin D was given.",
}

# Added by the loader, never written back to a CSV.
PUBLISHED_DATE = "published_date"  # datetime64: first day of the month (or year) of `published`
YEAR = "year"  # Int64
DERIVED_COLUMNS: tuple[str, ...] = (PUBLISHED_DATE, YEAR)

FINDINGS = TableSpec("findings", COLUMNS, VOCABULARIES, "finding_id", DERIVED_COLUMNS)

INT_DTYPE = "Int64"
FLOAT_DTYPE = "Float64"

# Marker-size bands for sample size in effect direction plots.
SAMPLE_SIZE_BANDS: tuple[tuple[str, int, int | None, int], ...] = (
    # label, lower bound (inclusive), upper bound (exclusive) or None, marker size
    ("< 50", 0, 50, 9),
    ("50–299", 50, 300, 13),
    ("300–999", 300, 1000, 17),
    ("≥ 1000", 1000, None, 22),
)
SAMPLE_SIZE_UNKNOWN = ("n unknown", 7)


def sample_size_band(n: int | None) -> tuple[str, int]:
    """(label, marker size) of the band a participant count falls in."""
    if n is None:
        return SAMPLE_SIZE_UNKNOWN
    for label, low, high, size in SAMPLE_SIZE_BANDS:
        if n >= low and (high is None or n < high):
            return label, size
    return SAMPLE_SIZE_UNKNOWN


def labelled(column: str, codes: Iterable[str]) -> list[str]:
    """Human labels for codes of a categorical column, in the given order."""
    return [VOCABULARIES[column].label(code) for code in codes]
