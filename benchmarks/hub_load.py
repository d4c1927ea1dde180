#!/usr/bin/env python3
"""Load on the classroom's JupyterHub: N simulated students on this machine (root, loopback only).

    sudo .venv/bin/python benchmarks/hub_load.py                 # 10 students
    sudo .venv/bin/python benchmarks/hub_load.py --students 20   # at most 20

Installs the classroom into a scratch layout (the venv is cached in /opt/alliance-classroom-test, as
for tests/hub), creates N student accounts, starts the hub, then for every student at once:
log in → start their server (timed: login to running server), open notebook 02 (contents API) →
start a kernel → run the notebook's first cell (timed: open to first cell done).  Memory per user
is the proportional set size (PSS) of every process the account runs (its server and kernel).
Writes its section of benchmarks/RESULTS.md; stops everything and removes the accounts afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
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
MAX_STUDENTS = 20


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


def student_run(base_url: str, name: str, password: str, first_cell: str) -> dict:
    user = HubUser(base_url, name, password, timeout=300)
    t0 = time.monotonic()
    answer = user.login()
    if answer.status_code != 302:
        raise RuntimeError(f"{name}: login answered {answer.status_code}")
    user.make_token()
    user.start_server()
    user.wait_ready(timeout=300)
    ready = time.monotonic() - t0
    t1 = time.monotonic()
    user.git_pull(f"file://{os.environ['HUB_LOAD_CONTENT']}", "main", "alliance-workbook")
    pulled = time.monotonic() - t1
    t2 = time.monotonic()
    user.read_notebook("alliance-workbook/02_one_percent.ipynb")
    result = user.run([first_cell], timeout=300, keep_kernel=True)[0]
    first = time.monotonic() - t2
    if result["error"]:
        raise RuntimeError(f"{name}: first cell raised {result['error']}")
    return {"name": name, "ready": ready, "pull": pulled, "first_cell": first, "user": user}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, default=10, help=f"simulated students (1-{MAX_STUDENTS})")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= MAX_STUDENTS:
        parser.error(f"--students must be 1-{MAX_STUDENTS} on this machine")
    if os.geteuid() != 0:
        parser.error("run as root: it creates Linux accounts")
    prefix = os.environ.get("WORKBOOK_HUB_PREFIX", "/opt/alliance-classroom-test")
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
    names = [f"{tag}-s{i + 1}" for i in range(args.students)]
    passwords = {n: secrets.token_urlsafe(12) for n in names}
    started = time.monotonic()
    rows = []
    hub_mb = idle_mb = 0.0
    available = mem_available_mb()
    try:
        say("installing the classroom (cached venv) and creating accounts")
        subprocess.run(
            ["bash", str(CLASSROOM / "install.sh"), "--no-apt", "--no-start"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=900,
        )
        subprocess.run(
            ["bash", str(CLASSROOM / "add-user"), "--passwords"],
            env=env,
            check=True,
            text=True,
            input="".join(f"{n}:{passwords[n]}\n" for n in names),
            stdout=subprocess.DEVNULL,
            timeout=300,
        )
        subprocess.run(
            ["bash", str(CLASSROOM / "start")], env=env, check=True, stdout=subprocess.DEVNULL, timeout=180
        )
        hub_pid = int((base / "srv" / "state" / "jupyterhub.pid").read_text())
        children = subprocess.run(
            ["pgrep", "-P", str(hub_pid)], capture_output=True, text=True
        ).stdout.split()
        first_cell = json.loads((ROOT / "notebooks" / "02_one_percent.ipynb").read_text())
        first_cell = next("".join(c["source"]) for c in first_cell["cells"] if c["cell_type"] == "code")
        say(
            f"{args.students} students log in at once, start their servers, open notebook 02, run its first cell"
        )
        with ThreadPoolExecutor(max_workers=args.students) as pool:
            futures = [
                pool.submit(student_run, env["CLASSROOM_BIND_URL"], n, passwords[n], first_cell)
                for n in names
            ]
            rows = [f.result() for f in futures]
        # Memory: each account's server (+ its kernel, still running), then again with kernels stopped.
        import pwd

        with_kernel = [pss_of_uid(pwd.getpwnam(n).pw_uid) for n in names]
        hub_mb = pss_of_pids(
            [hub_pid]
            + [int(p) for p in children if pwd.getpwuid(os.stat(f"/proc/{p}").st_uid).pw_name == "root"]
        )
        for row in rows:
            user = row["user"]
            for kernel in user.get("/api/kernels").json():
                import requests

                requests.delete(
                    f"{user.server}/api/kernels/{kernel['id']}",
                    timeout=60,
                    headers={"Authorization": f"token {user.token}"},
                )
        time.sleep(2)
        idle = [pss_of_uid(pwd.getpwnam(n).pw_uid) for n in names]
        idle_mb = statistics.median(idle)
        for row, mb in zip(rows, with_kernel):
            row["mb"] = mb
    finally:
        subprocess.run(
            ["bash", str(CLASSROOM / "stop"), "--all"], env=env, stdout=subprocess.DEVNULL, timeout=180
        )
        subprocess.run(
            ["bash", str(CLASSROOM / "remove-user"), *names],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=300,
        )
        for group in (env["CLASSROOM_STUDENTS"], env["CLASSROOM_INSTRUCTORS"]):
            subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
    wall = time.monotonic() - started
    ready = [r["ready"] for r in rows]
    first = [r["first_cell"] for r in rows]
    pulls = [r["pull"] for r in rows]
    mb = [r["mb"] for r in rows]
    per_user = statistics.median(mb)
    reserve = 2048
    capacity = int((available - reserve - hub_mb) / per_user) if per_user else 0
    idle_capacity = int((available - reserve - hub_mb) / idle_mb) if idle_mb else 0
    load = os.getloadavg()
    report = f"""{BEGIN}
## Classroom: JupyterHub under load (`benchmarks/hub_load.py`)

Written by `sudo .venv/bin/python benchmarks/hub_load.py --students {args.students}` on
{dt.datetime.now().strftime("%Y-%m-%d %H:%M")} ({wall / 60:.1f} minutes). Machine: {os.cpu_count()} cores,
{available / 1024:.1f} GB available at the start, load average {load[0]:.1f} at the end, Python
{platform.python_version()}. Hub, proxy and {args.students} servers on 127.0.0.1; real Linux accounts, PAM
logins. All {args.students} students start **at the same moment** (the worst case: a class opening the
link together); each server is JupyterHub's single-user JupyterLab with the workbook, run as the student.

| what | p50 | p95 | max |
|---|---:|---:|---:|
| login → server running (s) | {percentile(ready, 50):.1f} | {percentile(ready, 95):.1f} | {max(ready):.1f} |
| nbgitpuller first pull of the material (s) | {percentile(pulls, 50):.1f} | {percentile(pulls, 95):.1f} | {max(pulls):.1f} |
| open notebook 02 → first cell done (kernel start + `import workbook …`) (s) | {percentile(first, 50):.1f} | {percentile(first, 95):.1f} | {max(first):.1f} |
| memory per student, server + kernel (MB, PSS) | {percentile(mb, 50):.0f} | {percentile(mb, 95):.0f} | {max(mb):.0f} |

Memory per student with the kernel shut down (server only): {idle_mb:.0f} MB (median). Hub + proxy +
idle culler: {hub_mb:.0f} MB.

**Capacity this implies** (memory; {reserve} MB kept for the system): about **{capacity} students with a
running kernel** at once on this machine ({available / 1024:.1f} GB), or {idle_capacity} with servers
open and kernels stopped. CPU is the tighter limit on 2 cores: the times above are for {args.students}
students starting together; a class larger than that should open the link in waves, or the machine
needs more cores (the one-machine classroom is sized for a seminar group; beyond that, Zero to
JupyterHub with `classroom/z2jh/`, whose memory request of 512M and limit of 1G follow from these figures).
{END}"""
    print(report)
    if not args.no_write:
        text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + report + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip("\n") + "\n\n" + report + "\n"
        RESULTS.write_text(text)
        say(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
