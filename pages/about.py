"""About & method: where the findings come from, how they were found and coded, the data dictionary, limitations."""

import pandas as pd
import streamlit as st

from kviz import data_version, schema, ui

SEED_REVIEW_DOI = "10.1007/s00223-022-00955-3"

view = ui.page_view("About & method", shows_findings=False)
version = data_version.read_version(ui.data_path())
st.caption(
    f"Data file: {ui.data_path().name} · {len(view.findings):,} findings · "
    + (f"data {version.label}" if version else "no data version recorded")
)
if version and version.summary:
    st.text(version.summary)

st.header("Sources", divider="gray")
st.markdown(
    "- **A documented search** — human studies of vitamin K (K1, MK-4, MK-7, other menaquinones, or vitamin K "
    "status) on bone density, fracture, bone quality and muscle: randomised trials, meta-analyses, cohorts, and "
    "every study that gave vitamin K with vitamin D3. Queries, dates and inclusion rules are in `docs/SEARCH.md`; "
    "every record considered is listed below, with the reason for each exclusion.\n"
    "- **The seed review** — Alonso N, Meinitzer A, Fritz-Petrin E, Enko D, Herrmann M. *Role of Vitamin K in "
    "Bone and Muscle Metabolism.* Calcified Tissue International 2023;112(2):178–196 (online 12 February 2022). "
    "Each finding stated in its abstract is a row.\n"
    "- **The Vitamin D Life list** — the headlines of the site's overview page “Vitamin K and Vitamin D”, each "
    "traced where possible to the study behind it; where a headline overstates its study, the *Notes* say so, and "
    "claims no study could be traced to stay visible as *untraced*.\n"
    "- Every fact was read on a public page (PubMed, PMC, publisher and repository pages), named in each finding's "
    "*Read at* link; nothing was filled in from memory.\n"
    "- **Effect direction plot** — after Thomson & Thomas (2013), as revised by Boon & Thomson (2021)."
)
st.link_button("Seed review at doi.org", ui.doi_link(SEED_REVIEW_DOI), icon=":material/open_in_new:")

st.header("How the studies were found", divider="gray")
records = ui.bundled_screening()
if records is None:
    st.info("The findings file in use has no screening records beside it, so there is no search flow to draw.")
else:
    bundled = ui.bundled_findings()
    if ui.data_selection().frame is not None:
        st.caption("The flow describes the bundled findings' search, not your upload.")
    st.plotly_chart(ui.search_flow_figure(records, bundled), width="stretch", config={"displaylogo": False})
    # Collapsed expanders here are lazy (on_change="rerun"): their tables are built and sent only once opened.
    with st.expander(f"All {len(records):,} records considered", key="records", on_change="rerun") as records_list:
        if records_list.open:
            listed = pd.DataFrame({
                "Decision": records["decision"].map(schema.DECISION.label),
                "Reason": records["reason"].map(schema.EXCLUSION_REASON.label),
                "Title": records["title"],
                "Year": records["year"],
                "Found via": records["found_via"].map(schema.RECORD_SOURCE.label),
                "Page": records["url"].map(ui.https_link),
                "DOI": records["doi"].map(ui.doi_link),
                "Study ID": records["study_id"],
            })
            st.dataframe(
                listed, hide_index=True, width="stretch", placeholder="—",
                column_config={
                    "Title": st.column_config.TextColumn(width="large"),
                    "Year": st.column_config.NumberColumn(format="%d"),
                    "Page": st.column_config.LinkColumn(display_text=r"https://(?:www\.)?([^/]+)"),
                    "DOI": st.column_config.LinkColumn(display_text=r"https://doi\.org/(.+)"),
                },
            )

st.header("How rows were coded", divider="gray")
st.markdown(
    "One row is one **finding**: what one publication reported for one outcome (and, in a factorial trial, one "
    "comparison). Rows of the same publication share a *Study ID*, so charts count publications, not rows. "
    "Numbers (participants, dose, duration, effect sizes) are filled only when the source states them; nothing is "
    "estimated. The direction of effect is the study's own result for that outcome:"
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
st.markdown("Vitamin D3 is coded by what people were **given**, so that *With D3* answers “does K with D3 work?”:")
st.dataframe(vocabulary_table(schema.D3), hide_index=True, width="stretch")
st.markdown("Publications retracted or under a published integrity concern are marked wherever they appear:")
st.dataframe(vocabulary_table(schema.INTEGRITY), hide_index=True, width="stretch")
st.markdown("How sure we are which study a claim refers to:")
st.dataframe(vocabulary_table(schema.SOURCE_MATCH), hide_index=True, width="stretch")

st.header("Data dictionary", divider="gray")
st.markdown(
    "The columns of `findings.csv`, in file order. Categorical columns take the codes listed below; the "
    "app shows their labels. Columns not *in every file* came later: files without them still load. The full "
    "curation guide is `docs/DATA.md` in the repository."
)
st.dataframe(
    pd.DataFrame(
        {
            "Column": [c.name for c in schema.COLUMNS],
            "Label": [c.label for c in schema.COLUMNS],
            "Type": [c.kind for c in schema.COLUMNS],
            "Required": [c.required for c in schema.COLUMNS],
            "In every file": [c.in_every_file for c in schema.COLUMNS],
            "Meaning": [c.description for c in schema.COLUMNS],
        }
    ),
    hide_index=True,
    width="stretch",
    height="content",
    column_config={
        "Required": st.column_config.CheckboxColumn("Required"),
        "In every file": st.column_config.CheckboxColumn("In every file"),
    },
)
for column, vocabulary in schema.VOCABULARIES.items():
    with st.expander(f"{vocabulary.title} — codes of `{column}`", key=f"codes_{column}", on_change="rerun") as codes:
        if codes.open:
            st.dataframe(vocabulary_table(vocabulary), hide_index=True, width="stretch")

st.header("Limitations", divider="gray")
st.markdown(
    "- **Counting is not weighing.** Direction charts count publications; they ignore sample size, study quality "
    "and the size of effects. The vote count is exploratory, not a meta-analysis.\n"
    "- **What is counted.** Direction charts, the vote count and the evidence map count evidence about vitamin K "
    "only: primary studies and meta-analyses in which vitamin K was given or measured. Vitamin D-only trials, "
    "narrative reviews, opinion and untraced claims are left out (each chart says how many) unless the sidebar "
    "switch brings them back, hatched. In the vote count only primary studies vote: a meta-analysis would count "
    "the trials it pools a second time.\n"
    "- **Vitamin K status is hard to measure.** Serum vitamin K is technically difficult to measure, so "
    "studies rely on food questionnaires or undercarboxylated proteins (such as ucOC or dp-ucMGP) that other "
    "factors also influence (Alonso et al.).\n"
    "- **Designs differ in what they can show.** Observational studies show associations; laboratory studies "
    "have no human outcomes; opinions and narrative reviews add no new evidence.\n"
    "- **Overlap.** Meta-analyses pool trials that may also appear as rows of their own, and participant "
    "totals can count the same people twice.\n"
    "- **Integrity.** Several Japanese trials of menatetrenone were retracted for fabricated data or questioned; "
    "they are flagged, and early meta-analyses that pooled them are marked too.\n"
    "- **The search read stored copies of abstract pages**, not the live databases: a study whose pages could not "
    "be reached is listed as *facts not readable* rather than coded from memory, and one curator read each area."
)
