"""A class's load on this machine: simulated students, each running the workbook's notebooks in a loop.

Each student is one process (in a session of its own) that runs every notebook of notebooks/ in
turn with nbclient, over and over, in its own temporary copy of the folder, with its own progress
record and Jupyter runtime folder; its kernels listen on 127.0.0.1 only.  :class:`ClassLoad`
starts them before a measurement and stops them after, always (on an error too, and at
interpreter exit if nothing else did), and says how many notebooks they ran meanwhile::

    with ClassLoad(10) as load:
        load.wait_busy()
        ...  # measure
    print(load.summary())

Alone, it starts a class, lets it work, stops it and reports (a check that the load is real)::

    .venv/bin/python benchmarks/class_load.py --students 2 --seconds 60
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
#: A cell that runs longer than this under load is given up (the student moves on).
CELL_TIMEOUT = 300
#: The file :meth:`ClassLoad.stop` leaves in a student's folder just before stopping it.
STOP = "stop"


class ClassLoad:
    """``students`` processes running the notebooks in a loop while the ``with`` block runs."""

    def __init__(self, students: int, notebooks: Path = NOTEBOOKS, python: str = sys.executable):
        self.students = students
        self.notebooks = notebooks
        self.python = python
        self.base: Path | None = None
        self.processes: list[subprocess.Popen] = []
        self.started = self.stopped = 0.0
        self.load_average: list[float] = []
        self._logs: list = []
        self._runs: list[dict] = []

    def __enter__(self) -> ClassLoad:
        self.base = Path(tempfile.mkdtemp(prefix="wb-class-"))
        atexit.register(self.stop)
        try:
            for number in range(1, self.students + 1):
                folder = self.base / f"student{number:02d}"
                shutil.copytree(self.notebooks, folder / "notebooks")
                (folder / "runtime").mkdir()
                env = dict(
                    os.environ,
                    JUPYTER_RUNTIME_DIR=str(folder / "runtime"),
                    WORKBOOK_PROGRESS=str(folder / "progress.json"),  # never the user's own record
                    PYTHONDONTWRITEBYTECODE="1",
                )
                self.processes.append(
                    subprocess.Popen(
                        [self.python, str(Path(__file__).resolve()), "--student", str(folder)],
                        cwd=folder,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=self._log(folder / "student.log"),
                        start_new_session=True,
                    )
                )
        except BaseException:
            self.stop()
            raise
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _log(self, path: Path):
        handle = path.open("wb")
        self._logs.append(handle)
        return handle

    def wait_busy(self, timeout: float = 180.0) -> float:
        """Wait until every student has a kernel running (or ``timeout`` s); the seconds it took."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            dead = [p.args[-1] for p in self.processes if p.poll() is not None]
            if dead:
                raise RuntimeError(f"student process(es) ended: {dead}; see their student.log")
            folders = [Path(p.args[-1]) for p in self.processes]
            if all(any((f / "runtime").glob("kernel-*.json")) for f in folders):
                break
            time.sleep(1)
        self.load_average.append(os.getloadavg()[0])
        return time.monotonic() - start

    def sample(self) -> None:
        """Note the 1-minute load average now (call it while measuring)."""
        self.load_average.append(os.getloadavg()[0])

    def ran(self) -> list[dict]:
        """Every notebook run the students finished: {"student", "notebook", "seconds", "error"}."""
        if self.base is None:
            return self._runs  # stopped: what was read before the folders went
        runs = []
        for folder in sorted(self.base.glob("student*")):
            log = folder / "ran.jsonl"
            if log.exists():
                runs += [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
        return runs

    def summary(self) -> str:
        runs = self.ran()
        minutes = ((self.stopped or time.monotonic()) - self.started) / 60 if self.started else 0
        failed = [f"{r['notebook']}: {r['error']}" for r in runs if r.get("error")]
        load = (
            f"; load average {min(self.load_average):.1f}-{max(self.load_average):.1f}"
            if self.load_average
            else ""
        )
        return (
            f"{self.students} simulated students ran {len(runs)} notebooks in {minutes:.1f} min "
            f"({len(failed)} stopped by an error or a timeout{', e.g. ' + failed[0] if failed else ''}){load}"
        )

    def _leftovers(self) -> list[int]:
        """Processes (students' kernels included: they run in sessions of their own) holding our folder."""
        if self.base is None:
            return []
        marker = str(self.base).encode()
        pids = []
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline and int(entry.name) != os.getpid():
                pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        """Stop every student and every kernel they started; remove their folders.  Safe to call twice."""
        if self.base is None:
            return
        for process in self.processes:  # a run cut short by the stop is not an error of the class
            (Path(process.args[-1]) / STOP).touch()
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)
        for _ in range(3):  # kernels a student left behind (their own sessions)
            leftovers = self._leftovers()
            if not leftovers:
                break
            for pid in leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
        self.stopped = self.stopped or time.monotonic()
        self._runs = self.ran()
        for handle in self._logs:
            handle.close()
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None


# --------------------------------------------------------------------------- one student


def student(folder: Path) -> None:
    """Run every notebook in ``folder/notebooks`` in turn, forever (until stopped), noting each run."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    signal.signal(signal.SIGTERM, _quit)  # SystemExit: the kernel is shut down on the way out
    paths = sorted((folder / "notebooks").glob("*.ipynb"))
    log = folder / "ran.jsonl"
    while True:
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            km = KernelManager(kernel_name="python3", ip="127.0.0.1")  # nothing listens beyond this machine
            # in the student's folder, so the kernel's command line names it (found and stopped by it)
            km.connection_file = str(folder / "runtime" / f"kernel-{uuid.uuid4()}.json")
            client = NotebookClient(
                nb,
                km=km,
                timeout=CELL_TIMEOUT,
                allow_errors=True,
                resources={"metadata": {"path": str(path.parent)}},
            )
            start, error = time.monotonic(), None
            try:
                client.execute()
            except Exception as exc:  # noqa: BLE001 - a timeout or a dead kernel: note it, go on
                where = traceback.extract_tb(exc.__traceback__)[-1]
                error = f"{type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"[:300]
            finally:
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
            if (folder / STOP).exists():
                return  # stopped mid-run (nbclient turns the signal into an error of its own)
            entry = {
                "student": folder.name,
                "notebook": path.stem,
                "seconds": round(time.monotonic() - start, 1),
            }
            with log.open("a", encoding="utf-8") as out:
                out.write(json.dumps({**entry, "error": error}) + "\n")


def _quit(*_) -> None:
    raise SystemExit(0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60, help="how long to let the class work")
    parser.add_argument("--student", help=argparse.SUPPRESS)  # one student's process (internal)
    args = parser.parse_args(argv)
    if args.student:
        student(Path(args.student))
        return 0
    with ClassLoad(args.students) as load:
        print(f"class busy after {load.wait_busy():.0f} s", flush=True)
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            time.sleep(min(10, max(end - time.monotonic(), 0)))
            load.sample()
    print(load.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
