"""Overview: headline numbers, the direction of effect for the key outcomes, and what the data can and cannot say."""

import pandas as pd
import streamlit as st

from kviz import schema, stats, ui, upload
from kviz.charts import catalogue

view = ui.page_view(
    "Vitamin K for bone and muscle",
    "Published findings on vitamin K — **K1**, and **K2** as MK-4 or MK-7 — for bone and muscle, and whether "
    "vitamin **D3** was given too. Every number, chart and table follows the filters in the sidebar.",
)
rows = view.rows


def publications_of_design(design: str) -> int:
    return rows.loc[rows["design"] == design, "study_id"].nunique()


# Participants once per publication: its largest reported sample (rows of one study share their people).
per_study = rows.dropna(subset=["n_participants"]).groupby("study_id")["n_participants"].max()
untraced = rows[rows["source_match"] == schema.UNTRACED]

HEADLINE_NUMBERS = [  # label, value, help, note under the value
    ("Publications", rows["study_id"].nunique(), None, None),
    ("Findings", len(rows), None, None),
    ("RCTs", publications_of_design("rct"), schema.DESIGN["rct"].description, None),
    ("Meta-analyses", publications_of_design("meta_analysis"), schema.DESIGN["meta_analysis"].description, None),
    (
        "Participants", int(per_study.sum()) if len(per_study) else None,
        f"Sum over the {len(per_study):,} publications that report a sample size. Meta-analyses pool people who "
        "may also be counted in the trials they include, so this overstates the number of different people.",
        "where reported" if len(per_study) else "none reported",
    ),
    ("Untraced claims", len(untraced), "Claims for which no study could be identified; they are listed below.", None),
]
with st.container(horizontal=True, gap="small"):  # each card as wide as its label: nothing cut off, wraps on narrow screens
    for label, value, explanation, note in HEADLINE_NUMBERS:
        st.metric(label, "—" if value is None else f"{value:,}", delta=note, delta_color="off", delta_arrow="off",
                  help=explanation, border=True, width="content")

event = ui.chart(view, catalogue.DIRECTION_SUMMARY, key="summary_chart", selectable=True)
counted, _ = stats.counted_rows(rows, view.state.count_non_evidence)
chosen = {tuple(point["customdata"][:2]) for point in (event.selection.points if event else []) if point.get("customdata")}
if chosen:
    behind = pd.concat([stats.rows_behind(counted, outcome, direction) for outcome, direction in sorted(chosen)])
    bars = ", ".join(f"{schema.OUTCOME.label(o)} · {schema.DIRECTION.label(d)}" for o, d in sorted(chosen))
    st.subheader(f"{len(behind):,} finding{'s' if len(behind) != 1 else ''} behind {bars}", anchor=False)
    ui.finding_cards(ui.findings_table(behind, key="summary_findings"), "Click a row to read the finding in full.")
else:
    st.caption("Click a bar to list the findings behind it.")

BUNDLED_DATA_TEXT = (
    "- One row per **finding**: what one publication reported for one outcome, coded by study design, "
    "vitamin K form, what was given besides it (D3), direction of effect and, where reported, the effect size.\n"
    "- Seeded from the review by **Alonso et al. (2022)** and the Vitamin D Life overview of vitamin K and "
    "vitamin D, then extended by a documented search for trials, meta-analyses and cohorts: *About & method* "
    "lists every record screened and why it was or was not included.\n"
    "- Every row names the page its facts were read on and how sure we are which study a claim refers to; the "
    "*Notes* column says where a headline overstates its study (for example an association reported as an effect)."
)
selection = ui.data_selection()
left, right = st.columns(2, gap="large")
with left:
    st.subheader("What this data is")
    if selection.upload is None or selection.choice is upload.DataChoice.BUNDLED:
        st.markdown(BUNDLED_DATA_TEXT)
    else:
        st.markdown(
            f"**{selection.choice.label}.** kviz checked the uploaded file's columns, categories, dates and links; "
            "it did not check what its rows claim, and it keeps the file in this browser session only."
            + (" The bundled findings come first, then your rows." if selection.choice is upload.DataChoice.COMBINED else "")
        )
        st.text(f"File: {selection.upload.name} · {ui.coverage(view.findings)}")  # plain text: the name is the user's
with right:
    st.subheader("What it is not")
    st.markdown(
        "- **A count of studies is not proof.** Tallies of benefit and no effect ignore study size, quality "
        "and the size of the effect; one large randomised trial can outweigh many small observational ones.\n"
        "- **Vitamin K status is hard to measure.** Serum vitamin K is technically difficult to measure, so "
        "studies infer status from food questionnaires or undercarboxylated proteins, which other "
        "environmental and biological factors also change — the main limitation named by Alonso et al.\n"
        "- **Observational studies show association, not cause**, and laboratory work has no human outcomes.\n"
        "- **Untraced claims** stay visible as stated, but no study stands behind them (listed below)."
    )

st.subheader("Untraced claims")
if not view.state.include_untraced:
    st.caption("Hidden by the filter *Include untraced claims*.")
elif untraced.empty:
    st.caption("None among the findings that match the filters.")
else:
    st.caption("No study could be identified for these claims; they are shown as stated by their source.")
    listed = pd.DataFrame(
        {
            schema.LABELS["headline"]: untraced["headline"],
            schema.LABELS["source"]: untraced["source"].map(schema.SOURCE.label),
            schema.LABELS["outcome"]: untraced["outcome"].map(schema.OUTCOME.label),
            schema.LABELS["notes"]: untraced["notes"],
        }
    )
    st.dataframe(listed, hide_index=True, width="stretch")
