"""data/screening.csv: every record considered in the search (docs/SEARCH.md).

Included records name the study_id of their findings, excluded ones say why; the About page draws the flow
(records considered → excluded by reason → included publications → findings) from this file.
"""

from __future__ import annotations

from kviz.schema.types import Category, Column, TableSpec, Vocabulary


DECISION = Vocabulary(
    "decision",
    "Decision",
    (
        Category("included", "Included", "#009E73", description="Read and coded: its findings are in the table."),
        Category("excluded", "Excluded", "#999999", description="Considered and left out, for the reason given."),
    ),
)

EXCLUSION_REASON = Vocabulary(
    "reason",
    "Reason for exclusion",
    (
        Category("not_human", "Not a human study", description="Cell, animal or food-composition work only."),
        Category("no_outcome", "No bone or muscle outcome",
                 description="No bone density, fracture, bone quality, bone marker or muscle outcome."),
        Category("no_vitamin_k", "No vitamin K exposure", description="Vitamin K was neither given nor measured."),
        Category("not_primary", "Not a primary study or meta-analysis",
                 description="A narrative review, editorial, protocol or commentary."),
        Category("below_threshold", "Below the size threshold",
                 description="An observational study smaller than the search's threshold (docs/SEARCH.md)."),
        Category("duplicate", "Duplicate publication",
                 description="Another report of a study already included (same people, same outcome)."),
        Category("conference_abstract", "Conference abstract only", description="No full publication was found."),
        Category("not_readable", "Facts not readable",
                 description="No page with the abstract could be reached from here: nothing could be read, so "
                 "nothing was coded."),
    ),
)

RECORD_SOURCE = Vocabulary(
    "found_via",
    "Found via",
    (
        Category("seed", "Seed document", description="An item of the seed list or the lead review's abstract."),
        Category("search", "Database search", description="A query of docs/SEARCH.md."),
        Category("citation", "Citation", description="Named in an included study, review or meta-analysis, then "
                 "searched for."),
    ),
)

SCREENING_COLUMNS: tuple[Column, ...] = (
    Column("record_id", "id", "Record", "Unique name of the record (lower-case slug).", True),
    Column("title", "text", "Title", "The record's title as printed, or the seed item's wording.", True),
    Column("year", "int", "Year", "Year of publication; empty if not known."),
    Column("doi", "doi", "DOI", "Bare DOI when a page printed it."),
    Column("url", "url", "Page", "The https page the record was seen on."),
    Column("found_via", "category", "Found via", "How the record was found.", True),
    Column("decision", "category", "Decision", "Included or excluded.", True),
    Column("reason", "category", "Reason", "Why it was excluded; empty when included."),
    Column("study_id", "id", "Study ID", "For included records: the study_id of its findings."),
    Column("notes", "text", "Notes", "Anything a reader should know about the decision."),
)
SCREENING_VOCABULARIES: dict[str, Vocabulary] = {v.column: v for v in (DECISION, EXCLUSION_REASON, RECORD_SOURCE)}
SCREENING = TableSpec("screening", SCREENING_COLUMNS, SCREENING_VOCABULARIES, "record_id")
