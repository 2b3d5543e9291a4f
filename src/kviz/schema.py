"""The single source of truth for the findings table.

Columns, vocabularies (codes, human labels, display order, colours, chart symbols) and the dtypes of a
loaded table live here and nowhere else: loader, filters, figures, pages and exports all read them from
this module, so adding a category is a one-line change.

Colours come from the Okabe-Ito and Paul Tol palettes, which stay distinguishable under the common
forms of colour-blindness; direction colours are always paired with distinct marker symbols.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True)
class Category:
    """One allowed value of a categorical column."""

    code: str
    label: str
    colour: str = "#999999"
    symbol: str = "circle"
    description: str = ""
    family: str = ""
    slug: str = ""  # file-name token where the code alone would be unclear
    short: str = ""  # compact label for filter chips and URLs where the full label is long


@dataclass(frozen=True)
class Vocabulary:
    """The ordered set of allowed values of one categorical column."""

    column: str
    title: str
    categories: tuple[Category, ...]

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.categories]

    @property
    def labels(self) -> dict[str, str]:
        return {c.code: c.label for c in self.categories}

    @property
    def colours(self) -> dict[str, str]:
        return {c.code: c.colour for c in self.categories}

    @property
    def symbols(self) -> dict[str, str]:
        return {c.code: c.symbol for c in self.categories}

    def label(self, code: str) -> str:
        """Human label of a code; unknown codes are returned unchanged so nothing is hidden."""
        return self.labels.get(code, code)

    def short_label(self, code: str) -> str:
        """Compact label for filter chips and URLs (the full label when no short one is set)."""
        category = next((c for c in self.categories if c.code == code), None)
        return (category.short or category.label) if category else code

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __getitem__(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)


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
        Category("observational", "Observational study", "#EEEEBB", "circle",
                 "Cohort, case-control or cross-sectional: shows association, not cause."),
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
        Category("yes", "With D3", "#E69F00", slug="with-D3", description="Vitamin D3 was given or studied together with vitamin K."),
        Category("no", "Without D3", "#56B4E9", slug="without-D3", description="Vitamin K was studied without vitamin D3."),
        Category("not_reported", "D3 not reported", "#BBBBBB", slug="D3-not-reported", description="The source does not say."),
    ),
)

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
    ),
)

VOCABULARIES: dict[str, Vocabulary] = {
    v.column: v for v in (DESIGN, K_FORM, D3, OUTCOME, DIRECTION, SOURCE_MATCH, SOURCE)
}

# Directions that carry an effect; rows with other directions stay out of effect charts and vote counts.
EFFECT_DIRECTIONS: tuple[str, ...] = ("benefit", "no_effect", "mixed", "harm")
# The outcomes users ask about first; charts list them first.
KEY_OUTCOMES: tuple[str, ...] = ("bone_density", "fracture", "muscle")
# The two comparisons users bring, side by side in charts: K1 vs the K2 family, and with vs without D3.
COMPARED_K_FAMILIES: tuple[str, ...] = ("K1", "K2")
COMPARED_D3: tuple[str, ...] = ("yes", "no")
UNTRACED = "not_identified"


def k_forms_of_family(family: str) -> list[str]:
    """The k_form codes that belong to one family (K2 -> K2, MK-4, MK-7)."""
    return [c.code for c in K_FORM.categories if c.family == family]


K2_SUBTYPES: tuple[str, ...] = tuple(k_forms_of_family("K2"))


@dataclass(frozen=True)
class Column:
    """One column of findings.csv: its kind decides how the loader parses and checks it."""

    name: str
    kind: str  # id | text | category | date | int | float | doi | url
    label: str
    description: str
    required: bool = False  # a value must be present in every row


COLUMNS: tuple[Column, ...] = (
    Column("finding_id", "id", "Finding ID", "Unique, stable identifier of the row (lower-case slug).", True),
    Column("study_id", "id", "Study ID", "Shared by all rows that come from one publication.", True),
    Column("published", "date", "Published", "YYYY-MM (or YYYY when only the year is known); empty if undated."),
    Column("headline", "text", "Finding", "The finding in one line, in our own words.", True),
    Column("design", "category", "Design", "What kind of study it is.", True),
    Column("k_form", "category", "Vitamin K form", "Which form of vitamin K was studied.", True),
    Column("d3", "category", "Vitamin D3", "Whether vitamin D3 was given or studied with vitamin K.", True),
    Column("outcome", "category", "Outcome", "What was measured.", True),
    Column("direction", "category", "Direction", "What the study found for vitamin K on this outcome.", True),
    Column("source_match", "category", "Traced", "How sure we are which study the claim refers to.", True),
    Column("n_participants", "int", "Participants", "Number of people studied; empty if unknown or not human."),
    Column("dose_ug_per_day", "float", "Dose (µg/day)", "Daily vitamin K dose in micrograms; empty if unknown."),
    Column("duration_months", "float", "Duration (months)", "Length of treatment or follow-up; empty if unknown."),
    Column("population", "text", "Population", "Who was studied."),
    Column("dose_text", "text", "Dose as reported", "The dose in the source's words."),
    Column("effect_size", "text", "Effect size", "As reported, e.g. OR 0.72 (0.55–0.95)."),
    Column("citation", "text", "Citation", "Authors, title, journal, year."),
    Column("doi", "doi", "DOI", "Bare DOI (10.xxxx/...); empty unless known for certain."),
    Column("url", "url", "Link", "An https:// address of the source."),
    Column("source", "category", "Row source", "Where the row comes from.", True),
    Column("notes", "text", "Notes", "Caveats, and where the headline overstates the study."),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
LABELS: dict[str, str] = {c.name: c.label for c in COLUMNS}
TEXT_SEARCH_COLUMNS: tuple[str, ...] = ("headline", "citation", "population", "notes")

# One complete, valid row (a real, verified study) for the upload template and the data dictionary.
# Its ids start with "example-" so that a forgotten example row never clashes with the bundled data.
EXAMPLE_FINDING: dict[str, str] = {
    "finding_id": "example-knapen-2013-bone-density",
    "study_id": "example-knapen-2013",
    "published": "2013-03",
    "headline": "MK-7 180 µg/day for 3 years slowed bone loss in healthy postmenopausal women",
    "design": "rct",
    "k_form": "MK-7",
    "d3": "no",
    "outcome": "bone_density",
    "direction": "benefit",
    "source_match": "identified",
    "n_participants": "244",
    "dose_ug_per_day": "180",
    "duration_months": "36",
    "population": "Healthy postmenopausal women",
    "dose_text": "180 µg MK-7 per day",
    "effect_size": "",
    "citation": "Knapen MHJ, Drummen NE, Smit E, Vermeer C, Theuwissen E. Three-year low-dose menaquinone-7 "
    "supplementation helps decrease bone loss in healthy postmenopausal women. Osteoporos Int. "
    "2013;24(9):2499-2507.",
    "doi": "10.1007/s00198-013-2325-6",
    "url": "https://pubmed.ncbi.nlm.nih.gov/23525894/",
    "source": "added",
    "notes": "Example row: replace it with your own findings. Less bone loss at lumbar spine and femoral "
    "neck; total hip did not differ.",
}

# Added by the loader, never written back to a CSV.
PUBLISHED_DATE = "published_date"  # datetime64: first day of the month (or year) of `published`
YEAR = "year"  # Int64
DERIVED_COLUMNS: tuple[str, ...] = (PUBLISHED_DATE, YEAR)

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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as a spreadsheet shows it (header is row 1)."""

    message: str
    file: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    allowed: str = ""

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.file,
                f"row {self.row}" if self.row is not None else "",
                f"column '{self.column}'" if self.column else "",
            )
            if part
        )
        text = f"{where}: {self.message}" if where else self.message
        if self.value:
            text += f" (value: {self.value!r})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


@dataclass
class LoadReport:
    """Warnings from a successful load (e.g. unknown extra columns kept, links dropped)."""

    warnings: list[Problem] = field(default_factory=list)
