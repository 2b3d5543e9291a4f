"""Command-line interface: `python -m kviz validate|stamp|export|report|pool`.

`export` and `report` take the same filters as the app's sidebar, build the same `FilterState` and call
the same filter and export code, so a file from the command line is byte for byte the file the app
gives for those filters.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Callable

from kviz import data_version, export, filters, schema, screening
from kviz.loader import DEFAULT_DATA_PATH, FindingsError, load_findings, read_findings, summary_line

STDOUT = "-"
# Command-line option for each multi-valued FilterState field (the field names are the app's).
FILTER_OPTIONS: dict[str, str] = {
    "k_forms": "--k-form",
    "k2_subtypes": "--k2-subtype",
    "d3": "--d3",
    "outcomes": "--outcome",
    "designs": "--design",
    "directions": "--direction",
}


def _validate(args: argparse.Namespace) -> int:
    """The findings file, and the screening records beside it when there are any: both load, and trace to each other."""
    try:
        result = read_findings(args.path)
        records_path = screening.screening_path_for(args.path)
        records = screening.load_screening(records_path) if records_path.is_file() else None
    except FindingsError as error:
        print(error, file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if records is not None:
        problems = screening.trace_problems(records, result.frame)
        if problems:
            print(FindingsError(problems), file=sys.stderr)
            return 1
    changed = data_version.unstamped_changes(args.path) if data_version.read_version(args.path) else []
    if changed:
        print(f"warning: {', '.join(changed)} changed since the data version was stamped: "
              "run 'python -m kviz stamp --version N --summary ...'", file=sys.stderr)
    print(f"OK: {summary_line(result.frame)}")
    if records is not None:
        print(f"OK: {len(records):,} screening records ({records_path.name}); every study traces to one")
    return 0


def _allowed_values(field: str) -> list[str]:
    return list(schema.K2_SUBTYPES) if field == "k2_subtypes" else filters.MULTI_VALUE_FIELDS[field].codes


def _codes_parser(field: str) -> Callable[[str], list[str]]:
    """argparse type: a comma-separated list of codes or the labels the app shows (as links accept them),
    matched case-insensitively, each checked."""
    vocabulary = filters.MULTI_VALUE_FIELDS[field]
    allowed: dict[str, str] = {}
    for code in _allowed_values(field):
        for name in (vocabulary.label(code), vocabulary.short_label(code), code):
            allowed[name.lower()] = code

    def parse(text: str) -> list[str]:
        codes = []
        for value in (v.strip() for v in text.split(",")):
            if value.lower() not in allowed:
                raise argparse.ArgumentTypeError(
                    f"unknown value {value!r}; allowed: {', '.join(_allowed_values(field))} (or their labels)"
                )
            codes.append(allowed[value.lower()])
        return codes

    return parse


def _years(text: str) -> tuple[int, int]:
    """argparse type: 'YEAR' or 'FIRST-LAST'."""
    first, _, last = text.strip().partition("-")
    try:
        return int(first), int(last or first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YEAR or FIRST-LAST (e.g. 2011-2020), got {text!r}") from None


def _option_help(field: str) -> str:
    vocabulary = filters.MULTI_VALUE_FIELDS[field]
    title = "K2 subtype (narrows the K2 form)" if field == "k2_subtypes" else vocabulary.title
    values = "; ".join(f"{code}: {vocabulary.label(code)}" for code in _allowed_values(field))
    return f"{title}. {values}. Repeat the option or separate codes with commas."


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", metavar="PATH", default=str(DEFAULT_DATA_PATH), help="findings CSV (default: bundled data)"
    )
    group = parser.add_argument_group("filters (as in the app's sidebar; none given = all findings)")
    for field, option in FILTER_OPTIONS.items():
        group.add_argument(
            option, dest=field, metavar="CODE", action="append", type=_codes_parser(field), default=[],
            help=_option_help(field),
        )
    group.add_argument("--years", type=_years, metavar="FIRST-LAST", help="publication years, e.g. 2011-2020")
    group.add_argument("--search", default="", metavar="TEXT",
                       help="words that must all appear in headline, citation, population or notes")
    group.add_argument("--exclude-untraced", action="store_true", help="leave out claims not traced to a study")
    group.add_argument("--exclude-flagged", action="store_true",
                       help="leave out findings of retracted or questioned publications")


def filter_state(args: argparse.Namespace) -> filters.FilterState:
    """The FilterState the options describe (the same object the app builds from its sidebar)."""
    chosen = {field: tuple(code for codes in getattr(args, field) for code in codes) for field in FILTER_OPTIONS}
    return filters.FilterState(
        **chosen, years=args.years, include_untraced=not args.exclude_untraced,
        include_flagged=not args.exclude_flagged, search=args.search,
        count_non_evidence=getattr(args, "count_all", False),
    )


def _write(data: bytes, output: str | None, default_name: str, shown: str) -> int:
    """Write to `output` ('-' = stdout; none = `default_name` in the current directory), report on stderr."""
    if output == STDOUT:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        print(shown, file=sys.stderr)
        return 0
    path = Path(output or default_name)
    try:
        path.write_bytes(data)
    except OSError as error:
        print(f"error: cannot write {path}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(shown, file=sys.stderr)
    print(path)
    return 0


def _run_filtered(args: argparse.Namespace, make: Callable[..., tuple[bytes, str]]) -> int:
    """Load the data, apply the filters, and write what `make(table, rows, state, today)` produces."""
    try:
        table = load_findings(args.data)
    except FindingsError as error:
        print(error, file=sys.stderr)
        return 1
    for warning in table.attrs["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    state = filter_state(args)
    rows = filters.apply_filters(table, state)
    if rows.empty:
        print("warning: no findings match these filters", file=sys.stderr)
    data, default_name = make(table, rows, state, datetime.date.today())
    shown = f"{len(rows)} of {len(table)} findings · {filters.caption(state)}"
    return _write(data, args.output, default_name, shown)


def _export(args: argparse.Namespace) -> int:
    def make(table, rows, state, today):
        if args.labels:
            return export.labelled_csv_bytes(rows), export.export_filename(state, today, labelled=True)
        return export.csv_bytes(rows, excel=args.excel), export.export_filename(state, today, excel=args.excel)

    return _run_filtered(args, make)


def _report(args: argparse.Namespace) -> int:
    from kviz import report  # plotly is imported only when a report is asked for

    def make(table, rows, state, today):
        return report.html_report(table, state, today).encode("utf-8"), report.report_filename(state, today)

    return _run_filtered(args, make)


def _pool(args: argparse.Namespace) -> int:
    from kviz import meta_analysis  # statsmodels is imported only when pooling is asked for

    state = filter_state(args)
    if len(state.outcomes) != 1:
        print("error: pool needs exactly one --outcome (the outcome whose estimates are pooled)", file=sys.stderr)
        return 2
    try:
        table = load_findings(args.data)
    except FindingsError as error:
        print(error, file=sys.stderr)
        return 1
    rows = filters.apply_filters(table, state)
    analysis = meta_analysis.analyse(rows, state.outcomes[0], args.measure, args.by, args.method,
                                     exclude_open_label=args.exclude_open_label)
    result = analysis.table
    if result.empty:
        print("warning: nothing to pool: no site has two or more comparable findings", file=sys.stderr)
    data = result.to_csv(index=False, lineterminator="\n", float_format="%.6g").encode("utf-8")
    return _write(data, args.output or STDOUT, "", f"{len(result)} pooled estimates · {filters.caption(state)}")


def _measure(text: str) -> str:
    """argparse type: a MEASURE code or label, case-insensitively."""
    names = {name.lower(): code for code in schema.MEASURE.codes for name in (code, schema.MEASURE.label(code))}
    if text.strip().lower() not in names:
        raise argparse.ArgumentTypeError(f"unknown measure {text!r}; allowed: {', '.join(schema.MEASURE.codes)}")
    return names[text.strip().lower()]


def _stamp(args: argparse.Namespace) -> int:
    path = data_version.stamp(args.data, args.version, args.summary, datetime.date.today())
    print(f"Stamped {path}: version {args.version}")
    return 0


def _add_filtered_command(
    commands: argparse._SubParsersAction, name: str, summary: str, description: str, default_name: str,
    run: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    """A subcommand taking the app's filters, --data and -o (shared by export and report)."""
    command = commands.add_parser(name, help=summary, description=description)
    _add_filter_options(command)
    command.add_argument(
        "-o", "--output", metavar="FILE",
        help=f"output file, '-' for stdout (default: {default_name} in the current directory)",
    )
    command.set_defaults(run=run)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kviz", description="Vitamin K evidence explorer tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a findings CSV against the schema")
    validate.add_argument("path", nargs="?", default=str(DEFAULT_DATA_PATH), help="CSV file (default: bundled data)")
    validate.set_defaults(run=_validate)
    stamp = commands.add_parser(
        "stamp", help="record a new data version (after changing data/findings.csv or data/screening.csv)",
        description="Write data/version.json: the version, today's date, a summary and the files' checksums.",
    )
    stamp.add_argument("--version", required=True, help="the new version, e.g. 3")
    stamp.add_argument("--summary", required=True, help="one line on what changed")
    stamp.add_argument("--data", default=str(DEFAULT_DATA_PATH), help="findings CSV of the data folder to stamp")
    stamp.set_defaults(run=_stamp)

    export_command = _add_filtered_command(
        commands, "export",
        "write the filtered findings as a CSV (the app's download, byte for byte)",
        "Write the findings that pass the filters as CSV, exactly as the app's download does: "
        "schema columns, UTF-8, spreadsheet formulas neutralised.",
        "a name saying what was filtered and when, e.g. kviz_K2_with-D3_2026-11-24.csv",
        _export,
    )
    export_command.add_argument("--excel", action="store_true", help="UTF-8 with byte-order mark, for Excel")
    export_command.add_argument(
        "--labels", action="store_true",
        help="the app's 'CSV with labels': the words the app shows and column titles, newest first (for reading, "
        "not for loading back)",
    )
    report_command = _add_filtered_command(
        commands, "report",
        "write a self-contained HTML report of the filtered findings",
        "Write one HTML file with the active filters, key charts, findings table and citations; "
        "it opens in a browser with no server and no network.",
        "kviz_<filters>_<date>_report.html",
        _report,
    )
    report_command.add_argument(
        "--count-all", action="store_true",
        help="charts also count narrative reviews, opinion, untraced claims and vitamin D-only trials, marked "
        "(by default they count only evidence about vitamin K, as the app does)",
    )
    pool = _add_filtered_command(
        commands, "pool",
        "print exploratory pooled estimates (the Effect sizes page's table) as CSV",
        "Pool the estimates of one outcome and measure across the findings that pass the filters, by site, design "
        "family and subgroup, exactly as the Effect sizes page does (random effects, exploratory). Prints CSV: "
        + ", ".join(("site", "subgroup", "k", "estimate", "ci_low", "ci_high", "tau2", "i2", "method")) + ".",
        "standard output",
        _pool,
    )
    pool.add_argument("--measure", required=True, type=_measure, help=f"effect measure: {', '.join(schema.MEASURE.codes)}")
    pool.add_argument("--by", default="k_form", choices=("k_form", "d3", "design"), help="subgroups (default: k_form)")
    pool.add_argument("--method", default="pm", choices=("dl", "pm"),
                      help="τ² estimator: dl DerSimonian-Laird, pm Paule-Mandel (default)")
    pool.add_argument("--exclude-open-label", action="store_true", help="pool without open-label trials")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
