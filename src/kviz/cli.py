"""Command-line interface: `python -m kviz validate [PATH]`."""

from __future__ import annotations

import argparse
import sys

from kviz.loader import DEFAULT_DATA_PATH, FindingsError, read_findings, summary_line


def _validate(args: argparse.Namespace) -> int:
    try:
        result = read_findings(args.path)
    except FindingsError as error:
        print(error, file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"OK: {summary_line(result.frame)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kviz", description="Vitamin K evidence explorer tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a findings CSV against the schema")
    validate.add_argument("path", nargs="?", default=str(DEFAULT_DATA_PATH), help="CSV file (default: bundled data)")
    validate.set_defaults(run=_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
