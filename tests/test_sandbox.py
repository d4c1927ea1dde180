"""The grading sandbox itself (workbook.course.sandbox), probed from inside by real code in a real kernel.

One sandbox run tries everything a hostile submission might (read secrets, write the package, open
sockets, make a user namespace); a second shows that killing the grader's runner keeps what ran.
Skipped where bubblewrap cannot run (the grader then refuses: see test_cli).
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from pathlib import Path

import pytest

import workbook
from workbook.course import sandbox

pytestmark = pytest.mark.grading

if sandbox.problem():
    pytest.skip(f"the sandbox cannot run here: {sandbox.problem()}", allow_module_level=True)

KERNEL = [
    sys.executable,
    "-m",
    "ipykernel_launcher",
    "-f",
    "{connection_file}",
    "--HistoryManager.hist_file=:memory:",
]
LIMITS = sandbox.Limits(cell_seconds=20, notebook_seconds=90, memory_mb=1536, processes=64)


class LoopbackServer:
    """A TCP server on the host's 127.0.0.1 that records every connection it gets."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def probe(name: str, code: str) -> str:
    """A cell printing ``name: blocked (why)`` when ``code`` raises, ``name: DONE result`` if not."""
    body = "\n".join("    " + line for line in code.strip().splitlines())
    return (
        f"try:\n{body}\n    print({name!r} + ': DONE', repr(result)[:200])\n"
        f"except BaseException as error:\n    print({name!r} + ': blocked', type(error).__name__)"
    )


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    secret_dir = tmp_path_factory.mktemp("course")
    (secret_dir / "gradebook.db").write_text("the grades")
    package = Path(workbook.__file__).parent
    server = LoopbackServer()
    probes = {
        "whoami": "result = os.getuid()\nassert result != 0, 'runs as root'",
        "shadow": "result = open('/etc/shadow').read()",
        "course": f"result = open({str(secret_dir / 'gradebook.db')!r}).read()",
        "home": f"result = [p for p in os.listdir({str(Path.home())!r}) if p != '.pyenv']\n"
        "assert result, 'nothing of the home folder is visible'",
        "package": f"result = open({str(package / 'pwned.py')!r}, 'w').write('x')",
        "venv": f"result = open({str(Path(sys.prefix) / 'pwned.txt')!r}, 'w').write('x')",
        "loopback": f"s = socket.create_connection(('127.0.0.1', {server.port}), timeout=3)\nresult = s",
        "internet": "s = socket.create_connection(('1.1.1.1', 53), timeout=3)\nresult = s",
        "dns": "result = socket.getaddrinfo('pypi.org', 443)",
        "userns": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "assert libc.unshare(0x10000000) == 0, 'unshare failed'\nresult = 'a new user namespace'",
        "processes": "result = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
        "assert len(result) > 20, 'only the sandbox is visible'",
    }
    cells = [{"index": 0, "source": "import os, socket"}]
    cells += [{"index": i + 1, "source": probe(name, code)} for i, (name, code) in enumerate(probes.items())]
    try:
        outcome = sandbox.run(cells, KERNEL, LIMITS, slot=7)
    finally:
        server.close()
    lines = {}
    for cell in outcome.cells.values():
        for output in cell["outputs"]:
            for line in output.get("text", "").splitlines():
                if ": " in line:
                    key, rest = line.split(": ", 1)
                    lines[key] = rest
    return {"outcome": outcome, "lines": lines, "server": server, "package": package, "probes": probes}


def test_every_probe_ran(probed):
    assert probed["outcome"].started and probed["outcome"].finished, probed["outcome"].problems
    assert set(probed["probes"]) <= set(probed["lines"]), probed["lines"]


@pytest.mark.parametrize("name", ["whoami"])
def test_runs_as_an_unprivileged_user(probed, name):
    assert probed["lines"][name].startswith("DONE"), probed["lines"][name]


@pytest.mark.parametrize(
    "name",
    ["shadow", "course", "home", "package", "venv", "loopback", "internet", "dns", "userns", "processes"],
)
def test_hostile_probe_is_blocked(probed, name):
    assert probed["lines"][name].startswith("blocked"), f"{name}: {probed['lines'][name]}"


def test_nothing_reached_the_host(probed):
    assert probed["server"].connections == 0, "a connection reached the host's loopback"
    assert not (probed["package"] / "pwned.py").exists()
    assert not (Path(sys.prefix) / "pwned.txt").exists()


def test_killing_the_runner_keeps_what_ran_and_says_so():
    cells = [
        {"index": 0, "source": "print('first')"},
        {"index": 2, "source": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"},
        {"index": 3, "source": "print('never')"},
    ]
    outcome = sandbox.run(cells, KERNEL, LIMITS, slot=8)
    assert outcome.started and not outcome.finished
    assert outcome.cells[0]["outputs"][0]["text"] == "first\n"
    assert 3 not in outcome.cells
    assert any("stopped the grader's runner" in p for p in outcome.problems), outcome.problems


def test_forged_results_are_checked():
    sent = [{"index": 0, "source": "x"}, {"index": 1, "source": "y"}]
    raw = "\n".join(
        [
            json.dumps({"event": "kernel_started"}),
            json.dumps(
                {
                    "index": 0,
                    "execution_count": 1,
                    "outputs": [
                        {"output_type": "stream", "name": "stdout", "text": "y" * 500},
                        {"output_type": "bogus"},
                        {"output_type": "error", "ename": 1, "evalue": "x", "traceback": []},
                    ],
                }
            ),
            json.dumps({"index": 0, "execution_count": 9, "outputs": []}),  # a second claim for cell 0
            json.dumps({"index": 5, "execution_count": 1, "outputs": []}),  # a cell never sent
            "not json at all",
            json.dumps({"event": "done"}),
        ]
    ).encode()
    limits = sandbox.Limits(output_chars=100)
    outcome = sandbox._check(raw, b"", "", sent, limits, 1.0)
    assert list(outcome.cells) == [0]
    assert outcome.cells[0]["execution_count"] == 1
    (stream,) = outcome.cells[0]["outputs"]
    assert stream["text"].startswith("y" * 100) and "output cut" in stream["text"]
    assert any("not a result" in p for p in outcome.problems)


def test_a_course_inside_a_folder_the_sandbox_shows_is_refused():
    inside = Path(workbook.__file__).parent / "course"
    with pytest.raises(sandbox.Unavailable, match="Move the course folder"):
        sandbox.Sandbox().refuse_if_exposed(inside)
    sandbox.Sandbox().refuse_if_exposed(Path("/nonexistent-course"))  # elsewhere: fine


def test_the_students_code_cannot_change_how_the_tests_judge():
    """Test cells are judged in a separate interpreter, on values only: transformers, import hooks,
    patched functions and a forged judge in the student's kernel change nothing, and the kernel
    never holds a test's text."""
    cells = [
        {
            "index": 0,
            "source": "import ast, sys, workbook, workbook.data, workbook.course.judge as j\n"
            "ip = get_ipython()\n"
            "ip.input_transformers_cleanup.append(lambda lines: [l for l in lines if 'assert' not in l])\n"
            "class P(ast.NodeTransformer):\n"
            "    def visit_Assert(self, node):\n        return ast.Pass()\n"
            "ip.ast_transformers.append(P())\n"
            "workbook.load = workbook.data.load = lambda *a, **k: 'patched'\n"
            "class Hook:\n"
            "    def find_spec(self, *a, **k):\n        raise ImportError('hooked')\n"
            "sys.meta_path.insert(0, Hook())\n"
            "j.run_test = lambda *a, **k: []\n"
            "answer = 41",
        },
        {"index": 1, "source": "assert 1 == 2, 'the student cell is transformed'"},
        {"index": 2, "source": "assert answer == 42, 'still judged'", "test": True},
        {
            "index": 3,
            "source": "from workbook import load\nimport colorsys\nassert load('phases') is not None\n"
            "assert type(answer) is int and answer != 'patched'\nprint('judged apart')",
            "test": True,
        },
        {"index": 4, "source": "print('history:', any('still ' + 'judged' in cell for cell in In))"},
        {"index": 5, "source": REACH_THE_JUDGE},
    ]
    outcome = sandbox.run(cells, KERNEL, LIMITS, slot=9)
    assert outcome.started and outcome.finished, outcome.problems
    assert not [o for o in outcome.cells[1]["outputs"] if o["output_type"] == "error"]  # the attack works
    (error,) = [o for o in outcome.cells[2]["outputs"] if o["output_type"] == "error"]
    assert (error["ename"], error["evalue"]) == ("AssertionError", "still judged")
    assert outcome.cells[3]["outputs"] == [
        {"output_type": "stream", "name": "stdout", "text": "judged apart\n"}
    ]
    assert "history: False" in outcome.cells[4]["outputs"][0]["text"]
    reach = outcome.cells[5]["outputs"][0]["text"]
    assert "judges 1" in reach and "OPENED" not in reach and reach.count("refused") == 3, reach
    assert "ptrace -1" in reach, reach


#: From the student's kernel: find the judge and try to read its pipes, memory and environment, and
#: to trace it (it is the same user, so only its being non-dumpable keeps it out of reach).
REACH_THE_JUDGE = """import ctypes, glob, os
pids = [p.split('/')[2] for p in glob.glob('/proc/[0-9]*/cmdline') if b'judge.py' in open(p, 'rb').read()]
print('judges', len(pids))
for pid in pids:
    for what in ('fd/0', 'mem', 'environ'):
        try:
            os.close(os.open(f'/proc/{pid}/{what}', os.O_RDONLY | os.O_NONBLOCK))
            print('OPENED', what)
        except OSError as error:
            print('refused', what, type(error).__name__)
    libc = ctypes.CDLL(None, use_errno=True)
    print('ptrace', libc.ptrace(16, int(pid), 0, 0))  # PTRACE_ATTACH"""


def test_a_test_past_the_time_limit_is_stopped_and_the_later_tests_fail():
    cells = [
        {"index": 0, "source": "x = 1"},
        {"index": 1, "source": "while x:\n    pass", "test": True},
        {"index": 2, "source": "print('student cell still runs')"},
        {"index": 3, "source": "assert x == 1", "test": True},
    ]
    outcome = sandbox.run(cells, KERNEL, sandbox.Limits(cell_seconds=3, notebook_seconds=60), slot=10)
    assert outcome.finished, outcome.problems
    assert [o["ename"] for o in outcome.cells[1]["outputs"]] == ["CellTimeoutError"]
    assert {"event": "timeout", "index": 1, "notebook": False} in outcome.events
    assert outcome.cells[2]["outputs"][0]["text"] == "student cell still runs\n"
    (error,) = outcome.cells[3]["outputs"]
    assert error["ename"] == "JudgeError" and "not run" in error["evalue"]
