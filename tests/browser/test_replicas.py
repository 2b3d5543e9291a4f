"""`make serve`: two Streamlit replicas behind HAProxy (scripts/serve.sh), driven as visitors drive them.

- Two browsers land on different replicas (the SERVERID affinity cookie), each uploads its own CSV on the
  Data page and sees only its own rows: the websocket and the upload of a session reach the same replica.
- A shared deep link works through the proxy.
- The proxy's hardening: a foreign Host header gets 403, /_stcore/metrics is not served, answers carry
  the security headers, a websocket from another origin is refused.
- A replica that stops is replaced, and its visitors reconnect to a live replica.
- Ctrl-C (SIGINT to the process group), SIGTERM (to the script alone) and even SIGKILL of the script leave
  no process behind.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest
from playwright.sync_api import expect, BrowserContext, Page
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from findings_csv import valid_csv
from kviz import schema

from .helpers import (
    ALL_COUNT,
    ARTIFACTS,
    FIXTURE_DATA,
    REPO,
    SERVER_START_SECONDS,
    TIMELINE_CHARTS,
    Server,
    assert_charts_drawn,
    assert_no_errors,
    chips,
    count_line,
    free_port,
    go_to,
    healthy,
    open_path,
    rerun_after,
    wait_for_reconnection,
    watch_connection,
)

SERVE = REPO / "scripts" / "serve.sh"
AFFINITY_COOKIE = "SERVERID"
OUTCOME = schema.OUTCOME.title
FRACTURE = schema.OUTCOME.short_label("fracture")
FIXTURE_FRACTURE_ROWS = 5  # tests/browser/data/findings-fixture.csv: five fracture findings of 18
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": "frame-ancestors 'self'",
}


@dataclass
class Proxy(Server):
    """serve.sh running: the proxy's URL, its log, the script's process and the replicas' ports (r1, r2, ...)."""

    process: subprocess.Popen | None = None
    replica_ports: tuple[int, ...] = ()
    port: int = 0


def group_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes in process group `pgid` (zombies excluded)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            state, group = fields[0], int(fields[2])
            if group == pgid and state != "Z":
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                members.append((int(entry.name), command))
        except (OSError, ValueError):
            continue
    return members


def wait_until_empty(pgid: int, seconds: float) -> list[tuple[int, str]]:
    deadline = time.monotonic() + seconds
    while (left := group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@contextmanager
def serve(label: str, replicas: int) -> Iterator[Proxy]:
    """`bash scripts/serve.sh --replicas N --port <free>` in its own process group, on the fixture data.

    Stopped with SIGTERM to the script alone (as `docker stop` or a terminal's `kill` does): the script
    must stop every process it started. Whatever is left is killed, and reported.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / f"serve-{label}.log"
    port = free_port()
    env = {**os.environ, "KVIZ_DATA": str(FIXTURE_DATA), "KVIZ_START_SECONDS": str(SERVER_START_SECONDS)}
    env.pop("KVIZ_HOSTS", None)
    env.pop("KVIZ_FRAME_ANCESTORS", None)
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            ["bash", str(SERVE), "--replicas", str(replicas), "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    proxy = Proxy(f"http://127.0.0.1:{port}", log_path, process=process, port=port)
    leftovers: list[tuple[int, str]] = []
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS + 30
        while "serving http://" not in proxy.log() or not healthy(proxy.url):
            if process.poll() is not None:
                raise RuntimeError(f"serve.sh exited with {process.returncode}:\n{proxy.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve.sh not serving after {SERVER_START_SECONDS + 30} s:\n{proxy.log()[-3000:]}")
            time.sleep(0.2)
        ports = re.search(r"replica\(s\) of app\.py on 127\.0\.0\.1:([\d ]+)", proxy.log())
        proxy.replica_ports = tuple(int(p) for p in ports.group(1).split())
        assert len(proxy.replica_ports) == replicas
        yield proxy
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        leftovers = wait_until_empty(process.pid, 5)
        if leftovers:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    assert not leftovers, f"serve.sh left processes behind after SIGTERM: {leftovers}\n{proxy.log()[-2000:]}"


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    with serve("replicas", replicas=2) as running:
        yield running


def affinity(context: BrowserContext) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == AFFINITY_COOKIE), None)


def upload(page: Page, name: str, content: bytes) -> None:
    file_input = page.get_by_test_id("stFileUploaderDropzoneInput")
    rerun_after(page, lambda: file_input.set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": content}]))
    assert_no_errors(page)


def own_count(rows: int) -> str:
    return f"{rows} of {rows} findings · {rows} publication{'s' if rows != 1 else ''}"


def request(url: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET `url` (optionally with another Host header): status, lower-cased headers, body."""
    headers = {"Host": host} if host else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=15) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def websocket_status(proxy: Proxy, origin: str | None) -> int:
    """The HTTP status of a websocket upgrade to /_stcore/stream through the proxy (101 = opened)."""
    try:
        with connect(f"ws://127.0.0.1:{proxy.port}/_stcore/stream", subprotocols=["streamlit"], origin=origin,
                     open_timeout=15) as websocket:  # fmt: skip
            return websocket.response.status_code
    except InvalidStatus as refused:
        return refused.response.status_code


# --- affinity -----------------------------------------------------------------------------------------


def test_two_visitors_on_two_replicas_each_see_only_their_upload(
    proxy: Proxy, new_context: Callable[[], BrowserContext]
) -> None:
    # Round robin gives each new visitor the next replica; other requests without the cookie (health
    # polls) may shift the turn, so open visitors until two replicas are in use.
    visitors: dict[str, Page] = {}
    for _ in range(4):
        context = new_context()
        page = context.new_page()
        open_path(page, proxy, "data")
        replica = affinity(context)
        assert replica in {"r1", "r2"}, f"no {AFFINITY_COOKIE} cookie from the proxy: {context.cookies()}"
        visitors.setdefault(replica, page)
        if len(visitors) == 2:
            break
    assert set(visitors) == {"r1", "r2"}, f"every visitor landed on {set(visitors)}"
    first, second = visitors["r1"], visitors["r2"]

    upload(first, "first.csv", valid_csv(3, prefix="first"))
    assert count_line(first) == own_count(3)
    upload(second, "second.csv", valid_csv(5, prefix="second"))
    assert count_line(second) == own_count(5)

    # Each session keeps seeing only its own rows on its other pages, on the replica its cookie names.
    for page, rows, replica in ((first, 3, "r1"), (second, 5, "r2")):
        go_to(page, proxy, "timeline")
        assert count_line(page) == own_count(rows)
        assert_charts_drawn(page, TIMELINE_CHARTS)
        assert affinity(page.context) == replica


def test_a_deep_link_works_through_the_proxy(proxy: Proxy, page: Page) -> None:
    open_path(page, proxy, "timeline", f"outcome={FRACTURE}")
    assert_no_errors(page)
    assert chips(page, OUTCOME) == [FRACTURE]
    assert count_line(page).startswith(f"{FIXTURE_FRACTURE_ROWS} of 18 findings")
    assert_charts_drawn(page, TIMELINE_CHARTS)


def test_a_stopped_replica_is_replaced_and_its_visitors_reconnect(
    proxy: Proxy, new_context: Callable[[], BrowserContext]
) -> None:
    context = new_context()
    page = context.new_page()
    open_path(page, proxy, "data")
    upload(page, "mine.csv", valid_csv(2, prefix="mine"))
    assert count_line(page) == own_count(2)
    replica = affinity(context)
    port = proxy.replica_ports[int(replica[1:]) - 1]
    pids = [pid for pid, command in group_members(proxy.process.pid) if f"--server.port {port} " in command]
    assert len(pids) == 1, f"replica {replica} (port {port}) not found among {group_members(proxy.process.pid)}"
    watch_connection(page)
    os.kill(pids[0], signal.SIGKILL)

    deadline = time.monotonic() + 60
    while f"replica {replica[1:]} stopped; starting it again" not in proxy.log():
        assert time.monotonic() < deadline, f"serve.sh did not restart replica {replica}:\n{proxy.log()[-2000:]}"
        time.sleep(0.2)
    # The browser notices, reconnects by itself (to a live replica), and keeps showing the last page until
    # the visitor's next action, which runs in a new session: the upload lived in the stopped process.
    wait_for_reconnection(page)
    go_to(page, proxy, "timeline")
    assert_no_errors(page)
    assert count_line(page) == ALL_COUNT, "the served data again, not the lost upload"
    expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text("The uploaded file this page showed is not here")
    assert_charts_drawn(page, TIMELINE_CHARTS)
    assert healthy(proxy.url)


# --- hardening ----------------------------------------------------------------------------------------


def test_only_configured_host_names_are_answered(proxy: Proxy) -> None:
    assert request(f"{proxy.url}/")[0] == 200
    assert request(f"{proxy.url}/", host=f"localhost:{proxy.port}")[0] == 200
    for foreign in (f"evil.example:{proxy.port}", "evil.example", f"127.0.0.2:{proxy.port}"):
        status, headers, _ = request(f"{proxy.url}/", host=foreign)
        assert status == 403, f"Host {foreign} answered {status}"


def test_metrics_are_not_served(proxy: Proxy) -> None:
    for path in ("/_stcore/metrics", "/_stcore//metrics", "/_stcore/%6detrics"):
        status, _, body = request(f"{proxy.url}{path}")
        assert status in (403, 404), f"{path} answered {status}"
        assert b"cache_memory_bytes" not in body


@pytest.mark.parametrize("path", ["/", "/_stcore/health", "/timeline", "/_stcore/metrics"])
def test_answers_carry_the_security_headers(proxy: Proxy, path: str) -> None:
    _, headers, _ = request(f"{proxy.url}{path}")
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, f"{path}: {name} is {headers.get(name)!r}"


def test_a_websocket_from_another_origin_is_refused(proxy: Proxy) -> None:
    assert websocket_status(proxy, f"http://127.0.0.1:{proxy.port}") == 101, "the page's own origin connects"
    for origin in ("http://127.0.0.1:1", f"http://localhost:{proxy.port}", "https://evil.example", "null", None):
        assert websocket_status(proxy, origin) == 403, f"websocket from origin {origin} was not refused"


# --- stopping -----------------------------------------------------------------------------------------


def test_ctrl_c_stops_every_process() -> None:
    """A terminal's Ctrl-C sends SIGINT to the whole foreground process group: nothing may survive it."""
    with serve("ctrl-c", replicas=2) as running:
        assert len(group_members(running.process.pid)) == 4, "serve.sh, two replicas and HAProxy"
        os.killpg(running.process.pid, signal.SIGINT)
        assert running.process.wait(timeout=30) == 0, "a requested stop is a success"
        assert wait_until_empty(running.process.pid, 10) == []
        assert "stopping 3 process(es)" in running.log()


def test_no_orphans_even_if_the_script_is_killed() -> None:
    """SIGKILL gives serve.sh no chance to clean up: its children's parent-death signal stops them."""
    with serve("sigkill", replicas=2) as running:
        members = group_members(running.process.pid)
        assert len([pid for pid, _ in members if pid != running.process.pid]) == 3
        run_dir = next(Path(c.split(" -f ")[1].split()[0]).parent for _, c in members if "haproxy" in c)
        running.process.kill()
        running.process.wait(timeout=10)
        assert wait_until_empty(running.process.pid, 20) == [], "replicas or HAProxy outlived serve.sh"
        shutil.rmtree(run_dir, ignore_errors=True)  # the one thing a killed script cannot remove
