#!/usr/bin/env python3
"""Load on the classroom's JupyterHub: N simulated students on this machine (root, loopback only).

    sudo .venv/bin/python benchmarks/hub_load.py                 # 10 students, all at once
    sudo .venv/bin/python benchmarks/hub_load.py --students 30 --arrival 60   # a class walking in
    sudo .venv/bin/python benchmarks/hub_load.py --students 1,10,30 --before /opt/classroom-before

Installs the classroom into a scratch layout (the venv is cached in /opt/alliance-classroom-test, as
for tests/hub), creates N student accounts, starts the hub, then for every student at once:
log in → start their server (timed: login to running server), open notebook 02 (contents API) →
start a kernel → run the notebook's first cell (timed: open to first cell done).  Memory per user
is the proportional set size (PSS) of every process the account runs (its server and kernel).
Writes its section of benchmarks/RESULTS.md; stops everything and removes the accounts afterwards.

Where the seconds go (the phase table): login (the form POST), hub → process (the spawn request until
the server's process exists, from /proc), process → listening (the server's own start: imports and
server extensions, to its "is running at" log line), listening → ready (the hub polling the server
with back-off, then adding the proxy route), and for the notebook: kernel start (POST /api/kernels)
and the first cell (`from workbook import …`, in that kernel).

``--before COMMIT`` also runs the same load on the classroom of an older commit (``git archive`` into a
temporary folder; its own ``classroom/install.sh`` installs it under ``$WORKBOOK_HUB_PREFIX-before``,
cached like the other): before and after in one run, one after the other, with the load average
beside each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hub"))
from hubclient import HubUser, free_port  # noqa: E402

CLASSROOM = ROOT / "classroom"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- hub_load: begin -->", "<!-- hub_load: end -->"
MAX_STUDENTS = 30


def say(text: str) -> None:
    print(f"[hub_load] {text}", flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def pss_of_uid(uid: int) -> float:
    """MB of proportional set size of every process running as uid."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return total / 1024


def pss_of_pids(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 1024


def mem_available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return 0.0


def student_run(base_url: str, name: str, password: str, first_cell: str, delay: float) -> dict:
    time.sleep(delay)  # when this student walks in
    user = HubUser(base_url, name, password, timeout=300)
    t0 = time.monotonic()
    wall0 = time.time()
    answer = user.login()
    if answer.status_code != 302:
        raise RuntimeError(f"{name}: login answered {answer.status_code}")
    login = time.monotonic() - t0
    user.make_token()
    spawn_wall = time.time()
    user.start_server()
    user.wait_ready(timeout=300)
    ready = time.monotonic() - t0
    ready_wall = time.time()
    t1 = time.monotonic()
    user.git_pull(f"file://{os.environ['HUB_LOAD_CONTENT']}", "main", "alliance-workbook")
    pulled = time.monotonic() - t1
    t2 = time.monotonic()
    user.read_notebook("alliance-workbook/02_one_percent.ipynb")
    result = user.run([first_cell], timeout=300, keep_kernel=True)[0]
    first = time.monotonic() - t2
    if result["error"]:
        raise RuntimeError(f"{name}: first cell raised {result['error']}")
    return {
        "name": name,
        "login": login,
        "ready": ready,
        "pull": pulled,
        "first_cell": first,
        "kernel_start": user.last_run.get("kernel_start", float("nan")),
        "cell": user.last_run.get("cells", float("nan")),
        "wall0": wall0,
        "spawn_wall": spawn_wall,
        "ready_wall": ready_wall,
        "user": user,
    }


def process_start_wall(uid: int) -> float | None:
    """Wall-clock time the account's jupyterhub-singleuser process started (from /proc), or None."""
    tick = os.sysconf("SC_CLK_TCK")
    boot_now = time.clock_gettime(time.CLOCK_BOOTTIME)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid or b"jupyterhub-singleuser" not in (entry / "cmdline").read_bytes():
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            return time.time() - (boot_now - int(fields[19]) / tick)
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return None


LOG_TIME = re.compile(r"^\S*\[[A-Z] (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")


def listening_walls(log: Path, names: list[str]) -> dict[str, float]:
    """Per user: when their server logged "Jupyter Server … is running at" (the URL line names them)."""
    found: dict[str, float] = {}
    running = False
    for line in log.read_text(errors="replace").splitlines():
        got = LOG_TIME.match(line)
        if running and got:
            for name in names:
                if f"/user/{name}/" in line and name not in found:
                    found[name] = dt.datetime.strptime(got.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        running = "is running at" in line
    return found


def run_class(prefix: str, classroom: Path, students: int, arrival: float, label: str) -> dict:
    """Install (cached), add accounts, start, let the students in, measure; remove it all again."""
    tag = "wbb" + secrets.token_hex(3)
    base = Path(tempfile.mkdtemp(prefix=f"{tag}-", dir="/tmp"))
    base.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLASSROOM_")}
    env.update(
        CLASSROOM_PREFIX=prefix,
        CLASSROOM_ETC=str(base / "etc"),
        CLASSROOM_SRV=str(base / "srv"),
        CLASSROOM_EXCHANGE=str(base / "exchange"),
        CLASSROOM_STUDENTS=f"{tag}-students",
        CLASSROOM_INSTRUCTORS=f"{tag}-teachers",
        CLASSROOM_BIND_URL=f"http://127.0.0.1:{free_port()}",
        CLASSROOM_HUB_PORT=str(free_port()),
        CLASSROOM_PROXY_API_PORT=str(free_port()),
        CLASSROOM_AUTH="pam",
        CLASSROOM_IDLE_MINUTES="60",
    )
    os.environ["HUB_LOAD_CONTENT"] = str(base / "srv" / "content.git")
    names = [f"{tag}-s{i + 1}" for i in range(students)]
    passwords = {n: secrets.token_urlsafe(12) for n in names}
    started = time.monotonic()
    rows, failures = [], []
    hub_mb = idle_mb = 0.0
    available = mem_available_mb()
    load_before = os.getloadavg()
    import pwd

    try:
        say(f"[{label}] installing the classroom (cached venv in {prefix}) and creating accounts")
        subprocess.run(
            ["bash", str(classroom / "install.sh"), "--no-apt", "--no-start"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=900,
        )
        subprocess.run(
            ["bash", str(classroom / "add-user"), "--passwords"],
            env=env,
            check=True,
            text=True,
            input="".join(f"{n}:{passwords[n]}\n" for n in names),
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
        subprocess.run(
            ["bash", str(classroom / "start")], env=env, check=True, stdout=subprocess.DEVNULL, timeout=180
        )
        hub_pid = int((base / "srv" / "state" / "jupyterhub.pid").read_text())
        children = subprocess.run(
            ["pgrep", "-P", str(hub_pid)], capture_output=True, text=True
        ).stdout.split()
        first_cell = json.loads((ROOT / "notebooks" / "02_one_percent.ipynb").read_text())
        first_cell = next("".join(c["source"]) for c in first_cell["cells"] if c["cell_type"] == "code")
        how = "at once" if not arrival else f"arriving over {arrival:.0f} s"
        say(
            f"[{label}] {students} students {how}: log in, start a server, open notebook 02, run its first cell"
        )
        delays = [arrival * i / students for i in range(students)]
        with ThreadPoolExecutor(max_workers=students) as pool:
            futures = [
                pool.submit(student_run, env["CLASSROOM_BIND_URL"], n, passwords[n], first_cell, d)
                for n, d in zip(names, delays)
            ]
            for name, future in zip(names, futures):
                try:
                    rows.append(future.result())
                except Exception as error:  # noqa: BLE001 - a failed student is counted and named
                    failures.append(f"{name}: {str(error)[:200]}")
        walls = listening_walls(base / "srv" / "state" / "jupyterhub.log", names)
        for row in rows:
            proc = process_start_wall(pwd.getpwnam(row["name"]).pw_uid)
            listen = walls.get(row["name"])
            row["hub_to_process"] = (proc - row["spawn_wall"]) if proc else float("nan")
            row["process_to_listen"] = (listen - proc) if (proc and listen) else float("nan")
            row["listen_to_ready"] = (row["ready_wall"] - listen) if listen else float("nan")
        # Memory: each account's server (+ its kernel, still running), then again with kernels stopped.
        with_kernel = {n: pss_of_uid(pwd.getpwnam(n).pw_uid) for n in names}
        hub_mb = pss_of_pids(
            [hub_pid]
            + [int(p) for p in children if pwd.getpwuid(os.stat(f"/proc/{p}").st_uid).pw_name == "root"]
        )
        import requests

        for row in rows:
            user = row["user"]
            for kernel in user.get("/api/kernels").json():
                requests.delete(
                    f"{user.server}/api/kernels/{kernel['id']}",
                    timeout=60,
                    headers={"Authorization": f"token {user.token}"},
                )
        time.sleep(2)
        idle = [pss_of_uid(pwd.getpwnam(n).pw_uid) for n in names]
        idle_mb = statistics.median(idle) if idle else 0.0
        for row in rows:
            row["mb"] = with_kernel[row["name"]]
    finally:
        log = base / "srv" / "state" / "jupyterhub.log"
        if log.is_file():
            shutil.copy(log, Path(tempfile.gettempdir()) / f"hub_load-{label}-{students}.log")
        # --all: since issue 19 a plain stop keeps students' servers running (an older stop ignores it)
        subprocess.run(
            ["bash", str(classroom / "stop"), "--all"], env=env, stdout=subprocess.DEVNULL, timeout=180
        )
        subprocess.run(
            ["bash", str(classroom / "remove-user"), *names],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=600,
        )
        for group in (env["CLASSROOM_STUDENTS"], env["CLASSROOM_INSTRUCTORS"]):
            subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
    return {
        "label": label,
        "students": students,
        "arrival": arrival,
        "rows": rows,
        "failures": failures,
        "hub_mb": hub_mb,
        "idle_mb": idle_mb,
        "available": available,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "wall": time.monotonic() - started,
        # the last student in: from the first arrival to the last server running
        "all_running": max((r["ready_wall"] for r in rows), default=float("nan"))
        - min((r["wall0"] for r in rows), default=float("nan")),
    }


PHASES = [
    ("login (form POST)", "login"),
    ("hub → server process exists", "hub_to_process"),
    ("process → listening (imports, extensions)", "process_to_listen"),
    ("listening → hub says ready (poll, proxy)", "listen_to_ready"),
    ("**login → server running**", "ready"),
    ("nbgitpuller first pull", "pull"),
    ("kernel start (POST /api/kernels)", "kernel_start"),
    ("first cell (`from workbook import …`)", "cell"),
    ("**open notebook 02 → first cell done**", "first_cell"),
]


def _cell(values: list[float]) -> str:
    values = [v for v in values if v == v]
    if not values:
        return "–"
    return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f}"


def report(runs: list[dict], argv: list[str]) -> str:
    head = "| phase (s, p50 / p95) | " + " | ".join(_title(r) for r in runs) + " |"
    lines = [head, "|---|" + "---:|" * len(runs)]
    for title, key in PHASES:
        lines.append(
            f"| {title} | " + " | ".join(_cell([row[key] for row in r["rows"]]) for r in runs) + " |"
        )
    lines.append(
        "| last student's server running, from the first arrival (s) | "
        + " | ".join(f"{r['all_running']:.1f}" for r in runs)
        + " |"
    )
    lines.append("| failures | " + " | ".join(str(len(r["failures"])) for r in runs) + " |")
    lines.append(
        "| memory per student, server + kernel (MB PSS, p50) | "
        + " | ".join(_cell([row["mb"] for row in r["rows"]]).split(" / ")[0] for r in runs)
        + " |"
    )
    lines.append(
        "| load average (1 min) before → after | "
        + " | ".join(f"{r['load_before'][0]:.1f} → {r['load_after'][0]:.1f}" for r in runs)
        + " |"
    )
    failures = [f"- {r['label']}, {r['students']}: {f}" for r in runs for f in r["failures"]]
    last = runs[-1]
    per_user = statistics.median([row["mb"] for row in last["rows"]]) if last["rows"] else 0
    reserve = 2048
    capacity = int((last["available"] - reserve - last["hub_mb"]) / per_user) if per_user else 0
    return f"""{BEGIN}
## Classroom: JupyterHub under load (`benchmarks/hub_load.py`)

Written by `sudo .venv/bin/python benchmarks/hub_load.py {" ".join(argv)}` on
{dt.datetime.now().strftime("%Y-%m-%d %H:%M")} ({sum(r["wall"] for r in runs) / 60:.1f} minutes). Machine: {os.cpu_count()} cores,
{last["available"] / 1024:.1f} GB available, Python {platform.python_version()}; 1-minute load average
{runs[0]["load_before"][0]:.1f} before the first run (each run's own students load the machine: see the
table). Hub, proxy and servers on 127.0.0.1; real Linux accounts, PAM
logins; each server is JupyterHub's single-user JupyterLab with the workbook, run as the student.
"at once": every student starts at the same moment; "over 60 s": students arrive evenly spread over a
minute (a class walking in). "before" is the classroom of an older commit, installed under its own
prefix; "after" is this one. Targets (idle 2-core machine): one login → running ≤ 5 s, open
notebook 02 → first cell ≤ 5 s, 10 at once p95 ≤ 20 s, 30 in a minute all running within 90 s, 0 failures.

{chr(10).join(lines)}
{chr(10).join(failures)}

Hub + proxy + idle culler: {last["hub_mb"]:.0f} MB; a server with its kernel stopped: {last["idle_mb"]:.0f} MB.
**Capacity this implies** (memory; {reserve} MB kept for the system): about **{capacity} students with a
running kernel** at once on this machine. CPU is the tighter limit on 2 cores; beyond a seminar
group, Zero to JupyterHub with `classroom/z2jh/`.
{END}"""


def _title(run: dict) -> str:
    how = "at once" if not run["arrival"] else f"over {run['arrival']:.0f} s"
    return f"{run['label']}: {run['students']} {how}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--students", default="10", help=f"simulated students, or a list like 1,10,30 (each 1-{MAX_STUDENTS})"
    )
    parser.add_argument(
        "--arrival",
        type=float,
        default=None,
        help="seconds over which students arrive (default: 0 = at once; 60 for runs of 30 or more)",
    )
    parser.add_argument("--before", metavar="COMMIT", help="also run the classroom of this older commit")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(argv)
    counts = [int(n) for n in str(args.students).split(",")]
    if not all(1 <= n <= MAX_STUDENTS for n in counts):
        parser.error(f"--students must be 1-{MAX_STUDENTS} on this machine")
    if os.geteuid() != 0:
        parser.error("run as root: it creates Linux accounts")
    prefix = os.environ.get("WORKBOOK_HUB_PREFIX", "/opt/alliance-classroom-test")
    old = Path(tempfile.mkdtemp(prefix="hub-load-before-")) if args.before else None
    runs = []
    try:
        if old is not None:
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.before], check=True, capture_output=True
            )
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            if (
                CLASSROOM / "node_modules"
            ).is_dir():  # the proxy, as CI's `npm ci --prefix classroom` left it
                shutil.copytree(CLASSROOM / "node_modules", old / "classroom" / "node_modules", symlinks=True)
        for n in counts:
            arrival = args.arrival if args.arrival is not None else (60.0 if n >= 30 else 0.0)
            if old is not None:
                runs.append(run_class(f"{prefix}-before", old / "classroom", n, arrival, "before"))
            runs.append(run_class(prefix, CLASSROOM, n, arrival, "after"))
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    text = report(runs, sys.argv[1:] if argv is None else argv)
    print(text)
    if not args.no_write:
        old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        if BEGIN in old and END in old:
            old = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END) :]
        else:
            old = old.rstrip("\n") + "\n\n" + text + "\n"
        RESULTS.write_text(old)
        say(f"wrote {RESULTS}")
    return 0 if all(not r["failures"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
