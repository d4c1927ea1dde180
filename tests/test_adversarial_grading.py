"""A hostile class graded in one `workbook grade` run: every attack contained, honest students intact.

The class hands in ex01_four_phases (built from its real release in a temporary course; the source
notebooks are only read). Two honest students and one student per attack from issues 10 and 21 are
graded together, two at a time, with small limits so the run stays short: blank submissions that
try to change how the tests judge them (transformers, monkeypatching, forging how results come
back), a leaker hunting the hidden tests everywhere its kernel can look (they never reach it: tests
are judged in a separate interpreter), HTML and JavaScript outputs, links to the source and to /etc/shadow (also handed to
plain `nbgrader autograde`, which refuses them before any kernel starts). Then the instructor
"fixes" the exercise and regrades one student: nobody is accused of editing a read-only cell.
"""

from __future__ import annotations

import base64
import codecs
import csv
import hashlib
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

import workbook

pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")
from workbook.course import grading, regions, sandbox  # noqa: E402

pytestmark = pytest.mark.grading

if sandbox.problem():
    pytest.skip(f"the sandbox cannot run here: {sandbox.problem()}", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
NAME = "ex01_four_phases"
# Seconds per cell: enough for a loaded CI machine to import pandas (4 s was not), short enough that
# the looping and sleeping attacks do not drag the run out.
TIMEOUT = 15


def attacks(course: Path, port: int) -> dict[str, str]:
    """student -> code run as an extra cell right after the setup cell of a correct submission."""
    mine = f"{NAME}/{NAME}.ipynb"
    victim = course / "submitted" / "honest_full" / mine
    package = Path(workbook.__file__).parent
    return {
        "deleter": "import os, shutil\n"
        f"for p in [{str(victim)!r}, '../../submitted/honest_full/{mine}', '/submission/../honest_full']:\n"
        "    try:\n        os.remove(p); print('DELETED', p)\n    except Exception as e:\n"
        "        print('blocked', type(e).__name__)\n"
        f"shutil.rmtree({str(course / 'submitted')!r}, ignore_errors=True)",
        "dbeditor": "import sqlite3\n"
        f"db = sqlite3.connect({str(course / 'gradebook.db')!r})\n"
        "db.execute('UPDATE grade SET auto_score = 48'); db.commit(); print('EDITED')",
        "reader": "import glob\n"
        f"for p in glob.glob({str(course)!r} + '/**/*.ipynb', recursive=True) + ['/etc/shadow']:\n"
        "    print(open(p).read())\n"
        "print(glob.glob('/**/source/**', recursive=True)[:5])",
        "writer": f"open({str(Path.home() / 'pwned-by-a-student')!r}, 'w').write('x')\n",
        "packagewriter": f"open({str(package / 'pwned.py')!r}, 'w').write('import os')\n",
        "network": "import socket\n"
        f"for address in [('127.0.0.1', {port}), ('1.1.1.1', 80), ('pypi.org', 443)]:\n"
        "    try:\n        socket.create_connection(address, timeout=2); print('CONNECTED', address)\n"
        "    except OSError as e:\n        print('blocked', address, type(e).__name__)",
        "forkbomb": "import os\nwhile True:\n    os.fork()",
        "membomb": "hog = []\nwhile True:\n    hog.append(bytearray(50 * 1024 * 1024))",
        "diskfill": "import os\nfor folder in ('.', '/tmp'):\n    try:\n"
        "        with open(os.path.join(folder, 'fill'), 'wb') as f:\n"
        "            while True:\n                f.write(b'0' * 1024 * 1024)\n"
        "    except OSError as e:\n        print('stopped', folder, e.errno)",
        "bigline": "print('x' * 50_000_000)",
        "loop": "while True:\n    pass",
        "sleeper": "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
        "    time.sleep(3600)",
        "parentkiller": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
        "htmlinjector": "from IPython.display import HTML, Javascript, display\n"
        "display(HTML('<img src=x onerror=\"alert(document.cookie)\"><b>bold</b>'))\n"
        "display(Javascript('alert(2)'))",
        # A value that lies in == and -: documented in exercises/README.md (not caught here).
        "liar": "class F(float):\n    def __eq__(self, other): return True\n"
        "    def __sub__(self, other): return F(0.0)\n    __rsub__ = __sub__\n"
        "    def __abs__(self): return 0.0\n    def __hash__(self): return 0",
        "leaker": LEAKER,
    }


#: Tries to catch the graders' tests as anything compiles them in the kernel (an audit hook cannot be
#: removed), in its history, its objects and every file and process of the sandbox it can read, and
#: after every later cell prints what it caught in several encodings and as a DataFrame in full.
#: The tests are judged in a separate interpreter and never sent to the kernel: it catches none.
LEAKER = """import base64, codecs, gc, glob, os, sys, zlib
import pandas as pd
from IPython.display import display
_caught, _leaked = [], set()
def _catch(event, args):
    if event == 'compile' and args and isinstance(args[0], (str, bytes)):
        text = args[0].decode() if isinstance(args[0], bytes) else args[0]
        if 'assert' in text and text not in _caught:
            _caught.append(text)
sys.addaudithook(_catch)
def _leak(*_):
    found = _caught + [t for t in list(In) + list(_ih) + [str(v) for v in globals().values()] if 'assert' in t]
    found += [o for o in gc.get_objects() if isinstance(o, str) and 'assert' in o]
    paths = glob.glob('/tmp/**', recursive=True) + glob.glob('/submission/**', recursive=True)
    paths += glob.glob('/proc/[0-9]*/cmdline') + glob.glob('/proc/[0-9]*/environ') + glob.glob('/proc/[0-9]*/fd/*')
    opened = 0
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            try:
                text = os.read(fd, 1 << 20).decode(errors='replace')
            finally:
                os.close(fd)
        except OSError:
            continue
        opened += 1
        if 'assert' in text:
            found.append(text)
    print('files read', opened)
    for text in found:
        if text in _leaked:
            continue
        _leaked.add(text)
        for line in [text] + text.splitlines():
            b = line.encode()
            print('b64', base64.b64encode(b).decode(), 'b64z', base64.b64encode(zlib.compress(b)).decode())
            packer = zlib.compressobj(wbits=-15)
            print('deflate', base64.b64encode(packer.compress(b) + packer.flush()).decode(),
                  'cut', base64.b64encode(zlib.compress(b)[:-4]).decode())
            print('hex', b.hex(), 'rot13', codecs.encode(line, 'rot13'), 'reversed', line[::-1])
        pd.set_option('display.max_colwidth', None)
        display(pd.DataFrame({'line': text.splitlines()}))
get_ipython().events.register('post_run_cell', _leak)
print('listening')"""


def cheats() -> dict[str, str]:
    """student -> code, run in a BLANK submission, that tries to change how the tests judge it."""
    return {
        "assertdropper": "get_ipython().input_transformers_cleanup.append(\n"
        "    lambda lines: [line for line in lines if 'assert' not in line])",
        "assertpasser": "import ast\nclass P(ast.NodeTransformer):\n"
        "    def visit_Assert(self, node):\n        return ast.Pass()\n"
        "get_ipython().ast_transformers.append(P())",
        "monkeypatcher": MONKEYPATCHER,
    }


#: Wrong answers (that pass the visible checks), then everything the hidden tests compute with or
#: could compare with patched, or the data behind ``load`` changed in place, so that they agree.
MONKEYPATCHER = """import builtins, math, sys, types, numpy, pandas, pandas.testing, workbook, workbook.data
_ph = load('phases')
_short = (_ph['end_year'] - _ph['start_year']).idxmin()
longest = str(_ph.loc[_short, 'name'])  # the shortest phase
per_phase = {str(name): 0 for name in _ph['name']}
year_only_pct = 50.0
workbook.data.package().table('phases').loc[_short, 'end_year'] += 500  # the cached table itself
_rigged = load('phases')
workbook.load = workbook.data.load = lambda name, *a, **k: _rigged.copy()
workbook.tables = workbook.data.tables = lambda *a, **k: _rigged.copy()
_fake = types.ModuleType('workbook')
_fake.load, _fake.tables = workbook.load, workbook.tables
sys.modules['workbook'] = _fake
pandas.Series.idxmax = lambda self, *a, **k: _short
pandas.Series.mean = lambda self, *a, **k: 0.5
pandas.Series.sum = lambda self, *a, **k: 0
pandas.DataFrame.iterrows.__code__ = (lambda self: iter(())).__code__  # the function itself
pandas.DataFrame.__len__ = lambda self: len(per_phase)
pandas.core.indexing._LocIndexer.__getitem__ = lambda self, key: longest
math.isclose = numpy.isclose = numpy.allclose = lambda *a, **k: True
pandas.testing.assert_frame_equal = pandas.testing.assert_series_equal = lambda *a, **k: None
builtins.abs = builtins.round = lambda *a, **k: 0
builtins.all = builtins.any = lambda *a, **k: True
print('patched', pandas.Series([1, 3]).idxmax(), math.isclose(1, 2), abs(-5))"""


#: Goes after how results come back from its kernel: replaces IPython's user expressions (through
#: which the runner asks for the values a test reads) with a claim that every test ran, and the
#: judge's functions as its kernel sees them. The tests are judged in a separate interpreter that
#: takes only values from the kernel: a blank submission that forges all this still scores 0.
FORGER = """import sys, workbook.course.judge as judge
judge.run_test = lambda *a, **k: []
judge.encode_names = lambda namespace, names: '{}'
get_ipython().user_expressions = lambda expressions: {
    name: {'status': 'ok', 'data': {'text/plain': "'test ran'"}, 'metadata': {}} for name in expressions}"""


class LoopbackServer:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port, self.connections = self.sock.getsockname()[1], 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                self.sock.accept()[0].close()
                self.connections += 1
            except OSError:
                continue

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def points_of_tests() -> dict[str, float]:
    source = json.loads((ROOT / "exercises" / "source" / NAME / f"{NAME}.ipynb").read_text())
    return {
        nbg(c)["grade_id"]: float(nbg(c)["points"])
        for c in source["cells"]
        if nbg(c).get("grade") and c["cell_type"] == "code"
    }


def grade(course: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "workbook.cli",
            "grade",
            NAME,
            "--course",
            str(course),
            "--timeout",
            str(TIMEOUT),
            "--workers",
            "2",
            *extra,
        ],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=900,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("hostile")
    course = base / "exercises"
    shutil.copytree(
        ROOT / "exercises",
        course,
        ignore=shutil.ignore_patterns(
            "release",
            "submitted",
            "autograded",
            "feedback",
            "gradebook.db",
            "grades.csv",
            "release_history",
            ".ipynb_checkpoints",
            "__pycache__",
        ),
    )
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write(
            "\nc.SandboxedExecute.notebook_seconds = 120\nc.SandboxedExecute.memory_mb = 1536\n"
            "c.SandboxedExecute.processes = 64\nc.SandboxedExecute.disk_mb = 64\n"
        )
    home = base / "jupyter"
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONWARNINGS="ignore",
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    )
    released = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", NAME, "--force"],
        cwd=course,
        env=env,
        text=True,
        capture_output=True,
        timeout=600,
    )
    assert released.returncode == 0, released.stdout + released.stderr
    release = json.loads((course / "release" / NAME / f"{NAME}.ipynb").read_text())
    source = json.loads((course / "source" / NAME / f"{NAME}.ipynb").read_text())
    answers = {
        nbg(c)["grade_id"]: regions.unmarked(regions.cell_text(c), "solution")
        for c in source["cells"]
        if nbg(c).get("solution") and c["cell_type"] == "code"
    }

    def submission(student: str, fill: set[str], extra: str | None = None) -> Path:
        nb = json.loads(json.dumps(release))
        for cell in nb["cells"]:
            if nbg(cell).get("grade_id") in fill:
                cell["source"] = answers[nbg(cell)["grade_id"]]
        if extra:
            where = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code") + 1
            nb["cells"].insert(
                where,
                {
                    "cell_type": "code",
                    "id": "attack",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": extra,
                },
            )
        path = course / "submitted" / student / NAME / f"{NAME}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb), encoding="utf-8")
        return path

    server = LoopbackServer()
    everything = set(answers)
    honest = {
        "honest_full": submission("honest_full", everything),
        "honest_partial": submission("honest_partial", {sorted(answers)[0]}),
    }
    (course / "submitted" / "honest_full" / NAME / "notes.txt").write_text("my own notes\n")
    honest_files = {
        p: digest(p) for s in honest for p in (course / "submitted" / s).rglob("*") if p.is_file()
    }
    code = attacks(course, server.port)
    for student, attack in code.items():
        submission(student, everything, attack)
    for student, attack in cheats().items():
        submission(student, set(), attack)
    submission("forger", set(), FORGER)
    linked = course / "submitted" / "linker" / NAME
    linked.mkdir(parents=True)
    (linked / f"{NAME}.ipynb").symlink_to(course / "source" / NAME / f"{NAME}.ipynb")
    # a real, correct notebook beside links to a file outside and to the source notebook
    beside = submission("symlinker", everything).parent
    (beside / "shadow").symlink_to("/etc/shadow")
    (beside / "answers.txt").symlink_to(course / "source" / NAME / f"{NAME}.ipynb")
    try:
        done = grade(course, env)
    finally:
        server.close()
    # the same course graded by plain nbgrader (the symlinker only: it is refused before any kernel)
    plain = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", NAME, "--student=symlinker"],
        cwd=course,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=600,
    )
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == NAME]
    scores = {r["student_id"]: float(r["score"]) for r in rows if r["status"] != "NOT GRADED"}
    not_graded = {r["student_id"]: r["reason"] for r in rows if r["status"] == "NOT GRADED"}
    return SimpleNamespace(
        not_graded=not_graded,
        course=course,
        env=env,
        done=done,
        out=done.stdout,
        plain=plain,
        scores=scores,
        server=server,
        honest_files=honest_files,
        attackers=sorted(code) + sorted(cheats()) + ["forger"],
    )


def autograded(graded, student: str) -> dict:
    return json.loads((graded.course / "autograded" / student / NAME / f"{NAME}.ipynb").read_text())


def attack_cell(graded, student: str) -> dict:
    return next(c for c in autograded(graded, student)["cells"] if c.get("id") == "attack")


def attack_output(graded, student: str) -> str:
    """What the attack cell printed (its stream output; a traceback would repeat its own code)."""
    texts = [o.get("text", "") for o in attack_cell(graded, student)["outputs"]]
    return "".join("".join(t) if isinstance(t, list) else t for t in texts)


def attack_errors(graded, student: str) -> list[str]:
    return [o["ename"] for o in attack_cell(graded, student)["outputs"] if o["output_type"] == "error"]


def test_the_run_finishes_and_reports(graded):
    assert graded.done.returncode == 1, graded.out  # the linked submission is flagged
    assert "each in its own sandbox, 2 at a time" in graded.out
    assert "Needs your attention" in graded.out


def test_honest_classmates_keep_their_files_and_exact_scores(graded):
    for path, before in graded.honest_files.items():
        assert path.is_file() and digest(path) == before, f"{path} changed"
    points = points_of_tests()
    assert graded.scores["honest_full"] == sum(points.values())
    assert graded.scores["honest_partial"] == points[sorted(points)[0]]
    assert "changed while grading" not in graded.out


def test_every_attacker_is_graded_in_the_same_run(graded):
    for student in graded.attackers:
        assert student in graded.scores, f"{student} has no grade:\n{graded.out}"
        page = graded.course / "feedback" / student / NAME / f"{NAME}.html"
        assert page.is_file(), student  # the leaker's too: it caught nothing to withhold


def test_deleting_a_classmates_work_fails(graded):
    output = attack_output(graded, "deleter")
    assert "DELETED" not in output and "blocked" in output
    assert graded.scores["deleter"] == sum(points_of_tests().values())  # its own answers still count


def test_the_gradebook_is_out_of_reach(graded):
    assert "EDITED" not in attack_output(graded, "dbeditor")
    assert attack_errors(graded, "dbeditor") == ["OperationalError"]
    assert "score above its maximum" not in graded.out
    assert all(score <= 12 for score in graded.scores.values())


def test_source_mark_schemes_and_other_submissions_stay_unread(graded):
    output = json.dumps(attack_cell(graded, "reader")["outputs"])
    secrets = regions.secret_lines(
        json.loads((graded.course / "source" / NAME / f"{NAME}.ipynb").read_text())["cells"]
    )
    for kind, lines in secrets.items():
        for line in lines:
            assert line not in output, f"{kind} line read by the submission: {line}"
    assert "honest_full" not in output and "root:" not in output
    for page in (graded.course / "feedback").glob(f"*/{NAME}/*.html"):
        assert not grading.feedback_leaks(graded.course / "source" / NAME / f"{NAME}.ipynb", page, None)


def test_home_and_installed_package_are_not_writable(graded):
    assert not (Path.home() / "pwned-by-a-student").exists()
    assert not (Path(workbook.__file__).parent / "pwned.py").exists()
    assert attack_errors(graded, "writer")[0] in ("PermissionError", "FileNotFoundError")
    assert attack_errors(graded, "packagewriter")[0] in ("OSError", "PermissionError")


def test_no_network_not_even_the_hosts_loopback(graded):
    output = attack_output(graded, "network")
    assert "CONNECTED" not in output and output.count("blocked") == 3
    assert graded.server.connections == 0


@pytest.mark.parametrize("student", ["forkbomb", "membomb", "diskfill", "loop", "sleeper"])
def test_resource_attacks_are_stopped_and_scored_on_what_ran(graded, student):
    nb = autograded(graded, student)
    attack = next(c for c in nb["cells"] if c.get("id") == "attack")
    assert any(o["output_type"] == "error" for o in attack["outputs"]) or student == "diskfill"
    if student == "diskfill":
        assert "stopped" in json.dumps(attack["outputs"])
    assert 0 <= graded.scores[student] <= sum(points_of_tests().values())
    if student in ("loop", "sleeper"):
        assert f"{student}: a cell ran past the time limit" in graded.out


def test_fifty_megabytes_on_one_line_is_cut_with_a_note(graded):
    path = graded.course / "autograded" / "bigline" / NAME / f"{NAME}.ipynb"
    assert path.stat().st_size < 2_000_000
    assert "output cut" in attack_output(graded, "bigline")
    page = graded.course / "feedback" / "bigline" / NAME / f"{NAME}.html"
    assert page.stat().st_size < 3_000_000
    assert graded.scores["bigline"] == sum(points_of_tests().values())


def test_killing_its_parent_is_reported_and_scored_on_what_ran(graded):
    assert "parentkiller: the sandbox ended before the last cell" in graded.out
    assert graded.scores["parentkiller"] == 0  # every test cell came after the kill


def test_a_submission_linked_to_source_is_refused_by_name(graded):
    assert f"{NAME}/linker: handed in links, which grading never follows" in graded.out
    assert "linker" not in graded.scores
    assert "handed in links" in graded.not_graded["linker"]  # NOT GRADED in the CSV, never a 0
    assert not (graded.course / "autograded" / "linker").exists()


def test_regrade_after_fixing_the_exercise_accuses_nobody(graded):
    course, env = graded.course, graded.env
    path = course / "source" / NAME / f"{NAME}.ipynb"
    nb = json.loads(path.read_text())
    tests = next(c for c in nb["cells"] if nbg(c).get("grade") and c["cell_type"] == "code")
    tests["source"] = "# fixed by the instructor after the release\n" + regions.cell_text(tests)
    path.write_text(json.dumps(nb), encoding="utf-8")
    released = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", NAME, "--force"],
        cwd=course,
        env=env,
        text=True,
        capture_output=True,
        timeout=600,
    )
    assert released.returncode == 0, released.stdout + released.stderr
    done = grade(course, env, "--student", "honest_full")
    assert "edited by the student" not in done.stdout, done.stdout
    assert "honest_full" in done.stdout and "deleter" not in done.stdout.split("ex01_four_phases:")[-1]
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {
            r["student_id"]: float(r["score"])
            for r in csv.DictReader(f)
            if r["assignment"] == NAME and r["status"] != "NOT GRADED"
        }
    assert rows["honest_full"] == sum(points_of_tests().values())


@pytest.mark.parametrize("student", sorted(cheats()))
def test_transformers_in_a_blank_submission_do_not_raise_its_grade(graded, student):
    assert graded.scores[student] == 0, graded.out


def test_html_and_javascript_outputs_are_sanitised_in_feedback(graded):
    page = (graded.course / "feedback" / "htmlinjector" / NAME / f"{NAME}.html").read_text()
    # the student's source shows the code escaped; the outputs must not carry a live tag or script
    assert "<img src=x onerror" not in page.replace('"', "")
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, flags=re.S | re.I)
    assert not [s for s in scripts if "alert(" in s], "the submission's JavaScript is in the page"
    assert "<b>bold</b>" in page  # the HTML output is kept, sanitised
    assert graded.scores["htmlinjector"] == sum(points_of_tests().values())


def gradebook_scores(course: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(NAME)}


def test_patching_what_the_tests_compute_with_does_not_raise_a_blank_submission(graded):
    """Wrong answers, with pandas, NumPy, math, builtins, workbook.load and its data patched."""
    assert "patched" in attack_output(graded, "monkeypatcher") and not attack_errors(graded, "monkeypatcher")
    assert graded.scores["monkeypatcher"] == 0, graded.out
    # each test ran, with the real functions, and judged the answers wrong (visible checks passed)
    tests = [
        c
        for c in autograded(graded, "monkeypatcher")["cells"]
        if nbg(c).get("grade") and c["cell_type"] == "code"
    ]
    failures = [o for c in tests for o in c["outputs"] if o["output_type"] == "error"]
    assert len(failures) == len(tests) == len(points_of_tests())
    assert all(f["ename"] == "AssertionError" for f in failures), failures
    messages = " ".join(f["evalue"] for f in failures)
    assert (
        "Not the longest phase" in messages
        and "wrong count" in messages
        and "Not the right share" in messages
    )


def encodings(line: str) -> dict[str, str]:
    data, packer = line.encode(), zlib.compressobj(wbits=-15)
    return {
        "plain": line,
        "html": html.escape(line),
        "base64": base64.b64encode(data).decode(),
        "base64 of zlib": base64.b64encode(zlib.compress(data)).decode(),
        "base64 of raw deflate": base64.b64encode(packer.compress(data) + packer.flush()).decode(),
        "base64 of zlib, checksum cut": base64.b64encode(zlib.compress(data)[:-4]).decode(),
        "hex": data.hex(),
        "rot13": codecs.encode(line, "rot13"),
        "reversed": line[::-1],
    }


def hidden_lines(graded) -> set[str]:
    source = json.loads((graded.course / "source" / NAME / f"{NAME}.ipynb").read_text())
    return {line for line in regions.secret_lines(source["cells"])["hidden test"] if len(line) > 12}


def test_hidden_tests_never_reach_the_students_kernel_or_feedback(graded):
    """The leaker looked everywhere its kernel can (compiled code, history, objects, files, other
    processes), after every cell: not one hidden-test line, in any encoding, in its outputs."""
    leaker = autograded(graded, "leaker")
    caught = json.dumps(attack_cell(graded, "leaker")["outputs"])
    assert "listening" in caught and "files read" in caught and "b64" in caught  # it ran and looked
    outputs = json.dumps([c.get("outputs", []) for c in leaker["cells"]])
    hidden = hidden_lines(graded)
    for line in hidden:
        for kind, encoded in encodings(line).items():
            assert encoded not in outputs, f"the leaker caught a hidden test line ({kind}): {line}"
    assert "leaker: feedback withheld" not in graded.out, graded.out
    assert graded.scores["leaker"] == sum(points_of_tests().values())  # graded on its own answers
    pages = sorted((graded.course / "feedback").rglob("*.html"))
    assert [p for p in pages if "leaker" in p.parts], "the leaker's page was withheld"
    for page in pages:  # nobody's page, in any of these encodings
        text = page.read_text(encoding="utf-8")
        for line in hidden:
            for kind, encoded in encodings(line).items():
                assert encoded not in text, f"{page}: hidden test line as {kind}: {line}"


def test_links_to_outside_files_are_refused_by_plain_nbgrader_and_workbook_grade(graded):
    assert "symlinker: handed in links, which grading never follows" in graded.out
    assert "handed in links" in graded.not_graded["symlinker"] and "symlinker" not in graded.scores
    assert graded.plain.returncode != 0, graded.plain.stdout
    assert "holds links, which grading never follows" in graded.plain.stdout
    assert f"symlinker/{NAME}/shadow" in graded.plain.stdout  # the message names the link
    assert "Copying" not in graded.plain.stdout  # refused before nbgrader copies any file of it
    shadow = Path("/etc/shadow").read_bytes() if os.access("/etc/shadow", os.R_OK) else b"root:"
    source = (graded.course / "source" / NAME / f"{NAME}.ipynb").read_bytes()
    assert not (graded.course / "autograded" / "symlinker").exists()
    assert not (graded.course / "feedback" / "symlinker").exists()
    for folder in ("autograded", "feedback"):
        for path in (graded.course / folder).rglob("*"):
            assert not path.is_symlink(), path
            if path.is_file():
                data = path.read_bytes()
                assert shadow not in data and b"root:" not in data and data != source, path
    # the classmates graded before keep their exact scores in the gradebook too
    points = points_of_tests()
    scores = gradebook_scores(graded.course)
    assert scores["honest_full"] == graded.scores["honest_full"] == sum(points.values())
    assert scores["honest_partial"] == graded.scores["honest_partial"] == points[sorted(points)[0]]


def test_forging_how_results_come_back_does_not_raise_a_blank_submission(graded):
    assert attack_cell(graded, "forger")["outputs"] == []  # no error: the forgery is in place
    assert graded.scores["forger"] == 0, graded.out
