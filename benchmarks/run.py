"""kviz benchmark: one command, one table (`make bench`, or `make bench ARGS=--quick`).

    .venv/bin/python benchmarks/run.py [--quick] [--runs N] [--sizes bundled,1k,10k,100k,1M] [--no-browser]

Measures, on the bundled findings and on synthetic files of 1k-1M rows (kviz.synthetic, seeded):
server-side load + validate, filters, every figure builder and every page's AppTest run; in headless
Chromium against the real servers, page load and filter change for the app and for the floor
(benchmarks/floor_app.py) interleaved in the same run, and the bytes each page sends. Prints a Markdown
report with PASS/MISS against the targets and writes it (plus JSON) to benchmarks/results/ (git-ignored).
Not part of the test suite; the machine should be otherwise idle while it runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from common import REPO, RESULTS, Timing

from kviz import synthetic
from kviz.loader import DEFAULT_DATA_PATH

SEED = 20261124
SIZES = {"bundled": None, "1k": 1_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000}
QUICK_SIZES = "bundled,10k"
BROWSER_SIZES = ("bundled", "100k")
QUICK_BROWSER_SIZES = ("bundled",)
QUICK_BROWSER_RUNS = 2
# Sizes whose AppTest page runs are skipped: serialising a million rows per rerun is not a use case we serve.
NO_PAGE_RUNS = ("1M",)
MEASUREMENT_BUDGET_SECONDS = 60  # a figure or page measurement stops early (and says so) once its runs take this long
WORKER_TIMEOUT_SECONDS = 900

# Targets (issue 6).
LOAD_RATIO, FILTER_RATIO = 1.25, 1.5  # bundled data: app page / floor page, page load and filter change
PAGE_SECONDS_100K = 2.0  # 100k findings: each page's server-side run and filter change
BYTES_100K = 5_000_000  # 100k findings: bytes a page sends to the browser
LOAD_SECONDS_1M, FILTER_SECONDS_1M = 10.0, 0.1
# Targets (issue 13), tighter: bundled page load and filter change against the floor, any figure builder warm
# (bundled data), a page's script rerun (AppTest, bundled), every page's rerun at 100k; 1M text search as above.
LOAD_RATIO_13, FILTER_RATIO_13 = 1.15, 1.3
FIGURE_SECONDS_13 = 0.015
RERUN_SECONDS_13 = 0.1
RERUN_SECONDS_100K_13 = 0.5


# ------------------------------------------------------------------------------------------------ data


def data_file(size: str) -> Path:
    """The CSV for a size label: the bundled file, or a synthetic file (re-generated when the generator changed)."""
    rows = SIZES[size]
    if rows is None:
        return DEFAULT_DATA_PATH
    path = RESULTS / "data" / f"synthetic-{size}-seed{SEED}.csv"
    if not path.exists() or path.stat().st_mtime < Path(synthetic.__file__).stat().st_mtime:
        synthetic.write_csv(path, rows, SEED)
    return path


# ------------------------------------------------------------------------------------------------ machine


def _first_line_with(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine() -> dict[str, str]:
    memory_kb = _first_line_with("/proc/meminfo", "MemTotal").split()[0]
    try:
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        chromium = "not found"
    versions = {name: metadata.version(name) for name in ("streamlit", "pandas", "plotly", "numpy", "pyarrow", "playwright")}
    return {
        "CPU": _first_line_with("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "RAM": f"{int(memory_kb) / 1024**2:.1f} GiB" if memory_kb.isdigit() else "unknown",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        **versions,
        "Chromium": chromium.strip() or "unknown",
    }


def code_version() -> str:
    """The commit measured, and the files changed since (the working tree is what runs)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return commit + (f" + uncommitted changes to {', '.join(changed)}" if changed else "")


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


# ------------------------------------------------------------------------------------------------ runs


def server_side(size: str, path: Path, runs: int) -> dict:
    """Run benchmarks/server_side.py on one file in a fresh process."""
    out = RESULTS / f"server-side-{size}.json"
    command = [sys.executable, str(REPO / "benchmarks" / "server_side.py"), str(path), "--out", str(out),
               "--runs", str(runs), "--budget", str(MEASUREMENT_BUDGET_SECONDS)]
    if size in NO_PAGE_RUNS:
        command.append("--no-pages")
    log = RESULTS / "logs" / f"server-side-{size}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    try:
        with open(log, "w", encoding="utf-8") as stream:
            subprocess.run(command, cwd=REPO, stdout=stream, stderr=subprocess.STDOUT, timeout=WORKER_TIMEOUT_SECONDS,
                           check=True)
        return json.loads(out.read_text(encoding="utf-8"))
    except (subprocess.SubprocessError, OSError, ValueError) as error:
        return {"error": f"{type(error).__name__}: {error} (log: {log.relative_to(REPO)})"}


def browser_side(size: str, path: Path, runs: int) -> dict:
    try:
        from browser import browser_timings  # playwright is only needed here

        return browser_timings(path, size, runs)
    except Exception as error:  # the server-side table is still worth printing
        return {"error": f"{type(error).__name__}: {str(error)[:300]}"}


# ------------------------------------------------------------------------------------------------ report


def _timing(data: dict | None, missing: str = "not measured") -> Timing:
    return Timing(**data) if data else Timing(note=missing)


def cell(timing: Timing, unit: str = "s") -> str:
    """'median (min–max)', or the note when there are no runs."""
    if timing.median is None:
        return timing.note or "–"
    scale, digits = (1000, 1) if unit == "ms" else (1, 3)
    low, high = timing.spread()
    text = f"{timing.median * scale:.{digits}f} ({low * scale:.{digits}f}–{high * scale:.{digits}f})"
    if len(timing.seconds) < 5:
        text += f" n={len(timing.seconds)}"
    return text + (" ⚠" if timing.note else "")


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("PASS" if ok else "**MISS**")


def server_rows(results: dict) -> list[tuple[str, str, dict[str, Timing]]]:
    """(measure, unit, timing per size) in a fixed order; figures and pages as found in the results."""
    sizes = [s for s in results if "error" not in results[s]]
    rows = [("load + validate", "s", {s: _timing(results[s]["load"]) for s in sizes}),
            ("filter: typical combination", "ms", {s: _timing(results[s]["filter_typical"]) for s in sizes}),
            ("filter: text search", "ms", {s: _timing(results[s]["filter_search"]) for s in sizes})]
    figure_names = sorted({name for s in sizes for name in results[s].get("figures", {})})
    rows += [(f"figure: {name}", "ms", {s: _timing(results[s]["figures"].get(name)) for s in sizes}) for name in figure_names]
    page_names = sorted({name for s in sizes for name in results[s].get("apptest", {}).get("pages", {})})
    skipped = {s: "skipped at this size" if s in NO_PAGE_RUNS else "not measured" for s in sizes}
    for kind, label in (("run", "page run (AppTest)"), ("filter", "page filter change (AppTest)"),
                        ("uncached", "page rerun, shared figure cache emptied (AppTest)")):
        for name in page_names:
            rows.append((f"{label}: {name}", "s", {
                s: _timing(results[s].get("apptest", {}).get("pages", {}).get(name, {}).get(kind), skipped[s])
                for s in sizes}))
    rows.append(("first AppTest run in a process (incl. load)", "s",
                 {s: _timing(results[s].get("apptest", {}).get("cold_first_run"), skipped[s]) for s in sizes}))
    return rows


def server_table(results: dict) -> list[str]:
    sizes = [s for s in results if "error" not in results[s]]
    header = ["measure"] + [f"{s} ({results[s]['rows']:,} rows)" for s in sizes]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for measure, unit, timings in server_rows(results):
        cells = [cell(timings[s], unit) for s in sizes]
        if any(c != "not measured" for c in cells):
            lines.append(f"| {measure} ({unit}) | " + " | ".join(cells) + " |")
    for size, result in results.items():
        if "error" in result:
            lines.append(f"\n{size}: server-side benchmark failed: {result['error']}")
    return lines


def _targets_by_name(browser: dict) -> dict[str, dict]:
    return {t["name"]: t for t in browser.get("targets", [])}


def _ratio(target: dict, floor: dict, key: str) -> float | None:
    ours, base = _timing(target[key]).median, _timing(floor[key]).median
    return ours / base if ours is not None and base else None


def _mb(count: int) -> str:
    return f"{count / 1e6:.2f} MB"


def browser_table(size: str, browser: dict) -> list[str]:
    if "error" in browser:
        return [f"Browser benchmark at {size} failed: {browser['error']}"]
    targets = _targets_by_name(browser)
    floor = targets.get("floor")
    lines = ["| page | page load to first chart (s) | × floor | filter change to charts updated (s) | × floor "
             "| filter change, run 1 (s) | sent on load: websocket + data HTTP | static JS/CSS "
             "| websocket on filter change |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, target in targets.items():
        load_ratio = _ratio(target, floor, "page_load") if floor else None
        filter_ratio = _ratio(target, floor, "filter_change") if floor else None
        sent = target["load_bytes"]
        changes = target["filter_change"]["seconds"]
        lines.append(
            f"| {name}{'' if target['has_chart'] else ' (no chart)'} | {cell(_timing(target['page_load']))} "
            f"| {f'{load_ratio:.2f}' if load_ratio else '–'} | {cell(_timing(target['filter_change']))} "
            f"| {f'{filter_ratio:.2f}' if filter_ratio else '–'} | {f'{changes[0]:.3f}' if changes else '–'} "
            f"| {_mb(sent.get('websocket', 0) + sent.get('http_data', 0))} | {_mb(sent.get('http_static', 0))} "
            f"| {_mb(target.get('filter_bytes', 0))} |"
        )
    return lines


def _browser_ratio_rows(browsers: dict, load_limit: float, filter_limit: float, issue: str) -> list[tuple]:
    rows = []
    targets = _targets_by_name(browsers.get("bundled", {}))
    floor = targets.get("floor")
    for name, target in targets.items():
        if name == "floor" or floor is None:
            continue
        loaded = "page load" if target["has_chart"] else "page load (no chart: to first run done)"
        for key, limit, label in (("page_load", load_limit, loaded), ("filter_change", filter_limit, "filter change")):
            ratio = _ratio(target, floor, key)
            note = _timing(target[key]).note
            measured = f"{ratio:.2f}× floor" if ratio else (note or "not measured")
            rows.append((f"{issue} bundled · {name}: {label} ≤ {limit}× floor", measured,
                         None if ratio is None else ratio <= limit))
    return rows


def _apptest_rows(server: dict, size: str, limit: float, issue: str, comparison: str) -> list[tuple]:
    rows = []
    for name, page in server.get(size, {}).get("apptest", {}).get("pages", {}).items():
        for kind, label in (("run", "loads"), ("filter", "answers a filter change")):
            timing = _timing(page[kind])
            measured = cell(timing) if timing.median is not None else timing.note
            rows.append((f"{issue} {size} · {name} {label} {comparison} {limit:g} s server-side (AppTest)", measured,
                         None if timing.median is None else
                         (timing.median < limit if comparison == "<" else timing.median <= limit)))
    return rows


def target_rows(server: dict, browsers: dict) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met?) for every target of issues 6 and 13 that this run measured."""
    rows: list[tuple[str, str, bool | None]] = _browser_ratio_rows(browsers, LOAD_RATIO, FILTER_RATIO, "#6")
    rows += _apptest_rows(server, "100k", PAGE_SECONDS_100K, "#6", "<")
    for name, target in _targets_by_name(browsers.get("100k", {})).items():
        if name != "floor":
            sent = target["load_bytes"].get("websocket", 0) + target["load_bytes"].get("http_data", 0)
            rows.append((f"#6 100k · {name} sends ≤ 5 MB (websocket + data HTTP)", _mb(sent),
                         sent <= BYTES_100K if target["load_bytes"] else None))
    million = server.get("1M", {})
    if "load" in million:
        for key, limit, label in (("load", LOAD_SECONDS_1M, "load + validate"), ("filter_typical", FILTER_SECONDS_1M,
                                  "typical filter"), ("filter_search", FILTER_SECONDS_1M, "text search filter")):
            timing = _timing(million[key])
            rows.append((f"#6 1M · {label} < {limit:g} s", cell(timing), None if timing.median is None else timing.median < limit))
    rows += _browser_ratio_rows(browsers, LOAD_RATIO_13, FILTER_RATIO_13, "#13")
    for name, data in server.get("bundled", {}).get("figures", {}).items():
        timing = _timing(data)
        rows.append((f"#13 bundled · figure {name} warm ≤ {FIGURE_SECONDS_13 * 1000:g} ms", cell(timing, "ms"),
                     None if timing.median is None else timing.median <= FIGURE_SECONDS_13))
    rows += _apptest_rows(server, "bundled", RERUN_SECONDS_13, "#13", "≤")
    rows += _apptest_rows(server, "100k", RERUN_SECONDS_100K_13, "#13", "≤")
    if "filter_search" in million:
        timing = _timing(million["filter_search"])
        rows.append((f"#13 1M · text search filter < {FILTER_SECONDS_1M:g} s", cell(timing),
                     None if timing.median is None else timing.median < FILTER_SECONDS_1M))
    return rows


def notes(server: dict, browsers: dict) -> list[str]:
    """Every note attached to a measurement (early stops, exceptions, missing pieces), one line each."""
    lines = []
    for size, result in server.items():
        if "error" not in result:
            for measure, _, timings in server_rows({size: result}):
                if timings[size].note and timings[size].note != "not measured" and timings[size].note != "skipped at this size":
                    lines.append(f"- {size} · {measure}: {timings[size].note}")
    for size, browser in browsers.items():
        for name, target in _targets_by_name(browser).items():
            for key in ("page_load", "filter_change"):
                if target[key]["note"]:
                    lines.append(f"- browser {size} · {name} · {key.replace('_', ' ')}: {target[key]['note']}")
    return lines


BROWSER_CACHE_NOTE = (
    "The untimed warm-up visit of every page fills the app's figure cache, which all sessions share: every timed page "
    "load is that of a visitor who is not the first to open the view. The filter change's run 1 is the first time "
    "the server builds the page's K1 view (unless an earlier page built the same chart); later runs are served "
    "from the cache, so the median is that of a visitor who is not the first either. The floor caches no figure.")


def report(args: argparse.Namespace, command: str, started: datetime.datetime, seconds: float, info: dict,
           loads: tuple[str, str], server: dict, browsers: dict) -> str:
    lines = [f"# kviz benchmark results — {started:%Y-%m-%d %H:%M}", "",
             f"Command: `{command}` · {seconds / 60:.1f} min · {args.runs} runs per measurement (median (min–max); "
             "n= shown when fewer runs; ⚠ = see Notes)", "",
             "Machine: " + "; ".join(f"{key} {value}" for key, value in info.items() if key != "code"), "",
             f"Code: {info.get('code', 'unknown')}", "",
             f"Load average (1/5/15 min) at start: {loads[0]}; at end: {loads[1]}", "", "## Targets", "",
             "| target | measured | result |", "|---|---|---|"]
    lines += [f"| {name} | {measured} | {verdict(ok)} |" for name, measured, ok in target_rows(server, browsers)]
    lines += ["", "## Server side", "", *server_table(server)]
    for size, browser in browsers.items():
        lines += ["", f"## Browser (headless Chromium, real server) — {size}", "", BROWSER_CACHE_NOTE, "",
                  *browser_table(size, browser)]
    found = notes(server, browsers)
    if found:
        lines += ["", "## Notes (⚠)", "", *found]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"sizes {QUICK_SIZES}, 3 runs server-side and 2 in the browser, browser on bundled data only")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 5; 3 with --quick)")
    parser.add_argument("--sizes", help=f"comma-separated, from {','.join(SIZES)}")
    parser.add_argument("--no-browser", dest="browser", action="store_false")
    args = parser.parse_args()
    args.runs = args.runs or (3 if args.quick else 5)
    sizes = (args.sizes or (QUICK_SIZES if args.quick else ",".join(SIZES))).split(",")
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; choose from {', '.join(SIZES)}")
    browser_sizes = [s for s in (QUICK_BROWSER_SIZES if args.quick else BROWSER_SIZES) if s in sizes or args.quick]

    command = " ".join(["python benchmarks/run.py", *sys.argv[1:]])
    started, clock = datetime.datetime.now(), time.perf_counter()
    RESULTS.mkdir(parents=True, exist_ok=True)
    info, load_at_start = {**machine(), "code": code_version()}, load_average()
    server, browsers = {}, {}
    for size in sizes:
        print(f"[bench] server side, {size} …", file=sys.stderr, flush=True)
        server[size] = server_side(size, data_file(size), args.runs)
    if args.browser:
        for size in browser_sizes:
            print(f"[bench] browser, {size} …", file=sys.stderr, flush=True)
            browsers[size] = browser_side(size, data_file(size), QUICK_BROWSER_RUNS if args.quick else args.runs)
    seconds = time.perf_counter() - clock
    text = report(args, command, started, seconds, info, (load_at_start, load_average()), server, browsers)
    stem = RESULTS / f"results-{started:%Y-%m-%d-%H%M}"
    stem.with_suffix(".md").write_text(text, encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps({"command": command, "started": started.isoformat(), "machine": info,
                                                     "server": server, "browser": browsers}, indent=1), encoding="utf-8")
    print(text)
    print(f"[bench] written to {stem.relative_to(REPO)}.md and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
