"""The student install, for real: build the wheel and sdist, install the wheel into a fresh venv far
from the checkout, make a workspace with ``workbook start`` and run all nine notebooks there, offline.

Each notebook runs twice from the wheel: once with nbclient (proving it runs without the checkout and
without the network), then under strict nbval, which runs it again and compares every text output
with the first run (proving a rerun gives the same results). A leak scan then reads every file the
student received, and a second, newer build proves ``workbook update`` never loses a student's edit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
pytestmark = pytest.mark.install

#: Loaded by every Python of the fresh venv in these tests: record and refuse any connection that
#: leaves this machine.
GUARD = textwrap.dedent("""
    import os, socket
    _log = os.environ.get("WORKBOOK_NET_LOG")
    _connect = socket.socket.connect

    def _guarded(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not (
                host.startswith("127.") or host in ("::1", "localhost", "0.0.0.0")):
            if _log:
                with open(_log, "a") as log:
                    log.write(f"{host}\\n")
            raise OSError(f"network access blocked in tests: {host}")
        return _connect(self, address)

    socket.socket.connect = _guarded
""")

#: What changes between two honest runs: memory addresses, timings, widget ids.
SANITIZE = textwrap.dedent(r"""
    [addresses]
    regex: 0x[0-9a-f]+
    replace: ADDR

    [timings]
    regex: \d+\.\d+ ?s\b
    replace: TIME

    [widget-ids]
    regex: model_id[^,}]*
    replace: MODEL

    [explorer-stand-ins]
    regex: (?s)(\[Explorer\]|<style>[^<]*</style><div class="workbook-static-chart workbook-explorer-standin).*
    replace: EXPLORER
""")
# (An explorer's stand-in shows its last state: later cells update it, which nbclient applies and
# nbval does not, so it is left out of the run-twice comparison.)

LEAK_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
    "**Model answer",
)


def _uv() -> list[str]:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not installed (it comes with the test extras: pip install -e '.[test]')")
    return [uv]


def _isolated_env(tmp: Path, **extra: str) -> dict:
    """An environment that cannot see the checkout: no PYTHONPATH, own HOME and Jupyter folders."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV", "WORKBOOK_", "PYTEST"))
    }
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        PYTHONDONTWRITEBYTECODE="1",
        MPLCONFIGDIR=str(home / ".mpl"),
        **extra,
    )
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    return env


def build(source: Path, out: Path) -> tuple[Path, Path]:
    """``python -m build`` (sdist, then the wheel from the sdist) of the project at ``source``."""
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def install(venv: Path, *things: Path | str) -> None:
    if not (venv / "bin" / "python").exists():
        subprocess.run([*_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    pins = ["-c", str(ROOT / "constraints.txt")] if (ROOT / "constraints.txt").exists() else []
    done = subprocess.run(
        [
            *_uv(),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv / "bin" / "python"),
            *pins,
            *map(str, things),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def workbook(venv: Path, env: dict, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(venv / "bin" / "workbook"), *args], capture_output=True, text=True, env=env, cwd=cwd
    )


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """A fresh venv with only the wheel installed (plus nbval to run notebooks), and a workspace."""
    tmp = tmp_path_factory.mktemp("student")
    wheel, sdist = build(ROOT, tmp / "dist")
    venv = tmp / "venv"
    install(venv, wheel, "nbval", "pytest")
    guard = tmp / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = tmp / "connections.log"
    log.write_text("")
    env = _isolated_env(tmp, WORKBOOK_NET_LOG=str(log), PYTHONPATH=str(guard))
    workspace = tmp / "workspace"
    done = workbook(venv, env, "start", str(workspace), cwd=tmp)
    assert done.returncode == 0, done.stderr
    return {
        "tmp": tmp,
        "wheel": wheel,
        "sdist": sdist,
        "venv": venv,
        "env": env,
        "workspace": workspace,
        "log": log,
    }


def test_the_wheel_ships_the_data_and_notebooks_and_nothing_for_instructors(student):
    names = zipfile.ZipFile(student["wheel"]).namelist()
    assert "workbook/_data/datapackage.json" in names
    assert {f"workbook/_notebooks/{p.name}" for p in NOTEBOOKS} <= set(names)
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)
    assert "workbook/py.typed" in names
    for name in names + tarfile.open(student["sdist"]).getnames():
        assert "exercises" not in name and "INSTRUCTORS" not in name and "/tests/" not in name, name


def test_the_installed_workbook_is_the_wheel_not_the_checkout(student):
    code = (
        "import workbook, workbook.paths as p; "
        "print(workbook.__file__); print(p.data_dir()); print(p.checkout_root()); "
        "print(len(workbook.load('claims')))"
    )
    done = subprocess.run(
        [str(student["venv"] / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        env=student["env"],
        cwd=student["tmp"],
    )
    assert done.returncode == 0, done.stderr
    module, data, checkout, claims = done.stdout.split("\n")[:4]
    assert module.startswith(str(student["venv"])) and str(ROOT) not in module
    assert data.startswith(str(student["venv"])) and checkout == "None"
    assert int(claims) > 100


def test_start_gives_the_notebooks_and_the_guide(student):
    got = sorted(p.name for p in student["workspace"].iterdir() if not p.name.startswith("."))
    assert [p.name for p in NOTEBOOKS] == [n for n in got if n.endswith(".ipynb")]
    assert "WRITTEN_ANSWERS.md" in got or not (ROOT / "notebooks" / "WRITTEN_ANSWERS.md").exists()
    assert not (student["workspace"] / "exercises").exists(), "no release comes with the wheel"


def test_every_notebook_runs_from_the_wheel_offline_and_the_same_twice(student):
    """Run 1: nbclient executes each workspace notebook. Run 2: strict nbval compares a rerun with it."""
    executed = student["tmp"] / "executed"
    executed.mkdir()
    runner = textwrap.dedent("""
        import sys, nbformat
        from nbclient import NotebookClient
        source, target = sys.argv[1:3]
        nb = nbformat.read(source, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": sys.argv[3]}}).execute()
        nb.metadata.pop("widgets", None)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.output_type == "error"]
        nbformat.write(nb, target)
        if errors:
            sys.exit(f"{errors[0]['ename']}: {errors[0]['evalue']}")
    """)
    python = str(student["venv"] / "bin" / "python")
    for nb in NOTEBOOKS:
        done = subprocess.run(
            [
                python,
                "-c",
                runner,
                str(student["workspace"] / nb.name),
                str(executed / nb.name),
                str(student["workspace"]),
            ],
            capture_output=True,
            text=True,
            env=student["env"],
            cwd=student["workspace"],
        )
        assert done.returncode == 0, f"{nb.name}: {done.stderr[-2000:]}"
    (executed / "sanitize.cfg").write_text(SANITIZE, encoding="utf-8")
    done = subprocess.run(
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval",
            "--nbval-sanitize-with",
            "sanitize.cfg",
            "--nbval-current-env",
            *[nb.name for nb in NOTEBOOKS],
        ],
        capture_output=True,
        text=True,
        env=student["env"],
        cwd=executed,
    )
    assert done.returncode == 0, done.stdout[:6000]  # the first differences, with their diffs
    blocked = student["log"].read_text().split()
    assert not blocked, f"the notebooks tried to reach the network: {sorted(set(blocked))}"


def test_the_network_guard_blocks_and_records_outside_connections(student):
    """The guard that the notebook runs rely on really refuses (and logs) a connection off this machine."""
    code = (
        "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except OSError as e:\n    print('blocked' if 'blocked' in str(e) else 'other')"
    )
    done = subprocess.run(
        [str(student["venv"] / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        env=student["env"],
        cwd=student["tmp"],
    )
    assert done.stdout.strip() == "blocked"
    assert "192.0.2.1" in student["log"].read_text()
    student["log"].write_text("")


def _lines(path: Path) -> set[str]:
    """A file's stripped lines; for a notebook, the lines of its cells' sources."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            cells = json.loads(text)["cells"]
            text = "\n".join("".join(c["source"]) for c in cells)
        except (ValueError, KeyError, TypeError):
            pass
    return {line.strip() for line in text.splitlines()}


def _secret_lines() -> set[str]:
    """Lines found only inside the sources' solution, hidden-test and mark-scheme regions.

    Lines that the student material shows anyway (``from workbook import load``) prove nothing.
    """
    from workbook.course.grading import secret_lines

    found = set()
    for source in (ROOT / "exercises" / "source").glob("*/*.ipynb"):
        for lines in secret_lines(source).values():
            found |= lines
    public = set()
    for path in [*NOTEBOOKS, *(ROOT / "src" / "workbook").rglob("*.py")]:
        public |= _lines(path)
    return found - public


def test_nothing_the_student_received_holds_a_solution_or_mark_scheme(student):
    """Scan every installed file of the package and every workspace file."""
    site = next((student["venv"] / "lib").glob("python*/site-packages"))
    received = [p for p in (site / "workbook").rglob("*") if p.is_file()]
    received += [p for p in site.glob("alliance_workbook*.dist-info/**/*") if p.is_file()]
    received += [p for p in student["workspace"].rglob("*") if p.is_file()]
    assert len(received) > 40
    secrets = _secret_lines()
    assert len(secrets) > 20, "the scan needs the exercise sources' secret lines to look for"
    problems = []
    for path in received:
        if path.suffix == ".pyc":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix != ".py":  # the grader's own code names the markers it strips
            problems += [f"{path}: {m}" for m in LEAK_MARKERS if m in text]
        problems += [f"{path}: {line}" for line in secrets & _lines(path)]
    assert not problems, "\n".join(problems[:20])


# ------------------------------------------------------------------------------------ the update


def _bumped_checkout(tmp: Path) -> Path:
    """A copy of the project with a new version number and one changed notebook."""
    copy = tmp / "next"
    for part in ("src", "data", "notebooks"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / part, copy / part)
    init = copy / "src" / "workbook" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    init.write_text(re.sub(r'__version__ = "([^"]+)"', r'__version__ = "\1.post9"', text), encoding="utf-8")
    for name in ("01_four_phases.ipynb", "03_force_structure.ipynb"):
        nb = json.loads((copy / "notebooks" / name).read_text(encoding="utf-8"))
        nb["cells"].append(
            {
                "cell_type": "markdown",
                "id": "new-in-update",
                "metadata": {},
                "source": "A paragraph added in the newer version.",
            }
        )
        (copy / "notebooks" / name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return copy


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_update_keeps_a_students_edit_and_refreshes_the_rest(tmp_path):
    wheel, _ = build(ROOT, tmp_path / "dist1")
    venv = tmp_path / "venv"
    install(venv, wheel)
    env = _isolated_env(tmp_path)
    space = tmp_path / "workspace"
    assert workbook(venv, env, "start", str(space), cwd=tmp_path).returncode == 0
    edited = space / "01_four_phases.ipynb"
    nb = json.loads(edited.read_text(encoding="utf-8"))
    nb["cells"][-1]["source"] = "my own answer, which must survive"
    edited.write_text(json.dumps(nb), encoding="utf-8")
    before = edited.read_bytes()
    (space / "05_neighbours_and_flashpoints.ipynb").unlink()  # deleted by the student

    new_wheel, _ = build(_bumped_checkout(tmp_path), tmp_path / "dist2")
    install(venv, "--reinstall", new_wheel)
    done = workbook(venv, env, "update", str(space), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert edited.read_bytes() == before, "the student's edit must survive byte for byte"
    beside = sorted(space.glob("01_four_phases.new-*.ipynb"))
    assert len(beside) == 1 and "new-in-update" in beside[0].read_text(encoding="utf-8")
    assert "01_four_phases.ipynb" in out and beside[0].name in out and "Nothing of yours was changed" in out
    untouched = space / "03_force_structure.ipynb"
    assert "new-in-update" in untouched.read_text(encoding="utf-8"), "an untouched file is refreshed"
    assert not list(space.glob("03_force_structure.new-*")), "no copy beside an untouched file"
    assert (space / "05_neighbours_and_flashpoints.ipynb").is_file(), "a deleted file is put back"
    assert _sha(space / "00_start_here.ipynb") == _sha(ROOT / "notebooks" / "00_start_here.ipynb")

    again = workbook(venv, env, "update", str(space), cwd=tmp_path)
    assert again.returncode == 0 and len(list(space.glob("01_four_phases.new-*.ipynb"))) == 1
    assert edited.read_bytes() == before


def test_the_instructor_kit_wheel_makes_a_course_folder_without_a_checkout(student, tmp_path):
    """The second delivery: `alliance-workbook-instructor`, built from instructor/, holds the kit."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--wheel",
            "--outdir",
            str(tmp_path / "dist"),
            str(ROOT / "instructor"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (kit,) = (tmp_path / "dist").glob("alliance_workbook_instructor-*.whl")
    names = zipfile.ZipFile(kit).namelist()
    assert "workbook_instructor/kit/INSTRUCTORS.md" in names
    venv = tmp_path / "venv"
    install(venv, student["wheel"], kit)
    env = _isolated_env(tmp_path)
    course = tmp_path / "course"
    done = workbook(venv, env, "course", "init", str(course), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    sources = sorted(p.name for p in (course / "source").iterdir())
    assert sources == sorted(p.name for p in (ROOT / "exercises" / "source").iterdir() if p.is_dir())
    assert "BEGIN SOLUTION" in (course / "source" / sources[0] / f"{sources[0]}.ipynb").read_text()
    assert (course / "INSTRUCTORS.md").is_file() and (course / "nbgrader_config.py").is_file()
