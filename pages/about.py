"""About & method: where the findings come from, how they were coded, the data dictionary, the limitations."""

import datetime

import pandas as pd
import streamlit as st

from kviz import schema, ui

SEED_REVIEW_DOI = "10.1007/s00223-022-00955-3"

view = ui.page_view("About & method", shows_findings=False)
path = ui.data_path()
changed = datetime.date.fromtimestamp(path.stat().st_mtime)
st.caption(f"Data file: {path.name} · {len(view.findings):,} findings · last changed {changed:%d %B %Y}")

st.header("Sources", divider="gray")
st.markdown(
    "- **The seed review** — Alonso N, Meinitzer A, Fritz-Petrin E, Enko D, Herrmann M. *Role of Vitamin K in "
    "Bone and Muscle Metabolism.* Calcified Tissue International 2023;112(2):178–196 (online 12 February 2022). "
    "Each finding stated in its abstract is a row.\n"
    "- **The Vitamin D Life list** — the headlines of the site's overview page “Vitamin K and Vitamin D”. "
    "Each headline was traced, where possible, to the study behind it and coded from that study's abstract; "
    "where the headline overstates the study, the *Notes* say so.\n"
    "- **Added studies** — studies the curators added where the seed leaves gaps (muscle; vitamin D3 and "
    "vitamin K status), coded from their published abstracts.\n"
    "- Facts come from public abstract pages (PubMed, PMC, journals); nothing was filled in from memory.\n"
    "- **Effect direction plot** — after Thomson & Thomas (2013), as revised by Boon & Thomson (2021)."
)
st.link_button("Seed review at doi.org", ui.doi_link(SEED_REVIEW_DOI), icon=":material/open_in_new:")

st.header("How rows were coded", divider="gray")
st.markdown(
    "One row is one **finding**: what one publication reported for one outcome and one vitamin K form. "
    "Rows of the same publication share a *Study ID*, so charts count publications, not rows. "
    "Numbers (participants, dose, duration) are filled only when the source states them; nothing is estimated. "
    "The direction of effect is coded from the authors' own results, as follows:"
)


def vocabulary_table(vocabulary: schema.Vocabulary) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Code": vocabulary.codes,
            "Label": [c.label for c in vocabulary.categories],
            "Meaning": [c.description for c in vocabulary.categories],
        }
    )


st.dataframe(vocabulary_table(schema.DIRECTION), hide_index=True, width="stretch")
st.markdown("How sure we are which study a claim refers to:")
st.dataframe(vocabulary_table(schema.SOURCE_MATCH), hide_index=True, width="stretch")

st.header("Data dictionary", divider="gray")
st.markdown(
    "The columns of `findings.csv`, in file order. Categorical columns take the codes listed below; the "
    "app shows their labels. The full curation guide is `docs/DATA.md` in the repository."
)
st.dataframe(
    pd.DataFrame(
        {
            "Column": [c.name for c in schema.COLUMNS],
            "Label": [c.label for c in schema.COLUMNS],
            "Type": [c.kind for c in schema.COLUMNS],
            "Required": [c.required for c in schema.COLUMNS],
            "Meaning": [c.description for c in schema.COLUMNS],
        }
    ),
    hide_index=True,
    width="stretch",
    height="content",
    column_config={"Required": st.column_config.CheckboxColumn("Required")},
)
for column, vocabulary in schema.VOCABULARIES.items():
    with st.expander(f"{vocabulary.title} — codes of `{column}`"):
        st.dataframe(vocabulary_table(vocabulary), hide_index=True, width="stretch")

st.header("Limitations", divider="gray")
st.markdown(
    "- **Counting is not weighing.** Charts count publications by direction; they ignore sample size, "
    "study quality and the size of effects. The vote count is exploratory, not a meta-analysis.\n"
    "- **Vitamin K status is hard to measure.** Serum vitamin K is technically difficult to measure, so "
    "studies rely on food questionnaires or undercarboxylated proteins (such as ucOC or dp-ucMGP) that other "
    "factors also influence (Alonso et al.).\n"
    "- **Designs differ in what they can show.** Observational studies show associations; laboratory studies "
    "have no human outcomes; opinions and narrative reviews add no new evidence.\n"
    "- **Overlap.** Meta-analyses pool trials that may also appear as rows of their own, and participant "
    "totals can count the same people twice.\n"
    "- **Selection.** The table starts from one review and one website's list; it is not a systematic "
    "search, and untraced claims are kept visible as stated rather than silently dropped."
)
