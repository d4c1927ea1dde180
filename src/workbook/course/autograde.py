"""nbgrader's autograde with every submission run in the sandbox, many at a time.

- :class:`SandboxedExecute` replaces nbgrader's ``Execute`` preprocessor: the sanitized notebook's
  code runs in :mod:`workbook.course.sandbox`, and only its checked outputs come back. nbgrader's own
  ``Execute`` runs only when the instructor declares the submissions trusted.
- :class:`ParallelAutograde` is nbgrader's ``Autograde`` converter in two passes: sanitizing each
  submission (reading the gradebook) hands its notebook to a pool of sandboxes at once; then, in
  the same order, the trusted process writes each result (scores, autograded copy) serially, so
  sqlite has one writer and the result is the same as a serial run.
- ``python -m workbook.course.autograde ASSIGNMENT [nbgrader options]`` runs it in a course folder; this is
  what ``workbook grade`` calls. What it repaired, graded and could not grade, per student, goes to
  the course's grading journal (:mod:`workbook.course.journal`).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import signal
import stat
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.apps.autogradeapp import AutogradeApp
from nbgrader.apps.baseapp import NbGrader
from nbgrader.converters.autograde import Autograde
from nbgrader.converters.base import NbGraderException
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer

from . import journal, sandbox, timeline
from .grading import handed_out, student_repairs

#: Results on their way, by autograded notebook path (nbconvert deep-copies resources: no Futures there).
_PENDING: dict[str, Future] = {}

#: Whether the limits were logged already (once per process).
_CAPS_SAID: list[bool] = []

#: nbgrader's message for a cell stopped by the time limit; `workbook grade` prints it per student.
TIMEOUT_NOTE = "a cell ran past the time limit and was stopped (scored on what ran)"


def _digest(cells: list[dict]) -> str:
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def _code_cells(nb) -> list[dict]:
    """The code cells to run; the graders' test cells flagged (the sandbox's judge runs them)."""
    return [
        {
            "index": i,
            "source": cell.source,
            "test": bool(utils.is_grade(cell) and not utils.is_solution(cell)),
        }
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
    ]


def cores() -> int:
    """CPU cores this process may use (the default number of workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class SandboxedExecute(Execute):
    """nbgrader's ``Execute``, with the code run in the grading sandbox (see workbook.course.sandbox).

    ``Execute.timeout`` (seconds per cell) still applies; the other limits are set here. With
    ``trusted_submissions`` it is nbgrader's plain ``Execute``: the code runs with your rights.
    """

    trusted_submissions = Bool(
        False,
        help="Run students' code unsandboxed, with the grader's rights (only for submissions you trust)",
    ).tag(config=True)
    # defaults: sandbox.Limits, where every limit is defined once
    notebook_seconds = Float(
        sandbox.Limits.notebook_seconds, help="Wall-clock seconds for a whole submission"
    ).tag(config=True)
    cpu_seconds = Integer(sandbox.Limits.cpu_seconds, help="CPU seconds per process").tag(config=True)
    memory_mb = Integer(sandbox.Limits.memory_mb, help="Memory of the submission, MB").tag(config=True)
    processes = Integer(sandbox.Limits.processes, help="Processes and threads per submission").tag(
        config=True
    )
    total_memory_mb = Integer(
        sandbox.Limits.total_memory_mb, help="Memory of all a submission's processes together, MB (as root)"
    ).tag(config=True)
    cores = Float(
        sandbox.Limits.cores, help="CPU cores all a submission's processes together may use (as root)"
    ).tag(config=True)
    disk_mb = Integer(sandbox.Limits.disk_mb, help="Disk (tmpfs) for the working folder and /tmp, MB").tag(
        config=True
    )
    output_chars = Integer(sandbox.Limits.output_chars, help="Output characters kept per cell").tag(
        config=True
    )

    def limits(self) -> sandbox.Limits:
        return sandbox.Limits(
            cell_seconds=float(self.timeout or 60),
            notebook_seconds=self.notebook_seconds,
            cpu_seconds=self.cpu_seconds,
            memory_mb=self.memory_mb,
            processes=self.processes,
            total_memory_mb=self.total_memory_mb,
            cores=self.cores,
            disk_mb=self.disk_mb,
            output_chars=self.output_chars,
        )

    def kernel_argv(self, nb) -> list[str]:
        """The kernel command, from the notebook's kernelspec (set from the source by nbgrader)."""
        from jupyter_client.kernelspec import KernelSpecManager

        name = nb.metadata.get("kernelspec", {}).get("name") or "python3"
        spec = KernelSpecManager().get_kernel_spec(name)
        argv = list(spec.argv)
        if spec.language.lower() == "python":
            argv.append("--HistoryManager.hist_file=:memory:")
        if argv and argv[0] in ("python", "python3"):
            argv[0] = sys.executable
        return argv

    def run_in_sandbox(self, nb, folder: str | None, slot: int = 0) -> tuple[str, sandbox.Outcome]:
        cells = _code_cells(nb)
        outcome = sandbox.run(
            cells,
            self.kernel_argv(nb),
            self.limits(),
            slot=slot,
            folder=None if folder is None else Path(folder),
        )
        return _digest(cells), outcome

    def preprocess(self, nb, resources):
        if self.trusted_submissions:
            return super().preprocess(nb, resources)
        sandbox.check()
        if not _CAPS_SAID:  # plain `nbgrader autograde` says it too (`workbook grade` says it on screen)
            _CAPS_SAID.append(True)
            self.log.info(sandbox.caps(self.limits()))
        mine = resources.setdefault("workbook", {})
        key = str(mine.get("pending", ""))
        if key:  # run by ParallelAutograde's pool: its result is used, the code never runs twice
            pending = _PENDING.pop(key, None)
            result = pending.result() if pending is not None else None
            timeline.mark(resources.get("nbgrader", {}).get("student", "?"), "save: sandbox done")
            if result is None:
                raise RuntimeError("grading was stopped before this submission ran")
            if result[0] != _digest(_code_cells(nb)):
                raise RuntimeError("the notebook changed between sanitizing and running it")
        else:  # plain `nbgrader autograde`: one submission at a time, here
            folder = resources.get("metadata", {}).get("path")
            result = self.run_in_sandbox(nb, folder)
        outcome = result[1]
        if not outcome.started:
            raise RuntimeError(
                "the sandbox did not start the kernel: "
                + ("; ".join(outcome.problems) or outcome.stderr or "no message")
            )
        notes = mine.setdefault("notes", [])
        if any(e["event"] == "timeout" for e in outcome.events):
            notes.append(TIMEOUT_NOTE)
        notes.extend(outcome.problems)
        if any(
            "output cut" in o.get("text", "")
            for c in outcome.cells.values()
            for o in c["outputs"]
            if o["output_type"] == "stream"
        ):
            notes.append(f"printed more than {self.output_chars:,} characters in a cell: cut, with a note")
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            got = outcome.cells.get(index)
            if got is None:
                cell.outputs = [
                    nbformat.v4.new_output(
                        "error",
                        ename="NotRun",
                        evalue="this cell was not run (the submission was stopped before it)",
                        traceback=["NotRun: this cell was not run (the submission was stopped before it)"],
                    )
                ]
                cell.execution_count = None
                continue
            cell.outputs = [nbformat.from_dict(o) for o in got["outputs"]]
            cell.execution_count = got["execution_count"]
        return nb, resources


class Progress:
    """``12/40 submissions run, 0:35 elapsed, about 1:20 left`` on stderr (redrawn on a terminal).

    ``bar`` False: a stage beside the bar (sanitized, saved), shown only where no bar is drawn
    (a log, CI): on a terminal its lines would break the bar's.
    """

    def __init__(self, total: int, label: str, stream=None, noun: str = "run", bar: bool = True):
        self.total, self.label, self.done = total, label, 0
        self.noun, self.bar = noun, bar
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.last_line = 0.0

    @staticmethod
    def _clock(seconds: float) -> str:
        seconds = int(round(seconds))
        return f"{seconds // 60}:{seconds % 60:02d}"

    def step(self) -> None:
        try:
            self._step()
        except OSError:  # the terminal went away (SIGHUP): grading itself goes on, or stops cleanly
            pass

    def _step(self) -> None:
        with self.lock:
            self.done += 1
            elapsed = time.monotonic() - self.started
            left = elapsed / self.done * (self.total - self.done)
            text = (
                f"{self.label}: {self.done}/{self.total} submissions {self.noun}, "
                f"{self._clock(elapsed)} elapsed, about {self._clock(left)} left"
            )
            if self.tty and not self.bar:
                return
            if self.tty:
                width = 24
                filled = int(width * self.done / max(1, self.total))
                self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}  ")
                if self.done == self.total:
                    self.stream.write("\n")
            elif self.done == self.total or self.total <= 50 or time.monotonic() - self.last_line > 10:
                self.stream.write(text + "\n")
                self.last_line = time.monotonic()
            self.stream.flush()


class ParallelAutograde(Autograde):
    """nbgrader's ``Autograde``: sanitize all, execute in parallel sandboxes, save serially.

    Every submission is recorded in the course's grading journal (:mod:`workbook.course.journal`)
    as started, then finished (notebook and scores saved) or failed (with the reason); one not
    recorded as finished is graded again by the next run, so an interrupted run resumes exactly.
    SIGINT, SIGTERM and SIGHUP stop it cleanly: no new submission starts, running sandboxes are
    killed, and what was finished stays finished.
    """

    workers = Integer(0, help="Submissions run at once (0: one per CPU core)").tag(config=True)

    def start(self) -> None:
        self._executor = SandboxedExecute(parent=self)
        self._parallel = not self._executor.trusted_submissions and any(
            (getattr(p, "__name__", None) or str(p).rsplit(".", 1)[-1]) == "SandboxedExecute"
            for p in self.autograde_preprocessors
        )
        if not self._executor.trusted_submissions:
            problem = sandbox.problem(kernel=False)
            if problem:
                self.log.error(problem)
                raise NbGraderException(problem)
            db = self.coursedir.db_url.replace("sqlite:///", "", 1)
            try:
                sandbox.Sandbox().refuse_if_exposed(self.coursedir.root, db)
            except sandbox.Unavailable as error:
                self.log.error(str(error))
                raise NbGraderException(str(error)) from None
        self._lock = journal.wait_for_lock(Path(self.coursedir.root))  # a stopping predecessor
        self._journal = journal.Journal(Path(self.coursedir.root), self.coursedir.assignment_id)
        self._deferred: list[tuple[str, str, str, Future]] = []
        self._attempted: list[tuple[str, str]] = []
        self._notes: dict[str, list[str]] = {}
        self.stopped: str | None = None
        workers = self.workers or cores()
        self._slots: queue.Queue = queue.Queue()
        for slot in range(workers):
            self._slots.put(slot)
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self._progress: Progress | None = None
        self._sanitized: Progress | None = None
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                previous[signum] = signal.signal(signum, self._stop)
        try:
            super().start()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._lock.close()

    def _stop(self, signum, _frame) -> None:
        """Stop cleanly: nothing new starts, running sandboxes are killed, finished work is kept."""
        if self.stopped is None:
            self.stopped = signal.Signals(signum).name
            self.log.warning("Stopping (%s): finishing nothing new", self.stopped)
        sandbox.stop_all()

    # ------------------------------------------------------------------ pass 1: sanitize, submit

    def init_destination(self, assignment_id: str, student_id: str) -> bool:
        if self.stopped:
            return False
        dest = os.path.normpath(self._format_dest(assignment_id, student_id))
        if os.path.exists(dest) and self._journal.state(student_id) != journal.FINISHED:
            # left by an interrupted run (or graded outside the journal): grade it again
            self.log.warning("Grading again %s: not recorded as finished", dest)
            utils.rmtree(dest)
        process = super().init_destination(assignment_id, student_id)
        if process:
            self._attempted.append((assignment_id, student_id))
            self._notes[student_id] = []
            self._journal.mark(student_id, journal.STARTED)
        else:  # already graded: not run this time
            for progress in (self._progress, self._sanitized):
                if progress is not None:
                    progress.total -= len(self.notebooks)
        return process

    def convert_single_notebook(self, notebook_filename: str) -> None:
        student = self._attempted[-1][1]
        try:
            if not self._parallel:
                return super().convert_single_notebook(notebook_filename)
            self._sanitize_and_submit(notebook_filename)
        except Exception as error:
            self._journal.mark(student, journal.FAILED, f"{type(error).__name__}: {error}"[:500])
            raise

    def _sanitize_and_submit(self, notebook_filename: str) -> None:
        self.log.info("Sanitizing %s", notebook_filename)
        timeline.mark(self._attempted[-1][1], "sanitizing")
        self._sanitizing = True
        self._init_preprocessors()
        resources = self.init_single_notebook_resources(notebook_filename)
        output, resources = self.exporter.from_filename(notebook_filename, resources=resources)
        self.write_single_notebook(output, resources)
        ids = resources["nbgrader"]
        dest = os.path.join(self.writer.build_directory, os.path.basename(notebook_filename))
        handed = handed_out(self.coursedir.root, ids["assignment"]).get(ids["notebook"], {})
        self._notes.setdefault(ids["student"], []).extend(
            student_repairs(resources.get("workbook", {}).get("repairs", []), handed)
        )
        nb = nbformat.reads(output, as_version=4)
        timeline.mark(ids["student"], "sanitized")
        future = self._pool.submit(self._run_one, nb, self.writer.build_directory, ids["student"])
        future.add_done_callback(lambda _f: self._progress.step())
        if self._sanitized is not None:
            self._sanitized.step()
        self._deferred.append((ids["assignment"], ids["student"], dest, future))

    def set_permissions(self, assignment_id: str, student_id: str) -> None:
        super().set_permissions(assignment_id, student_id)
        if not self._parallel and not self.stopped:  # nbgrader's serial run: this student is done
            self._journal.mark(student_id, journal.FINISHED, notes=self._notes.get(student_id))

    def _run_one(self, nb, folder: str, student: str):
        if self.stopped:
            return None
        slot = self._slots.get()
        try:
            timeline.mark(student, "sandbox starting")
            result = self._executor.run_in_sandbox(nb, folder, slot)
            timeline.mark(student, "sandbox ended")
            for phase, at in result[1].phases:
                timeline.mark(student, f"  {phase}", at)
            for kind, seconds in result[1].cpu.items():
                timeline.add_cpu(kind, seconds)
            return result
        finally:
            self._slots.put(slot)

    # -------------------------------------------------------------------- pass 2: save, in order

    def convert_notebooks(self) -> None:
        total = sum(len(found) for found in self.assignments.values())
        self._progress = Progress(total, self.coursedir.assignment_id)
        self._sanitized = Progress(total, self.coursedir.assignment_id, noun="sanitized", bar=False)
        failed_before = None
        timeline.mark("run", "pass 1 (sanitize, submit)")
        try:
            super().convert_notebooks()
        except NbGraderException as error:
            failed_before = error
        timeline.mark("run", "pass 2 (save)")
        failures = self._finish_all() if self._parallel else 0
        timeline.mark("run", "saved all")
        for _assignment_id, student_id in self._attempted:
            if self._journal.state(student_id) == journal.STARTED and not self.stopped:
                self._journal.mark(student_id, journal.FAILED, "could not be graded (see the log)")
                failures += 1
        if not self.stopped and (failed_before is not None or failures):
            raise failed_before or NbGraderException("some submissions could not be graded")

    def _finish_all(self) -> int:
        failures = 0
        saved = Progress(len(self._deferred), self.coursedir.assignment_id, noun="saved", bar=False)
        for assignment_id, student_id, dest, future in self._deferred:
            if not os.path.exists(dest):  # its student failed in pass 1 and was cleaned up
                future.cancel()
                continue
            if self.stopped:  # left as "started": the next run grades it
                future.cancel()
                utils.rmtree(os.path.dirname(dest))
                continue
            try:
                timeline.mark(student_id, "save: waits for the sandbox")
                self._sanitizing = False
                self._init_preprocessors()
                os.chmod(dest, os.stat(dest).st_mode | stat.S_IWUSR)
                self.log.info("Autograding %s", dest)
                with utils.setenv(NBGRADER_EXECUTION="autograde"):
                    resources = self.init_single_notebook_resources(dest)
                    resources["workbook"] = {"pending": dest}
                    _PENDING[dest] = future
                    output, resources = self.exporter.from_filename(dest, resources=resources)
                    if self.stopped:
                        raise _Stopped()
                    self.write_single_notebook(output, resources)
                self._notes.setdefault(student_id, []).extend(resources["workbook"].get("notes", []))
                self.set_permissions(assignment_id, student_id)
                self._journal.mark(student_id, journal.FINISHED, notes=self._notes.get(student_id))
                timeline.mark(student_id, "save: saved")
                saved.step()
            except Exception as error:  # one student's failure never stops the class
                folder = os.path.dirname(dest)  # as nbgrader does: nothing half-graded stays
                if self.coursedir.notebook_id == "*":
                    utils.rmtree(folder)
                elif os.path.exists(dest):
                    os.remove(dest)
                if self.stopped:
                    continue  # not a failure of the submission: left as "started"
                failures += 1
                reason = f"{type(error).__name__}: {error}"
                self.log.error("There was an error processing assignment: %s", dest)
                self.log.error(
                    "There was an error processing assignment '%s' for student '%s': %s",
                    assignment_id,
                    student_id,
                    reason,
                )
                self._journal.mark(student_id, journal.FAILED, reason[:500], self._notes.get(student_id))
            finally:
                self._sanitizing = True
        return failures


class _Stopped(Exception):
    """Grading was stopped while this submission's results were being saved."""


class WorkbookAutogradeApp(AutogradeApp):
    """``nbgrader autograde`` with :class:`ParallelAutograde`; exits 128+N when stopped by signal N."""

    name = "workbook-autograde"

    def start(self) -> None:
        NbGrader.start(self)
        if len(self.extra_args) != 1:
            self.fail("Give exactly one assignment, e.g. ex02_one_percent")
        self.coursedir.assignment_id = self.extra_args[0]
        converter = ParallelAutograde(coursedir=self.coursedir, parent=self)
        try:
            converter.start()
        except NbGraderException:
            if not converter.stopped:
                sys.exit(1)
        if converter.stopped:
            sys.exit(128 + signal.Signals[converter.stopped].value)


def main(argv: list[str] | None = None) -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")  # SQLAlchemy's and IPython's noise, not the instructor's business
    timeline.mark("run", "imported")
    app = WorkbookAutogradeApp.instance()
    app.initialize(argv)
    for handler in app.log.handlers:  # nbgrader's log on stdout; progress alone on stderr
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stdout)
    try:
        app.start()
    finally:
        timeline.report()


if __name__ == "__main__":
    # Run the importable module's main, not this __main__ copy: nbgrader loads SandboxedExecute from
    # `workbook.course.autograde`, and both must share one _PENDING (else each submission ran twice).
    from workbook.course.autograde import main as _main

    _main()
