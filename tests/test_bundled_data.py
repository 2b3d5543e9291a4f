"""The bundled data/findings.csv: it loads cleanly, every seed item is traceable to its rows, the curation rules
hold row by row, and docs/DATA.md describes every code and every finding."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from kviz import schema, screening
from kviz.loader import DEFAULT_DATA_PATH, load_findings

DATA_DOC = Path(__file__).resolve().parents[1] / "docs" / "DATA.md"
BARE_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


class SeedItem(NamedTuple):
    """One item of the seed document, what it says, and where the table must show it."""

    wording: str  # the seed's wording, shortened
    date: str  # as dated in the seed: YYYY-MM, YYYY, or "" when undated
    study_id: str
    keyword: str  # a word the study's rows must contain (headline, citation, dose or population)
    codes: dict[str, str] = {}  # codes every row of the study must have


SEED_ITEMS: tuple[SeedItem, ...] = (
    # Introductory summary of the overview page (site editorial) and its dated notes.
    SeedItem("confused with lesser form (D2, K1)", "", "vdl-editorial", "lesser form", {"design": "opinion"}),
    SeedItem("no simple blood test for K2 as of Jan 2020", "2020-01", "vdl-editorial-2020-01", "blood test",
             {"design": "opinion", "direction": "not_applicable"}),
    SeedItem("Vitamin D blocks Vitamins K1, Vitamin A", "2015", "goncalves-2015", "vitamin A", {"k_form": "K1"}),
    # "Vitamin K and Bone" list.
    SeedItem("Vitamin K2-7 helps bone, blood vessels, cancer, diabetes", "2022-06", "mk7-pathways-review-2022",
             "MK-7", {"k_form": "MK-7"}),
    SeedItem("Role of Vitamin K in Bones and Muscles", "2022-02", "alonso-2022", "Alonso", {"design": "review"}),
    SeedItem("Bone loss results in blood vessel plaque if low K2", "2021-04", "mandatori-2021", "calcification",
             {"k_form": "K2"}),
    SeedItem("Bone increased: stiffness (D), flexibility (K2)", "2020-09", "vdl-2020-09-stiffness", "flexible",
             {"source_match": "not_identified"}),
    SeedItem("Bone quality improved 2X by D plus K2 – meta-analysis", "2020-03", "kuang-2020", "vitamin D",
             {"design": "meta_analysis", "d3": "with_d3"}),
    SeedItem("Vitamin D and Calcium do not increase bone density – RCT", "2019-08", "burt-2019", "calcium",
             {"design": "rct", "k_form": "none"}),
    SeedItem("Vitamin K reduced bone fractures by 24 percent – meta-analysis", "2019-05", "mott-2019", "fracture",
             {"design": "meta_analysis"}),
    SeedItem("Calcium Supplementation is OK if you also take Vitamin K", "2019-02", "wasilewski-2019", "calcium"),
    SeedItem("Hard bones, soft arteries (listed twice)", "2016-03", "vdl-2016-03-hard-bones", "arteries",
             {"source_match": "not_identified"}),
    SeedItem("Many seniors do not get enough protein, Vitamin D, Mg", "2019-02", "vdl-2019-02-seniors", "protein"),
    SeedItem("Adding just vitamin D again failed to add bone density – RCT", "2018-08", "macdonald-2018",
             "vitamin D3", {"design": "rct", "k_form": "none"}),
    SeedItem("Osteocalcin – overview of the hormone", "2018-01", "vdl-2018-01-osteocalcin", "osteocalcin"),
    SeedItem("Vitamin K and bone – review", "2017-10", "vdl-2017-10-k-bone-review", "review", {"design": "review"}),
    SeedItem("Bone formation in the lab aided by D, K1, K2 – meta-analysis", "2017-11", "lancaster-2017",
             "osteoblasts", {"design": "lab"}),
    SeedItem("Better bones associated with higher vitamin K intake", "2015-11", "kim-2015", "intake",
             {"design": "observational"}),
    SeedItem("Bone biomarkers: at least 600 ug of MK-4 needed daily", "2014-09", "nakamura-2014", "600",
             {"k_form": "MK-4", "outcome": "bone_markers"}),
    SeedItem("Vitamin K2 (as MK-7) needed for bone quality – Review", "2013-02", "vdl-2013-02-mk7-review",
             "MK-7", {"k_form": "MK-7"}),
    SeedItem("Increased Vitamin K2 reduces problems of excess Calcium", "2013-11", "vdl-2013-11-k2-calcium",
             "calcium", {"k_form": "K2"}),
    SeedItem("Vitamin K and bone health – need more research", "2013-10", "vdl-2013-10-k-bone-health",
             "bone health", {"source_match": "not_identified"}),
    SeedItem("Vitamin K-2 (180 ug MK-7) helped bone density and strength – RCT", "2013-03", "knapen-2013", "180",
             {"design": "rct", "k_form": "MK-7"}),
    SeedItem("Healthy bones need Ca, Silicon, Vitamins B, C, D, K", "2012-12", "rondanelli-2012", "silicon"),
    SeedItem("Increasing bone density increases breast cancer 2X", "2012-08", "vdl-2012-08-bmd-cancer",
             "breast cancer"),
    SeedItem("Healthy bones need Ca, D, Mg, Silicon, K, Boron", "2012", "price-2012", "boron"),
    SeedItem("Vitamin D, K2, Magnesium together increase bone density", "2012-01", "genuis-2012", "magnesium",
             {"d3": "with_d3"}),
    SeedItem("Bone spurs not produced with enough D3, K2", "2011-11", "vdl-2011-11-bone-spurs", "spurs"),
    SeedItem("Vitamin K1 reduced hip fracture but K2 did not", "2011-08", "apalset-2011", "hip fracture",
             {"design": "cohort", "outcome": "fracture"}),
    SeedItem("Women with hip fractures very low on D3 and K", "2011-03", "vdl-2011-03-low-dk", "hip fracture"),
    SeedItem("Vitamin K2 from natto improved bone mineral density", "2011-03", "fujita-2011", "natto",
             {"k_form": "mixed", "design": "observational"}),
    # "Some other Vitamin K in Vitamin D Life" list (its "Hard bones" item is the one above).
    SeedItem("1.4 X more likely to die if both D and K low", "2020-08", "van-ballegooijen-2020", "vitamin D",
             {"d3": "k_and_d_status"}),
    SeedItem("COVID associated with low Vitamin K – many studies", "", "dofferhoff-2021", "COVID-19",
             {"outcome": "covid"}),
    SeedItem("COVID associated with low Vitamin K – many studies", "", "linneberg-2021", "COVID-19",
             {"outcome": "covid"}),
    SeedItem("Response to Vitamin D increased with Mg and K2 – Grassroots", "2020-03", "grassroots-2020",
             "magnesium"),
    SeedItem("Longevity expert (Sinclair) supplements include D, K, Resveratrol", "2019-09", "sinclair-2019",
             "resveratrol"),
    SeedItem("Athletes maximal cardiac output +12 percent with K2 – RCT", "2017-07", "mcfarlin-2017",
             "cardiac output", {"design": "rct"}),
    SeedItem("Vitamin K in full-fat dairy products", "2017-06", "fu-2017", "dairy"),
)
# Seed rows whose date the table deliberately refines (see DATA.md, "Dates").
REFINED_DATES = {"price-2012": "2012-04"}


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return load_findings(DEFAULT_DATA_PATH)


@pytest.fixture(scope="module")
def data_doc() -> str:
    return DATA_DOC.read_text(encoding="utf-8")


def _study(findings: pd.DataFrame, study_id: str) -> pd.DataFrame:
    return findings[findings["study_id"] == study_id]


def test_bundled_file_loads_without_warnings(findings):
    assert len(findings) > 0
    assert findings.attrs["warnings"] == []
    assert list(findings.columns[: len(schema.COLUMN_NAMES)]) == list(schema.COLUMN_NAMES)


def test_finding_ids_are_unique_and_extend_their_study_id(findings):
    assert findings["finding_id"].is_unique
    assert all(f.startswith(s + "-") for f, s in zip(findings["finding_id"], findings["study_id"]))


@pytest.mark.parametrize("item", SEED_ITEMS, ids=lambda item: f"{item.date or 'undated'}:{item.study_id}")
def test_seed_item_is_represented(findings, item):
    rows = _study(findings, item.study_id)
    assert not rows.empty, f"no rows for seed item {item.wording!r}"
    assert set(rows["source"]) <= {"seed_list", "seed_review"}
    expected_date = REFINED_DATES.get(item.study_id, item.date)
    if expected_date:
        assert set(rows["published"]) == {expected_date}
    text = " ".join(rows[["headline", "citation", "dose_text", "population"]].to_numpy().ravel()).lower()
    assert item.keyword.lower() in text
    for column, code in item.codes.items():
        assert set(rows[column].astype(str)) == {code}, f"{item.study_id}: {column}"


def test_every_seed_row_belongs_to_a_mapped_seed_item(findings):
    from_seed = findings[findings["source"].isin(["seed_list", "seed_review"])]
    assert set(from_seed["study_id"]) == {item.study_id for item in SEED_ITEMS}


def test_site_traffic_line_has_no_row(findings):
    assert not findings["headline"].str.contains("visitor", case=False).any()


def test_dois_are_bare_and_links_are_https_doi_links_when_known(findings):
    dois = findings.loc[findings["doi"] != "", ["doi", "url"]]
    assert dois["doi"].str.match(BARE_DOI).all()
    assert (dois["url"] == "https://doi.org/" + dois["doi"]).all()
    urls = findings.loc[findings["url"] != "", "url"]
    assert urls.str.startswith("https://").all()


def test_untraced_rows_have_no_doi_and_say_they_are_untraced(findings):
    untraced = findings[findings["source_match"] == schema.UNTRACED]
    assert not untraced.empty
    assert (untraced["doi"] == "").all()
    assert untraced["headline"].str.match(r"^(Untraced|Site editorial)").all()


def test_probable_rows_explain_why_in_notes(findings):
    probable = findings[findings["source_match"] == "probable"]
    assert not probable.empty
    assert probable["notes"].str.contains("probable", case=False).all()


def test_vitamin_d_only_trials_say_no_vitamin_k_was_given(findings):
    d_only = findings[(findings["k_form"] == "none") & findings["design"].isin(["rct", "trial"])]
    assert len(d_only) >= 3  # Burt 2019, Macdonald 2018, van Ballegooijen 2019
    assert d_only["notes"].str.contains("no vitamin K was given").all()
    assert d_only["dose_ug_per_day"].isna().all()


def test_overstated_headlines_are_coded_by_what_the_study_found(findings):
    by_id = findings.set_index("finding_id")
    assert by_id.at["mott-2019-fracture", "direction"] == "mixed"  # "24 percent" was not significant
    assert "0.76 (0.58–1.01)" in by_id.at["mott-2019-fracture", "effect_size"]
    assert by_id.at["apalset-2011-k2-hip-fracture", "direction"] == "no_effect"
    assert "2X" in by_id.at["kuang-2020-bone-density", "notes"]


@pytest.mark.parametrize("outcome", schema.KEY_OUTCOMES)
def test_key_outcome_has_a_traced_effect_row(findings, outcome):
    rows = findings[
        (findings["outcome"] == outcome)
        & findings["direction"].isin(schema.EFFECT_DIRECTIONS)
        & (findings["source_match"] == "identified")
    ]
    assert not rows.empty


def test_rows_of_one_study_share_date_design_and_citation(findings):
    per_study = findings.groupby("study_id", observed=True)[["published", "design", "citation"]].nunique(dropna=False)
    assert (per_study <= 1).all().all(), per_study[(per_study > 1).any(axis=1)]


def test_data_doc_maps_every_seed_and_added_finding_id(findings, data_doc):
    mentioned = set(re.findall(r"`([a-z0-9][a-z0-9_.-]*)`", data_doc))
    mapped = findings[findings["study_id"].isin(findings.loc[findings["source"] != "search", "study_id"])]
    missing = sorted(set(mapped["finding_id"]) - mentioned)
    assert not missing, f"docs/DATA.md does not mention: {missing}"


def test_every_study_traces_to_an_included_screening_record_and_back(findings):
    records = screening.load_screening()
    assert screening.trace_problems(records, findings) == []
    searched = set(findings.loc[findings["source"] == "search", "study_id"])
    via_search = set(records.loc[(records["found_via"] == "search") & (records["decision"] == "included"), "study_id"])
    assert searched <= via_search


def test_every_evidence_url_is_https_and_only_untraced_claims_lack_one(findings):
    urls = findings["evidence_url"]
    assert urls[urls != ""].str.startswith("https://").all()
    missing = findings[urls == ""]
    assert (missing["source_match"] == schema.UNTRACED).all(), sorted(missing["finding_id"])


def test_d3_codes_fit_the_design_and_the_vitamin_k_given(findings):
    given = findings[findings["d3"].isin(["with_d3", "without_d3"])]
    assert given["design"].isin(["rct", "trial", "meta_analysis"]).all()
    assert (given["k_form"] != "none").all()
    d_only = findings[findings["d3"] == "d3_only"]
    assert (d_only["k_form"] == "none").all() and d_only["dose_ug_per_day"].isna().all()
    status = findings[findings["d3"] == "k_and_d_status"]
    assert status["design"].isin(["cohort", "observational"]).all()
    non_human = findings[findings["design"].isin(["lab", "review", "opinion"])]
    assert (non_human["d3"] == "not_reported").all()


def test_flagged_rows_cite_their_notice(findings):
    flagged = findings[findings["integrity"].isin(schema.FLAGGED)]
    assert set(flagged["integrity"]) == {"concern", "retracted"}
    assert flagged["notes"].str.contains(r"Retract|concern|[Cc]aution|questioned").all()


def test_the_evidence_base_holds_the_trials_and_meta_analyses_a_reviewer_expects(findings):
    about_k = findings[findings["k_form"] != "none"]
    trials = about_k[(about_k["design"] == "rct")].drop_duplicates("study_id")
    assert len(trials) >= 25
    assert (trials["n_participants"] >= 50).sum() >= 20
    assert findings.loc[findings["design"] == "meta_analysis", "study_id"].nunique() >= 6
    big_cohorts = findings[(findings["design"] == "cohort") & (findings["n_participants"] >= 1000)]
    assert big_cohorts["study_id"].nunique() >= 6
    with_d3 = findings[findings["d3"] == "with_d3"]
    assert with_d3["study_id"].nunique() >= 10


def test_key_outcomes_carry_estimates_with_their_confidence_intervals(findings):
    numeric = findings[findings["outcome"].isin(schema.KEY_OUTCOMES) & findings["estimate"].notna()]
    assert len(numeric) >= 15
    assert numeric[["measure", "ci_low", "ci_high"]].notna().all().all()


def test_row_errors_found_by_the_audit_stay_fixed(findings):
    by_id = findings.set_index("finding_id")
    assert "boron" in by_id.at["price-2012-intake-shortfalls", "headline"]
    assert "mice" not in by_id.at["goncalves-2015-d-k-competition", "headline"]
    assert pd.isna(by_id.at["dofferhoff-2021-covid", "n_participants"])
    assert by_id.at["kim-2015-bone-density", "direction"] == "not_applicable"
    assert by_id.at["grassroots-2020-vitamin-d-response", "source_match"] == "probable"
    assert by_id.at["mcfarlin-2017-cardiac-output", "source_match"] == "probable"
    assert by_id.at["burt-2019-bone-density", "direction"] != "harm"


def test_data_doc_describes_every_column_and_code(data_doc):
    missing = [name for name in schema.COLUMN_NAMES if f"`{name}`" not in data_doc]
    missing += [
        f"{column}={code}"
        for column, vocabulary in schema.VOCABULARIES.items()
        for code in vocabulary.codes
        if f"`{code}`" not in data_doc
    ]
    assert not missing, f"docs/DATA.md does not describe: {missing}"
