"""The two wings stay apart: nothing a student's kernel imports may come from the course wing.

The student wing is ``workbook`` minus ``workbook.course``; the course wing (release, grading, the
sandbox) may import the student wing, never the reverse. Checked on the source's import statements,
so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import workbook

PACKAGE = Path(workbook.__file__).parent
COURSE = PACKAGE / "course"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, absolute, including imports inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative_to = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = list(relative_to[:-1]) if path.name != "__init__.py" else list(relative_to[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def student_wing_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if COURSE not in p.parents)


def test_the_student_wing_never_imports_the_course_wing():
    crossing = {
        str(path.relative_to(PACKAGE)): sorted(m for m in _imports(path) if m.startswith("workbook.course"))
        for path in student_wing_files()
    }
    crossing = {k: v for k, v in crossing.items() if v}
    assert not crossing, f"student-wing modules import the course wing: {crossing}"


def test_the_command_line_reaches_the_course_wing_only_when_asked():
    """``cli.py`` is the one door between the wings: building its parser (every ``workbook``
    command does) and a student's command load nothing of the course wing."""
    code = (
        "import sys\n"
        "from workbook import cli\n"
        "cli.build_parser()\n"
        "cli.main(['config'])\n"
        "print('COURSE:', sorted(m for m in sys.modules if m.startswith('workbook.course')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "COURSE: []", done.stdout[-500:]


def test_the_check_sees_a_crossing(tmp_path):
    """The import reader resolves relative imports, so a crossing written as ``from .course`` is caught."""
    probe = PACKAGE / "widgets.py"
    assert "workbook.charts" in _imports(probe)
    assert any(m.startswith("workbook.course") for m in _imports(COURSE / "autograde.py"))
