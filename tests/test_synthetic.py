"""The benchmark generator must give schema-valid, reproducible and realistically mixed findings."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kviz import schema, synthetic
from kviz.loader import load_findings

CATEGORY_COLUMNS = [c.name for c in schema.COLUMNS if c.kind == "category"]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """5,000 generated rows, loaded through the real loader."""
    return load_findings(synthetic.generate(5000, seed=3).to_csv(index=False).encode())


@pytest.mark.parametrize("n_rows", [0, 1, 60, 3000])
def test_written_csv_passes_the_loader(tmp_path, n_rows):
    path = synthetic.write_csv(tmp_path / "synthetic.csv", n_rows, seed=7)
    frame = load_findings(path)
    assert len(frame) == n_rows
    assert frame.attrs["warnings"] == []
    assert list(frame.columns[: len(schema.COLUMN_NAMES)]) == list(schema.COLUMN_NAMES)


@settings(max_examples=15, deadline=None)
@given(n_rows=st.integers(0, 400), seed=st.integers(0, 2**32 - 1))
def test_any_size_and_seed_is_valid(n_rows, seed):
    frame = load_findings(synthetic.generate(n_rows, seed).to_csv(index=False).encode())
    assert len(frame) == n_rows
    assert frame["finding_id"].is_unique


def test_generate_returns_raw_text_columns_in_schema_order():
    raw = synthetic.generate(10, seed=0)
    assert list(raw.columns) == list(schema.COLUMN_NAMES)
    assert all(pd.api.types.is_string_dtype(raw[c]) for c in raw.columns)


def test_write_csv_writes_what_generate_returns(tmp_path):
    path = synthetic.write_csv(tmp_path / "out.csv", 200, seed=5)
    written = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written, synthetic.generate(200, seed=5), check_dtype=False)


def test_same_seed_same_table_other_seed_other_table():
    first = synthetic.generate(500, seed=11)
    pd.testing.assert_frame_equal(first, synthetic.generate(500, seed=11))
    assert not first.equals(synthetic.generate(500, seed=12))


def test_negative_size_is_refused():
    with pytest.raises(ValueError):
        synthetic.generate(-1)


def test_weights_for_unknown_codes_are_refused():
    with pytest.raises(ValueError, match="unknown design"):
        synthetic._probabilities(schema.DESIGN, {"not_a_design": 1.0})


@pytest.mark.parametrize("column", CATEGORY_COLUMNS)
def test_every_category_appears(sample, column):
    assert set(sample[column].dropna().unique()) == set(schema.VOCABULARIES[column].codes)


def test_key_outcomes_are_the_most_common(sample):
    shares = sample["outcome"].value_counts(normalize=True)
    others = shares.drop(list(schema.KEY_OUTCOMES))
    assert shares[list(schema.KEY_OUTCOMES)].min() > others.max()


def test_publications_have_several_distinct_outcome_rows(sample):
    rows_per_study = sample.groupby("study_id").size()
    assert (rows_per_study == 1).mean() > 0.4
    assert (rows_per_study >= 3).any()
    assert sample.groupby("study_id")["outcome"].nunique().equals(rows_per_study)


def test_some_rows_are_undated_and_some_untraced_but_most_are_not(sample):
    undated = sample[schema.PUBLISHED_DATE].isna().mean()
    untraced = (sample["source_match"] == schema.UNTRACED).mean()
    assert 0 < undated < 0.1
    assert 0.05 < untraced < 0.3


def test_dates_span_decades_with_most_publications_recent(sample):
    years = sample[schema.YEAR].dropna()
    assert years.between(synthetic.FIRST_YEAR, synthetic.LAST_YEAR).all()
    assert years.max() - years.min() > 30
    assert years.median() > synthetic.LAST_YEAR - 15
    assert (sample["published"].str.len() == 4).any()  # some dated to the year only


def test_trials_mostly_report_their_numbers(sample):
    trials = sample[(sample["design"] == "rct") & sample["k_form"].isin(list(synthetic.DOSES_UG))]
    for column in ("n_participants", "dose_ug_per_day", "duration_months"):
        assert trials[column].notna().mean() > 0.6, column


def test_lab_studies_have_no_participants(sample):
    assert sample.loc[sample["design"] == "lab", "n_participants"].isna().all()


def test_untraced_rows_carry_no_doi(sample):
    assert (sample.loc[sample["source_match"] == schema.UNTRACED, "doi"] == "").all()
