"""Effect directions: which way the findings point, outcome by outcome, and how K1 / K2 and D3 compare."""

import streamlit as st

from kviz import schema, stats, ui
from kviz.charts import catalogue

view = ui.page_view(
    "Effect directions",
    "Which way did each publication's result point? These charts count evidence about vitamin K: primary studies "
    "and meta-analyses in which vitamin K was given or measured. Vitamin D-only trials, narrative reviews, opinion "
    "and untraced claims are left out of the counts (each chart says how many); the sidebar switch *Count reviews, "
    "opinion and untraced claims* brings them back, hatched. Findings with no effect stated are never counted.",
)
rows = view.rows

# One tab at a time is built and sent (lazy tabs): a filter change redraws one chart, not three. Bound to the URL
# (?show=…) so a copied link opens the same tab.
plot_tab, compare_tab, votes_tab = st.tabs(
    ["Effect direction plot", "K1 vs K2, with vs without D3", "Vote count (exploratory)"],
    key="show", on_change="rerun", bind="query-params",
)

if plot_tab.open:
    with plot_tab:
        st.markdown(
            "In the style of Thomson & Thomas (2013, revised 2021): one row per publication, grouped and shaded by "
            "study design; one column per outcome, bone density, fracture and muscle first. The marker shows the "
            "direction, its size the number of participants. Click a marker to read the finding below."
        )
        event = ui.chart(view, catalogue.EFFECT_DIRECTION_PLOT, key="edp_chart", selectable=True)
        selected = ui.selected_rows(event, rows, ("study_id", "outcome"))
        ui.finding_cards(selected, "Select a marker to see the findings behind it.")

if compare_tab.open:
    with compare_tab:
        split = ui.page_choice(
            "Compare", {"k_family": "K1 vs K2", "d3": "With vs without D3"}, key="split",
            help="K2 includes MK-4, MK-7 and K2 with the subtype not stated.",
        )
        ui.chart(view, catalogue.COMPARISONS[split])

if votes_tab.open:
    with votes_tab:
        voting_designs = ", ".join(schema.DESIGN.label(code).lower() for code in schema.VOTING_DESIGNS)
        st.markdown(
            f"Per outcome with at least {stats.MIN_PUBLICATIONS} publications showing benefit or harm, the share "
            "that show benefit. **This is exploratory**: a vote count weighs a pilot study like a large trial and "
            "ignores effect sizes and study quality.\n\n"
            f"- **Who votes:** primary studies ({voting_designs}). Meta-analyses do not vote: they pool the same "
            "trials, which would then count twice. Their pooled estimates are on the *Effect sizes* page.\n"
            "- The **sign test** asks whether benefit and harm split more unevenly than coin flips would (exact, "
            "two-sided; publications with no clear or mixed effect are left out of it).\n"
            "- The **Wilson 95% interval** is the range of benefit shares compatible with the count; it stays "
            "sensible for small numbers and for 0% or 100%."
        )
        ui.chart(view, catalogue.VOTE_COUNT)

        # The chart's own rows, so table and chart agree.
        votes = ui.shared_result(view, catalogue.VOTE_COUNT,
                                 lambda: stats.vote_counts(stats.voting_rows(rows, view.state.count_non_evidence)[0]))
        if not votes.empty:
            # Rounded here as in the chart's labels, so both show the same numbers.
            rounding = {"share_benefit": 2, "wilson_low": 2, "wilson_high": 2, "sign_test_p": 3}
            table = votes.round(rounding).rename(index=schema.OUTCOME.label, columns=schema.DIRECTION.labels)
            table = table.rename_axis("outcome").reset_index()
            st.dataframe(
                table,
                width="stretch",
                hide_index=True,
                column_config={
                    "outcome": st.column_config.TextColumn(schema.OUTCOME.title, width="medium"),
                    "n_directional": st.column_config.NumberColumn("Benefit + harm",
                                                                   help="Publications in the sign test."),
                    "share_benefit": st.column_config.NumberColumn("Share showing benefit", format="percent"),
                    "wilson_low": st.column_config.NumberColumn("95% CI low", format="percent"),
                    "wilson_high": st.column_config.NumberColumn("95% CI high", format="percent"),
                    "sign_test_p": st.column_config.NumberColumn("Sign test p", format="%.3f"),
                    "shown": st.column_config.CheckboxColumn(
                        "In the chart", help=f"At least {stats.MIN_PUBLICATIONS} publications showing benefit or harm."
                    ),
                },
            )
