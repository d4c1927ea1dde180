"""Runs INSIDE the grading sandbox: one notebook's code cells in a fresh kernel, results on stdout.

Started by :mod:`workbook.course.sandbox` as ``python -I sandbox_runner.py``. Reads one JSON job
from stdin (kernel command, the code cells, time limits), then writes one JSON line per event:
``{"event": "kernel_started"}``, ``{"index": i, "execution_count": n, "outputs": [...]}`` after each
cell (so whatever ran survives if the student's code kills this process), ``{"event": ...}`` for a
timeout or a dead kernel, and ``{"event": "done"}``. Nothing it sends is trusted: the grader checks it.

The graders' test cells never reach the kernel: each is judged by :mod:`workbook.course.judge`, a
separate Python started here before the kernel, on the values of the names it reads, which the
kernel sends as typed JSON. So the student's code can neither change how a test judges (it can only
send values it could have computed) nor see a hidden test.

Only the standard library and pyzmq are used (it is run as a file, so that not even the workbook
package is imported; :class:`Client` speaks the few Jupyter messages it needs, where jupyter_client
cost more to import than the rest of the runner), and the kernel is started before pyzmq is
imported, so the kernel's start-up and this runner's overlap. When the job asks for ``profile``, it also sends
``{"event": "phase", "phase": ..., "at": time.monotonic()}`` and the CPU seconds it and the kernel used
(see :mod:`workbook.course.timeline`).
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import time
import typing

#: nbgrader's output for a cell stopped by the time limit (``Execute.error_on_timeout``).
TIMEOUT_ERROR = {
    "output_type": "error",
    "ename": "CellTimeoutError",
    "evalue": "",
    "traceback": ["\x1b[0;31mCellTimeoutError\x1b[0m: No reply from kernel before timeout"],
}


def _not_dumpable() -> None:
    """Keep the student's code (same uid) out of this process: no ptrace, no /proc/<pid>/fd or mem."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _judge_module():
    """:mod:`workbook.course.judge`, loaded from its file beside this one (no package import)."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "judge.py")
    spec = importlib.util.spec_from_file_location("_workbook_judge", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _error(ename: str, evalue: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


class Cell:
    """The outputs of one cell as they arrive, kept under ``limit`` characters in all."""

    def __init__(self, limit: int):
        self.outputs: list[dict] = []
        self.limit, self.size, self.cut = limit, 0, 0
        self.clear_pending = False
        self.execution_count = None

    def _room(self, wanted: int) -> int:
        return max(0, min(wanted, self.limit - self.size))

    def add(self, msg_type: str, content: dict) -> None:
        if self.clear_pending and msg_type in ("stream", "display_data", "execute_result", "error"):
            self.outputs, self.size, self.clear_pending = [], 0, False
        if msg_type == "stream":
            text = str(content.get("text", ""))
            room = self._room(len(text))
            self.cut += len(text) - room
            if not room:
                return
            text, name = text[:room], content.get("name", "stdout")
            self.size += len(text)
            last = self.outputs[-1] if self.outputs else None
            if last and last["output_type"] == "stream" and last["name"] == name:
                last["text"] += text
            else:
                self.outputs.append({"output_type": "stream", "name": name, "text": text})
        elif msg_type in ("display_data", "execute_result"):
            output = {
                "output_type": msg_type,
                "data": content.get("data", {}),
                "metadata": content.get("metadata", {}),
            }
            if msg_type == "execute_result":
                output["execution_count"] = content.get("execution_count")
            size = len(json.dumps(output))
            if size > self._room(size):
                self.cut += size
                return
            self.size += size
            self.outputs.append(output)
        elif msg_type == "error":
            traceback = [str(line)[:5000] for line in content.get("traceback", [])][:200]
            self.outputs.append(
                {
                    "output_type": "error",
                    "ename": str(content.get("ename", ""))[:200],
                    "evalue": str(content.get("evalue", ""))[:5000],
                    "traceback": traceback,
                }
            )
        elif msg_type == "clear_output":
            if content.get("wait"):
                self.clear_pending = True
            else:
                self.outputs, self.size = [], 0
        elif msg_type == "execute_input":
            self.execution_count = content.get("execution_count")

    def result(self, index: int) -> dict:
        if self.cut:
            self.outputs.append(
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": (
                        f"\n... output cut: this cell printed about {self.size + self.cut:,} characters; "
                        f"only the first {self.size:,} are kept ...\n"
                    ),
                }
            )
        return {"index": index, "execution_count": self.execution_count, "outputs": self.outputs}


class Client:
    """A Jupyter client for the shell and IOPub channels, with what the runner uses of
    jupyter_client's ``BlockingKernelClient``: ``kernel_info``, ``execute``, ``get_shell_msg`` and
    ``get_iopub_msg`` (which raise :class:`queue.Empty` on time-out). Messages are signed and checked
    with the connection file's key (HMAC-SHA256), as the Jupyter protocol (5.3) says.
    """

    DELIMITER = b"<IDS|MSG>"

    def __init__(self, info: dict):
        import zmq

        self.zmq = zmq
        self.key = info["key"].encode()
        self.session = secrets.token_hex(16)
        context = zmq.Context.instance()
        self.shell = context.socket(zmq.DEALER)
        self.iopub = context.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        for sock, port in ((self.shell, info["shell_port"]), (self.iopub, info["iopub_port"])):
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.RECONNECT_IVL, 20)  # the kernel binds soon after we connect
            sock.connect(f"tcp://{info['ip']}:{port}")

    def _sign(self, parts: list[bytes]) -> bytes:
        return hmac.new(self.key, b"".join(parts), hashlib.sha256).hexdigest().encode()

    def _send(self, msg_type: str, content: dict) -> str:
        msg_id = secrets.token_hex(16)
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": "grader",
            "session": self.session,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()),
            "version": "5.3",
        }
        parts = [json.dumps(part).encode() for part in (header, {}, {}, content)]
        self.shell.send_multipart([self.DELIMITER, self._sign(parts), *parts])
        return msg_id

    def kernel_info(self) -> str:
        return self._send("kernel_info_request", {})

    def execute(
        self,
        code: str,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict | None = None,
        allow_stdin: bool = False,
        stop_on_error: bool = True,
    ) -> str:
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": user_expressions or {},
            "allow_stdin": allow_stdin,
            "stop_on_error": stop_on_error,
        }
        return self._send("execute_request", content)

    def _receive(self, sock, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sock.poll(max(1, int(left * 1000))):
                raise queue.Empty
            frames = sock.recv_multipart()
            if self.DELIMITER not in frames:
                continue
            at = frames.index(self.DELIMITER)
            signature, parts = frames[at + 1], frames[at + 2 : at + 6]
            if len(parts) < 4 or not hmac.compare_digest(signature, self._sign(parts)):
                continue  # not signed with the kernel's key: not the kernel's
            try:
                header, parent, metadata, content = (json.loads(part) for part in parts)
            except ValueError:
                continue
            return {
                "header": header,
                "parent_header": parent,
                "metadata": metadata,
                "content": content,
                "msg_id": header.get("msg_id"),
                "msg_type": header.get("msg_type"),
            }

    def get_shell_msg(self, timeout: float) -> dict:
        return self._receive(self.shell, timeout)

    def get_iopub_msg(self, timeout: float) -> dict:
        return self._receive(self.iopub, timeout)


class Runner:
    def __init__(self, job: dict, emit):
        self.job, self.emit = job, emit
        self.started = time.monotonic()
        self.deadline = self.started + float(job["notebook_seconds"])
        self.kernel = None
        self.client = None
        self.judge = None  # the judge (B), started only when the notebook has test cells
        self.judge_module: typing.Any = None
        self.kernel_cpu = self.judge_cpu = 0.0

    def phase(self, name: str) -> None:
        """Report reaching a phase (only when profiling: timestamps for the grader's timeline)."""
        if self.job.get("profile"):
            self.emit({"event": "phase", "phase": name, "at": time.monotonic()})

    def start_kernel(self) -> None:
        ports = _free_ports(5)
        info = dict(
            zip(("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"), ports),
            ip="127.0.0.1",
            transport="tcp",
            signature_scheme="hmac-sha256",
            key=secrets.token_hex(16),
            kernel_name="",
        )
        folder = os.path.join(os.environ.get("TMPDIR", "/tmp"), "runner")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        path = os.path.join(folder, "kernel.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(info, f)
        argv = [arg.replace("{connection_file}", path) for arg in self.job["kernel_argv"]]
        self.kernel = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self.phase("kernel spawned")
        self.client = Client(info)  # imports pyzmq while the kernel starts
        self.phase("client connected")
        limit = time.monotonic() + float(self.job.get("startup_seconds", 60))
        while True:
            self.client.kernel_info()
            try:
                self.client.get_shell_msg(timeout=0.25)
                break
            except queue.Empty:
                if self.kernel.poll() is not None:
                    raise RuntimeError(
                        f"the kernel exited at start (code {self.kernel.returncode})"
                    ) from None
                if time.monotonic() > limit:
                    raise RuntimeError("the kernel did not start in time") from None
        self.phase("kernel replied")
        if self.judge is not None:
            self._load_encoder()
            self.phase("encoder loaded")
        while True:  # drain the start-up status messages
            try:
                self.client.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                break

    def _load_encoder(self) -> None:
        """Import :mod:`workbook.course.judge` in the kernel before the student's first cell, so that
        the values a test reads can be asked for even if the student's code breaks imports."""
        msg_id = self.client.execute("import workbook.course.judge", silent=True, store_history=False)
        limit = time.monotonic() + float(self.job.get("startup_seconds", 60))
        while time.monotonic() < limit:
            try:
                reply = self.client.get_shell_msg(timeout=0.5)
            except queue.Empty:
                if self.kernel.poll() is not None:
                    break
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                if reply.get("content", {}).get("status") == "ok":
                    return
                break
        raise RuntimeError(
            "the kernel could not import workbook.course.judge (is the workbook installed there?)"
        )

    def run_cell(self, index: int, source: str, test: bool = False) -> str | None:
        """Run one cell and emit its result; returns why the notebook must stop, or None.

        A graders' test cell never reaches the student's kernel (A): A only evaluates, as an IPython
        user expression, :func:`judge.encode_names` for the names the test reads, and the judge (B,
        see :mod:`workbook.course.judge`) runs the test on those values. The test cell's outputs are
        B's alone; its execution count is A's at that point.
        """
        cell = Cell(int(self.job["output_chars"]))
        if test:
            msg_id = self.client.execute(
                "",
                store_history=False,
                user_expressions={
                    "values": self.judge_module.gather_expression(self.judge_module.free_names(source))
                },
                allow_stdin=False,
                stop_on_error=False,
            )
        else:
            msg_id = self.client.execute(source, store_history=True, allow_stdin=False, stop_on_error=False)
        replied = False
        cell_deadline = min(time.monotonic() + float(self.job["cell_seconds"]), self.deadline)
        timed_out, stop, idle = False, None, False
        while not idle:
            now = time.monotonic()
            if now >= cell_deadline and not timed_out:
                timed_out = True
                whole = now >= self.deadline
                self.emit({"event": "timeout", "index": index, "notebook": whole})
                try:
                    os.kill(self.kernel.pid, signal.SIGINT)
                except OSError:
                    pass
                cell_deadline = now + float(self.job.get("interrupt_grace", 5))
                if whole:
                    stop = "the submission's time limit ran out"
            elif now >= cell_deadline:
                stop = stop or "the kernel did not stop after the time limit"
                break
            try:
                msg = self.client.get_iopub_msg(timeout=min(0.5, max(0.01, cell_deadline - now)))
            except queue.Empty:
                if self.kernel.poll() is not None:
                    cell.add(
                        "error",
                        {
                            "ename": "DeadKernelError",
                            "evalue": (
                                f"the kernel stopped (exit code {self.kernel.returncode}) while running this cell"
                            ),
                            "traceback": [
                                f"DeadKernelError: the kernel stopped (exit code "
                                f"{self.kernel.returncode}) while running this cell"
                            ],
                        },
                    )
                    self.emit({"event": "kernel_died", "index": index})
                    stop = "the kernel stopped"
                    break
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg.get("msg_type")
            if kind == "status":
                idle = msg["content"].get("execution_state") == "idle"
            elif not test or kind == "execute_input":  # a test cell's outputs are the judge's alone
                cell.add(kind, msg.get("content", {}))
        if idle and not timed_out:
            reply_deadline = time.monotonic() + 5
            while time.monotonic() < reply_deadline:
                try:
                    reply = self.client.get_shell_msg(timeout=0.5)
                except queue.Empty:
                    continue
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    content = reply.get("content", {})
                    replied = True
                    if cell.execution_count is None:
                        cell.execution_count = content.get("execution_count")
                    if test:
                        cell = self._judged(index, source, content, cell, cell_deadline)
                        break
                    if content.get("status") == "error" and not any(
                        o["output_type"] == "error" for o in cell.outputs
                    ):
                        cell.add("error", content)
                    break
        if timed_out:
            cell.outputs.append(dict(TIMEOUT_ERROR))
        elif test and not replied and not stop:
            cell.outputs = [
                _error("JudgeError", "the submission's kernel did not answer; this test was not run")
            ]
        self.emit(cell.result(index))
        return stop

    def _judged(self, index: int, source: str, reply: dict, asked: Cell, deadline: float) -> Cell:
        """The test cell as the judge ran it, on the values in A's ``reply`` (a Cell to emit)."""
        cell = Cell(int(self.job["output_chars"]))
        cell.execution_count = asked.execution_count
        got = (reply.get("user_expressions") or {}).get("values")
        got = got if isinstance(got, dict) else {}
        data = got.get("data") if isinstance(got.get("data"), dict) else {}
        text = str(data.get("text/plain", ""))
        values = None
        if (
            reply.get("status") == "ok"
            and got.get("status") == "ok"
            and len(text) <= 4 * self.judge_module.MAX_PAYLOAD
        ):
            try:
                values = ast.literal_eval(text)  # the repr of a str: parsed, never evaluated
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                values = None
        if not isinstance(values, str):
            why = f"({got.get('ename', '')}: {got.get('evalue', '')})" if got.get("ename") else ""
            cell.outputs.append(
                _error("JudgeError", f"the submission's values could not be read {why}".strip())
            )
            return cell
        try:
            if self.judge is None:
                raise self.judge_module.JudgeGone("the judge stopped after an earlier test")
            outputs = self.judge.judge(source, values, cell.limit, max(0.1, deadline - time.monotonic()))
        except self.judge_module.JudgeGone as gone:
            self.judge = None
            cell.outputs.append(_error("JudgeError", f"{gone}; this test was not run"))
            return cell
        if outputs is None:  # the test ran past the cell's time limit: the judge was stopped
            self.judge = None
            self.emit({"event": "timeout", "index": index, "notebook": False})
            cell.outputs.append(dict(TIMEOUT_ERROR))
            return cell
        for output in outputs[:500]:
            if isinstance(output, dict) and output.get("output_type") in ("stream", "error"):
                cell.add(str(output["output_type"]), output)
        return cell

    def run(self) -> None:
        """Start the kernel and run the cells (``done`` is sent by :func:`main`, after :meth:`close`)."""
        if any(cell.get("test") for cell in self.job["cells"]):
            # before the student's kernel exists, so that nothing of the student's can trace it
            self.judge_module = _judge_module()
            self.judge = self.judge_module.Judge(sys.executable, float(self.job.get("startup_seconds", 60)))
            self.phase("judge ready")
        self.start_kernel()
        self.emit({"event": "kernel_started", "seconds": round(time.monotonic() - self.started, 3)})
        for cell in self.job["cells"]:
            stop = self.run_cell(int(cell["index"]), cell["source"], bool(cell.get("test")))
            if stop:
                self.emit({"event": "stopped", "reason": stop})
                break
        self.phase("cells run")

    def close(self) -> None:
        """Kill the kernel and the judge and reap them (so that their CPU time is counted, no zombie left)."""
        try:
            self._close_kernel()
        finally:
            if self.judge is not None:
                self.judge_cpu = self.judge.close()

    def _close_kernel(self) -> None:
        if self.kernel is None:
            return
        if self.kernel.poll() is None:
            self.kernel.kill()
        try:
            _pid, _status, usage = os.wait4(self.kernel.pid, 0)
            self.kernel_cpu = usage.ru_utime + usage.ru_stime
        except ChildProcessError:  # already reaped by poll(): its CPU is in RUSAGE_CHILDREN
            import resource

            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            self.kernel_cpu = usage.ru_utime + usage.ru_stime


def main() -> int:
    job = json.loads(sys.stdin.buffer.read())
    _not_dumpable()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything else printed goes to stderr, never into the results

    def emit(record: dict) -> None:
        out.write(json.dumps(record) + "\n")
        out.flush()

    runner = Runner(job, emit)
    runner.phase("runner started")
    code = 0
    try:
        runner.run()
    except Exception as problem:  # reported to the grader, which decides what it means
        emit({"event": "failed", "reason": f"{type(problem).__name__}: {problem}"[:2000]})
        code = 1
    finally:
        runner.close()
    if code == 0:
        if job.get("profile"):
            import resource

            mine = resource.getrusage(resource.RUSAGE_SELF)
            emit(
                {
                    "event": "cpu",
                    "runner": mine.ru_utime + mine.ru_stime,
                    "kernel": runner.kernel_cpu,
                    "judge": runner.judge_cpu,
                }
            )
        emit({"event": "done"})
    out.close()
    return code


if __name__ == "__main__":
    # No interpreter teardown (sockets lingering on the dead kernel, threads, atexit handlers): the
    # grader waits for this process to end, and everything was sent and flushed already.
    os._exit(main())
