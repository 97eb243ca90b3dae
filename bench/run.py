"""``make bench``: measure Xietong against yardsticks in the same run, write docs/benchmarks.md.

1. A PostgreSQL database of its own (dropped and made again), migrated and
   filled by ``xietong bench-data``: 1,000 collaborations of 200 tasks and
   8 departments, plus one of 2,000 tasks for the one-query yardstick.
2. HTTP: gunicorn (2 sync workers, persistent connections) serves the
   product and the reference views of ``xietong.bench``; wrk loads each URL
   in turn. Every figure is a ratio to the minimal view measured in the
   same run, so a slower or busier machine moves both sides.
3. More data (1,000,000 tasks in all), then the in-process benchmarks of
   ``bench/`` with pytest-benchmark: the sweep against the one SQL statement
   that finds the same due items, the Excel export against openpyxl's own
   write-only mode, the rule engine at 1,000 and 10,000 tasks.
4. The figures, the targets and whether each is met: docs/benchmarks.md
   (a table) and docs/benchmarks.json.

``python bench/run.py --quick`` runs a small version in about two minutes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE = os.environ.get("BENCH_DATABASE", "xietong_bench")
SECRET = "bench-only-secret-key-0123456789-0123456789-0123456789"
INITIATOR = "bench"


@dataclass
class Scale:
    collaborations: int
    tasks_per: int
    big_tasks: int  # the one collaboration of the one-query yardstick
    long_tasks: int  # a long table, cold, against the 200-row one (linear, no worse)
    huge_tasks: int  # every page of one collaboration this big, cold, under a second
    sweep_tasks: int  # tasks in the database for the in-process benchmarks
    seconds: int  # per wrk run
    connections: int = 8


FULL = Scale(
    collaborations=1000,
    tasks_per=200,
    big_tasks=2000,
    long_tasks=1000,
    huge_tasks=5000,
    sweep_tasks=1_000_000,
    seconds=10,
)
QUICK = Scale(
    collaborations=50,
    tasks_per=200,
    big_tasks=2000,
    long_tasks=1000,
    huge_tasks=5000,
    sweep_tasks=50_000,
    seconds=3,
)
# Requests per page of the huge collaboration (one at a time: its latency, not a queue's).
HUGE_ROUNDS = 5
# Cold pages (cache off) as a share of the minimal view (issue 22).
COLD_TARGETS = {"dashboard": 0.06, "table": 0.04, "weekly": 0.04, "tasks_api": 0.08}


@dataclass
class Http:
    name: str
    label: str
    path: str
    requests_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    # Yardsticks are requested without a session, as bare views are; product pages signed in.
    signed_in: bool = True


@dataclass
class Latency:
    """One page of the huge collaboration, requested cold one at a time."""

    path: str
    median_ms: float
    max_ms: float
    bytes: int
    problem: str = ""  # not measured: why


@dataclass
class Row:
    """One line of the table: a figure, its yardstick, the target and the verdict."""

    what: str
    figure: str
    target: str
    met: bool
    note: str = ""


@dataclass
class Results:
    started: str
    machine: dict[str, Any]
    scale: dict[str, Any]
    http: list[Http] = field(default_factory=list)
    inprocess: dict[str, dict[str, Any]] = field(default_factory=dict)
    huge: list[Latency] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "XIETONG_DATA": str(ROOT / "var" / "bench"),
        "XIETONG_LOG_LEVEL": "WARNING",
        **extra,
    }


def xietong(database_url: str, *args: str) -> None:
    subprocess.run([str(BIN / "xietong"), *args], env=env(database_url), check=True, cwd=ROOT)


def fresh_database() -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    return f"{SERVER}/{DATABASE}"


def count_tasks(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM collabs_task").fetchone()
    return int(row[0]) if row else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(database_url: str, workers: int = 2, **extra: str) -> Iterator[str]:
    """Serve the product with its bench views on a free port; stop it by its pid file."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="xietong-bench-"))
    pid_file = folder / "gunicorn.pid"
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "xietong.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--pid",
            str(pid_file),
            "--no-control-socket",
            # A cold page of the 5,000-task collaboration on a busy machine may take long: measured, not killed.
            "--timeout",
            "120",
            "--error-logfile",
            str(folder / "error.log"),
        ],
        env=env(database_url, XIETONG_BENCH_VIEWS="1", XIETONG_ALLOWED_HOSTS="127.0.0.1", **extra),
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start: " + (folder / "error.log").read_text())
        yield url
    finally:
        # gunicorn 27: the shell's $! / Popen's pid may be a wrapper; the pid file names the master.
        master = int(pid_file.read_text().strip()) if pid_file.exists() else process.pid
        os.kill(master, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def session_cookie(database_url: str) -> str:
    """Sign the initiator of the generated collaborations in; return the session cookie."""
    code = (
        "import django, os; django.setup()\n"
        "from django.test import Client\n"
        "from xietong.orgs.models import Person\n"
        "c = Client(); c.force_login(Person.objects.get(username=os.environ['BENCH_USER']))\n"
        "print(c.cookies['sessionid'].value)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env(database_url, DJANGO_SETTINGS_MODULE="xietong.settings", BENCH_USER=INITIATOR),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk(url: str, cookie: str, scale: Scale, check: str) -> tuple[float, float, float, int]:
    """Load ``url`` with wrk; return (requests/s, p50 ms, p99 ms, errors)."""
    probe = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Cookie: sessionid={cookie}", url],
        capture_output=True,
        text=True,
    )
    if probe.stdout != "200":
        raise RuntimeError(f"{url} answered {probe.stdout}, not 200")
    body = subprocess.run(
        ["curl", "-s", "-H", f"Cookie: sessionid={cookie}", url], capture_output=True, text=True
    ).stdout
    if check not in body:
        raise RuntimeError(f"{url} does not show {check!r}")

    def load(seconds: int) -> str:
        command = ["wrk", "--latency", "--timeout", "10s", "-t2", f"-c{scale.connections}", f"-d{seconds}s"]
        command += ["-H", f"Cookie: sessionid={cookie}", url]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    # A first, unmeasured load: each gunicorn worker's first requests import and compile.
    load(2)
    out = load(scale.seconds)
    if re.search(r"\s0 requests in", out):
        raise RuntimeError(f"{url}: no request answered under load:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # The "Latency Distribution" lines (a "+/- Stdev" of 62.50% must not match).
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)\s*$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)\s*$", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p50, p99, int(errors.group(1)) if errors else 0


def _slugs(scale: Scale) -> dict[str, str]:
    """The generated collaborations by role: bench-data numbers them in the order they are made."""
    n = scale.collaborations
    return {
        "table": "bench-000001",
        "big": f"bench-{n + 1:06d}",
        "long": f"bench-{n + 2:06d}",
        "huge": f"bench-{n + 3:06d}",
    }


def http_benchmarks(database_url: str, scale: Scale, results: Results) -> None:
    cookie = session_cookie(database_url)
    slugs = _slugs(scale)
    slug, big = slugs["table"], slugs["big"]
    pages = [
        Http("minimal", "最小视图 / minimal view", "/bench/minimal/", signed_in=False),
        Http("one_query", "单聚合查询视图(2,000 任务)", f"/bench/one-query/{big}/", signed_in=False),
        Http("list50", "50 行列表视图", f"/bench/list50/{slug}/", signed_in=False),
        Http("dashboard", "协作看板 dashboard", f"/c/{slug}/dashboard/"),
        Http("table", "部门职责分工表 table page", f"/c/{slug}/table/"),
        Http("weekly", "周进度清单 weekly list", f"/c/{slug}/tracking/"),
        Http("tasks_api", "任务列表 API", f"/api/collaborations/{slug}/tasks?limit=200"),
        Http("minimal_again", "最小视图(结束时)", "/bench/minimal/", signed_in=False),
    ]
    checks = {"minimal": "ok", "minimal_again": "ok", "tasks_api": '"items"'}
    with gunicorn(database_url) as base:
        measure(base, pages, cookie, scale, checks, results)
    # The same pages with caching off: what the per-version cache saves.
    uncached = [
        Http(f"{p.name}_uncached", f"{p.label}(无缓存 / cache off)", p.path)
        for p in pages
        if p.name in COLD_TARGETS
    ]
    uncached.append(
        Http(
            "table_long_uncached",
            f"部门职责分工表 {scale.long_tasks:,} 行(无缓存 / cache off)",
            f"/c/{slugs['long']}/table/",
        )
    )
    with gunicorn(database_url, XIETONG_CACHE_URL="dummy://") as base:
        measure(base, uncached, cookie, scale, {"tasks_api_uncached": '"items"'}, results)
        huge_pages(base, cookie, database_url, slugs["huge"], results)


def workspace_paths(database_url: str, slug: str) -> list[str]:
    """Every page of one collaboration's workspace (the list the tests walk) and its task list API."""
    code = (
        "import django, sys; django.setup()\n"
        "from django.urls import reverse\n"
        "from tests.conftest import INITIATOR_PAGES, WORKSPACE_PAGES\n"
        "for name in (*WORKSPACE_PAGES, *INITIATOR_PAGES): print(reverse(name, args=[sys.argv[1]]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, slug],
        env=env(database_url, DJANGO_SETTINGS_MODULE="xietong.settings"),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return [*out.stdout.split(), f"/api/collaborations/{slug}/tasks"]


def huge_pages(base: str, cookie: str, database_url: str, slug: str, results: Results) -> None:
    """Request each page of the huge collaboration cold, one request at a time (latency, no queue)."""
    host, port = base.removeprefix("http://").split(":")
    for path in workspace_paths(database_url, slug):
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        times: list[float] = []
        size, problem = 0, ""
        try:
            for _ in range(HUGE_ROUNDS + 1):  # the first, unmeasured: imports and compiled templates
                began = time.perf_counter()
                connection.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
                answer = connection.getresponse()
                size = len(answer.read())
                times.append((time.perf_counter() - began) * 1000)
                if answer.status != 200:
                    problem = f"answered {answer.status}"
                    break
        except (http.client.HTTPException, OSError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        if problem:
            log(f"{path}: not measured: {problem}")
            results.huge.append(Latency(path, 0, 0, 0, problem))
            continue
        measured = sorted(times[1:])
        row = Latency(path, measured[len(measured) // 2], measured[-1], size)
        log(f"{path}: median {row.median_ms:.0f} ms, max {row.max_ms:.0f} ms, {size:,} bytes")
        results.huge.append(row)


def measure(
    base: str, pages: list[Http], cookie: str, scale: Scale, checks: dict[str, str], results: Results
) -> None:
    for page in pages:
        sent = cookie if page.signed_in else ""
        try:
            rate, p50, p99, errors = wrk(base + page.path, sent, scale, checks.get(page.name, "<"))
        except (RuntimeError, AttributeError, subprocess.CalledProcessError) as exc:
            log(f"{page.name}: not measured: {exc}")  # the table shows it as missing, the run goes on
            continue
        page.requests_per_s, page.p50_ms, page.p99_ms, page.errors = rate, p50, p99, errors
        log(f"{page.name}: {rate:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        results.http.append(page)


def inprocess_benchmarks(database_url: str, results: Results) -> None:
    out = ROOT / "var" / "bench" / "inprocess.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(BIN / "pytest"),
            "bench",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            f"--benchmark-json={out}",
        ],
        env=env(database_url),
        cwd=ROOT,
        check=False,
    )
    if not out.exists():
        return
    for bench in json.loads(out.read_text())["benchmarks"]:
        name = bench["name"].removeprefix("test_")
        stats = bench["stats"]
        results.inprocess[name] = {
            "median_s": stats["median"],
            "min_s": stats["min"],
            "rounds": stats["rounds"],
            **bench.get("extra_info", {}),
        }


def verdicts(results: Results) -> None:
    """Turn the figures into the table's rows, each against the issue's target."""
    http = {h.name: h for h in results.http}
    if "minimal" in http:
        minimal = sum(http[n].requests_per_s for n in ("minimal", "minimal_again") if n in http) / sum(
            1 for n in ("minimal", "minimal_again") if n in http
        )
        for name in ("one_query", "list50", "dashboard", "table", "weekly", "tasks_api"):
            if name not in http:
                results.rows.append(Row(name, "not measured (see the log)", "", False))
        for name in ("one_query", "list50"):
            if name not in http:
                continue
            h = http[name]
            results.rows.append(
                Row(h.label, f"{h.requests_per_s / minimal:.2f} × minimal", "yardstick", True)
            )
        for name, target in COLD_TARGETS.items():
            if f"{name}_uncached" in http:
                cold = http[f"{name}_uncached"]
                share, spread = cold.requests_per_s / minimal, cold.p99_ms / max(cold.p50_ms, 0.001)
                met = share >= target and spread <= 3 and cold.errors == 0
                results.rows.append(
                    Row(
                        cold.label,
                        f"{share:.3f} × minimal ({cold.requests_per_s:.1f} req/s); p99 {spread:.1f} × p50",
                        f"≥ {target} × minimal; p99 ≤ 3 × p50",
                        met,
                        "" if share >= target else f"missed: {target / share:.1f} × too slow",
                    )
                )
            if name not in http:
                continue
            h = http[name]
            share, spread = h.requests_per_s / minimal, h.p99_ms / max(h.p50_ms, 0.001)
            results.rows.append(
                Row(
                    h.label,
                    f"{share:.2f} × minimal ({h.requests_per_s:.0f} req/s); p99 {spread:.1f} × p50",
                    "≥ 0.25 × minimal; p99 ≤ 3 × p50",
                    share >= 0.25 and spread <= 3 and h.errors == 0,
                    f"{h.errors} errors" if h.errors else "",
                )
            )
    if "table_uncached" in http and "table_long_uncached" in http:
        short, long = http["table_uncached"], http["table_long_uncached"]
        ratio = short.requests_per_s / max(long.requests_per_s, 0.001)
        results.rows.append(
            Row(
                long.label + " vs 200 行",
                f"{ratio:.1f} × the time of the 200-row table ({long.requests_per_s:.1f} req/s)",
                "≤ 5 ×",
                ratio <= 5,
            )
        )
    if results.huge:
        slowest = max(results.huge, key=lambda h: h.median_ms)
        over = [f"{h.path} ({h.median_ms / 1000:.1f} s)" for h in results.huge if h.median_ms >= 1000]
        failed = [f"{h.path} ({h.problem})" for h in results.huge if h.problem]
        notes = ([f"over 1 s: {', '.join(over)}"] if over else []) + (
            [f"not measured: {', '.join(failed)}"] if failed else []
        )
        results.rows.append(
            Row(
                f"{results.scale['huge_tasks']:,} 项任务的协作:每个页面(无缓存)",
                f"{len(results.huge)} pages; slowest {slowest.path} median {slowest.median_ms:.0f} ms",
                "every page < 1 s cold",
                not over and not failed,
                "; ".join(notes),
            )
        )
    ip = results.inprocess

    def pair(what: str, product: str, base: str, limit: float, unit: str = "min_s") -> None:
        if product in ip and base in ip:
            ratio = ip[product][unit] / ip[base][unit]
            results.rows.append(Row(what, f"{ratio:.2f} ×", f"≤ {limit} ×", ratio <= limit))

    pair("提醒扫描 first sweep vs one SQL statement", "sweep_product", "sweep_baseline", 10.0)
    pair(
        "提醒扫描 every-minute sweep (nothing new) vs one SQL statement",
        "sweep_steady_product",
        "sweep_steady_baseline",
        3.0,
    )
    if "sweep_product" in ip and "sweep_baseline" in ip:
        grown, rows = ip["sweep_product"].get("peak_mb", 0), ip["sweep_baseline"].get("peak_mb", 0)
        results.rows.append(
            Row(
                "提醒扫描内存 sweep memory (peak RSS growth)",
                f"{grown:.1f} MB vs {rows:.1f} MB for the statement's rows fetched whole",
                "bounded: below loading the due rows",
                grown <= max(rows, 1.0),
            )
        )
    pair("Excel 导出 10,000 行 vs openpyxl write-only", "export_product", "export_baseline", 1.5)
    if "export_product" in ip and "export_baseline" in ip:
        extra = ip["export_product"].get("peak_mb", 0) - ip["export_baseline"].get("peak_mb", 0)
        results.rows.append(
            Row("Excel 导出内存 (peak, more than openpyxl)", f"{extra:+.1f} MB", "≤ +30 MB", extra <= 30)
        )
    if "import_10k" in ip and "import_1k" in ip:
        # The reading's own memory: the peak less the charter the import returns (its rows, by design).
        big, small = (
            ip[n].get("peak_mb", 0) - ip[n].get("result_mb", 0) for n in ("import_10k", "import_1k")
        )
        results.rows.append(
            Row(
                "Excel 导入读取内存 10k vs 1k rows (peak less the returned rows)",
                f"{big:.1f} MB vs {small:.1f} MB (peaks {ip['import_10k'].get('peak_mb', 0):.1f} / "
                f"{ip['import_1k'].get('peak_mb', 0):.1f} MB)",
                "flat (≤ 2 × + 5 MB)",
                big <= 2 * small + 5,
            )
        )
    if "directory_sync" in ip:  # bench/test_directory.py
        d = ip["directory_sync"]
        results.rows.append(
            Row(
                "directory sync, 20,000 people",
                f"first {d['min_s']:.1f} s, second (nothing changed, writes nothing) "
                f"{d.get('second_s', 0):.1f} s; peak {d.get('peak_mb', 0):.0f} MB (tracemalloc)",
                "first < 60 s",
                d["min_s"] < 60,
            )
        )
    if "directory_sync_ldap" in ip:  # bench/test_directory.py, against slapd
        d = ip["directory_sync_ldap"]
        first = d["min_s"]
        results.rows.append(
            Row(
                "directory sync from LDAP, 20,000 people",
                f"first {first:.1f} s, second (nothing changed, writes nothing) {d.get('second_s', 0):.1f} s; "
                f"peak {d.get('peak_mb', 0):.0f} MB (tracemalloc; the read whole {d.get('read_peak_mb', 0):.0f} MB, "
                f"the LDAP source alone {d.get('source_peak_mb', 0):.1f} MB: a page of "
                f"{d.get('page_size', 500)} and the department index)",
                "first < 60 s",
                first < 60,
                f"met, {60 - first:.1f} s under" if first < 60 else f"missed by {first - 60:.1f} s",
            )
        )
    if "rules_1k" in ip and "rules_10k" in ip:
        import math

        ratio = ip["rules_10k"]["min_s"] / ip["rules_1k"]["min_s"]
        bound = 10 * math.log(10_000) / math.log(1_000)
        results.rows.append(
            Row("规则引擎 10k vs 1k tasks", f"{ratio:.1f} ×", f"≤ {bound:.1f} × (n log n)", ratio <= bound)
        )


def write(results: Results, quick: bool) -> None:
    docs = ROOT / "docs"
    suffix = "-quick" if quick else ""
    (docs / f"benchmarks{suffix}.json").write_text(
        json.dumps(asdict(results), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {results.started} ({results.machine['cpus']} CPUs, "
        f"Python {results.machine['python']}, PostgreSQL). Every figure is a ratio to a yardstick "
        "measured in the same run, so a busy machine moves both sides; the raw figures are in "
        f"[benchmarks{suffix}.json](benchmarks{suffix}.json). How each is measured: "
        "[performance.md](performance.md).",
        "",
        "| What | Measured | Target | Met |",
        "|---|---|---|---|",
    ]
    for row in results.rows:
        note = f" ({row.note})" if row.note else ""
        lines.append(f"| {row.what} | {row.figure}{note} | {row.target} | {'yes' if row.met else '**no**'} |")
    lines += [
        "",
        "## HTTP (wrk, gunicorn with 2 sync workers)",
        "",
        "| URL | req/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    for h in results.http:
        lines.append(f"| {h.label} | {h.requests_per_s:.0f} | {h.p50_ms:.1f} | {h.p99_ms:.1f} |")
    if results.huge:
        lines += [
            "",
            f"## Every page of a {results.scale['huge_tasks']:,}-task collaboration, cold (one request at a time)",
            "",
            "| URL | median ms | max ms | bytes |",
            "|---|---|---|---|",
        ]
        for page in results.huge:
            if page.problem:
                lines.append(f"| {page.path} | not measured: {page.problem} | | |")
            else:
                lines.append(f"| {page.path} | {page.median_ms:.0f} | {page.max_ms:.0f} | {page.bytes:,} |")
    lines += [
        "",
        "## In process (pytest-benchmark)",
        "",
        "Ratios above use each benchmark's fastest round: on a shared machine the other",
        "rounds measure the neighbours as much as the code.",
        "",
        "| Benchmark | fastest s | median s | rounds | extra |",
        "|---|---|---|---|---|",
    ]
    for name, figures in results.inprocess.items():
        extra = ", ".join(
            f"{k} {round(v, 2) if isinstance(v, float) else v}"
            for k, v in figures.items()
            if k not in {"median_s", "min_s", "rounds"}
        )
        lines.append(
            f"| {name} | {figures['min_s']:.3f} | {figures['median_s']:.3f} | {figures['rounds']} | {extra} |"
        )
    (docs / f"benchmarks{suffix}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    log(f"wrote docs/benchmarks{suffix}.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run for development")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-inprocess", action="store_true")
    args = parser.parse_args()
    scale = QUICK if args.quick else FULL
    if shutil.which("wrk") is None and not args.skip_http:
        sys.exit("wrk is needed for the HTTP figures: apt-get install wrk")
    results = Results(
        started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine={"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        scale=asdict(scale),
    )
    began = time.monotonic()
    database_url = fresh_database()
    log(f"database {DATABASE}: migrate")
    xietong(database_url, "migrate", "-v0")
    log(f"bench-data: {scale.collaborations} collaborations × {scale.tasks_per} tasks")
    xietong(
        database_url,
        "bench-data",
        "--collaborations",
        str(scale.collaborations),
        "--tasks-per",
        str(scale.tasks_per),
    )
    xietong(database_url, "bench-data", "--collaborations", "1", "--tasks-per", str(scale.big_tasks))
    xietong(database_url, "bench-data", "--collaborations", "1", "--tasks-per", str(scale.long_tasks))
    xietong(database_url, "bench-data", "--collaborations", "1", "--tasks-per", str(scale.huge_tasks))
    if not args.skip_http:
        http_benchmarks(database_url, scale, results)
    if not args.skip_inprocess:
        missing = scale.sweep_tasks - count_tasks(database_url)
        if missing > 0:
            per = 1000
            log(f"bench-data: {missing // per} more collaborations × {per} tasks for the sweep")
            xietong(
                database_url,
                "bench-data",
                "--collaborations",
                str(missing // per),
                "--tasks-per",
                str(per),
                "--seed",
                "1",
            )
        inprocess_benchmarks(database_url, results)
    verdicts(results)
    results.scale["tasks_in_database"] = count_tasks(database_url)
    results.scale["seconds"] = round(time.monotonic() - began)
    write(results, args.quick)


if __name__ == "__main__":
    main()
