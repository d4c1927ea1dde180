"""No graded answer can be had from what a student receives (issue 9).

Each graded exercise's reference solutions are run in-process (its setup and solution cells, in
order), which gives every autograded answer. Those answers are compared with every notebook
self-check's expected value, passed to the self-checks themselves, and looked for as literal text in
what ships to students (the notebooks and WRITTEN_ANSWERS.md). The hidden tests are also run against
answers that lie in ``==`` and ``-``, and against an answer cell that rebinds ``type`` and ``abs``.
"""

from __future__ import annotations

import ast
import json
import math
import numbers
import re
from functools import lru_cache
from pathlib import Path

import pytest

from workbook import checks, load

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "exercises" / "source"
TEMPLATE = ROOT / "exercises" / "template" / "exNN_template.ipynb"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
GUIDE = ROOT / "notebooks" / "WRITTEN_ANSWERS.md"
EXERCISES = sorted(p / f"{p.name}.ipynb" for p in SOURCE.iterdir() if p.is_dir())
REL_TOL = 0.005          # the self-checks' default tolerance: answers within 0.5 % are "the same"


# ------------------------------------------------------------------------- running the solutions

def _text(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _without_markers(code: str) -> str:
    return "\n".join(line for line in code.splitlines()
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def _split_test(code: str) -> tuple[str, str]:
    """(visible part, hidden part) of a test cell."""
    visible, hidden = code.split("### BEGIN HIDDEN TESTS", 1)
    return visible, hidden.split("### END HIDDEN TESTS", 1)[0]


def _stored_names(code: str) -> set[str]:
    """Names a cell assigns at its top level (not inside comprehensions, lambdas or functions)."""
    names, todo = set(), list(ast.parse(code).body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.comprehension, ast.Lambda, ast.FunctionDef, ast.ListComp, ast.SetComp,
                             ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        todo.extend(ast.iter_child_nodes(node))
    return names


def _loaded_names(code: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


@lru_cache(maxsize=None)
def solved(path: Path) -> tuple[dict, list[tuple[str, tuple[str, ...], str]]]:
    """Run an exercise's setup and solution cells. Returns (namespace, [(test id, answer names, test code)])."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {}
    tests = []
    for i, cell in enumerate(cells):
        meta = _nbg(cell)
        if cell["cell_type"] != "code" or not meta or meta.get("grade"):
            continue
        code = _without_markers(_text(cell))
        exec(compile(code, f"{path.name}:{meta['grade_id']}", "exec"), namespace)  # noqa: S102
        if meta.get("solution"):
            test = next(c for c in cells[i + 1:] if _nbg(c).get("grade") and c["cell_type"] == "code")
            names = tuple(sorted(_stored_names(code) & _loaded_names(_text(test))))
            assert names, f"{path.name}: no answer variable of {meta['grade_id']} is used by its test"
            tests.append((_nbg(test)["grade_id"], names, _text(test)))
    return namespace, tests


def graded_answers() -> dict[str, object]:
    """'exercise/test id/name' -> the reference answer, for every autograded question."""
    out = {}
    for path in EXERCISES:
        namespace, tests = solved(path)
        for test_id, names, _ in tests:
            for name in names:
                out[f"{path.stem}/{test_id}/{name}"] = namespace[name]
    return out


# ------------------------------------------------------------------------- the self-checks' values

def _expected(check_id: str):
    """A self-check's expected value (None for written answers), through the most public API there is."""
    public = getattr(checks, "expected", None)        # a public accessor, if the registry offers one
    if callable(public):
        return public(check_id)
    spec = checks._REGISTRY[check_id]                  # noqa: SLF001 - ids() has just loaded it
    if spec.kind == "text":
        return None
    return spec.expected() if callable(spec.expected) else spec.expected


@lru_cache(maxsize=None)
def self_check_values() -> dict[str, object]:
    values = {}
    for check_id in checks.ids():
        value = _expected(check_id)
        if value is not None:
            values[check_id] = value
    return values


# ------------------------------------------------------------------------- comparing

def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _same(a, b) -> bool:
    """Equal once normalised: whole numbers exactly, others within 0.5 % (also as a fraction of 100),
    text casefolded, sequences as sorted tuples."""
    if _is_number(a) and _is_number(b):
        a, b = float(a), float(b)
        if a == int(a) and b == int(b):          # counts and years: exactly
            return a == b
        return any(math.isclose(a, x, rel_tol=REL_TOL, abs_tol=1e-9) for x in (b, b / 100, b * 100))
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
    if isinstance(a, (list, tuple, set)) and isinstance(b, (list, tuple, set)):
        key = lambda v: (type(v).__name__, str(v))  # noqa: E731
        a, b = sorted(a, key=key), sorted(b, key=key)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return False


def _given_by(value, matches, released: str) -> bool:
    """Could a student get this whole answer from values `matches` accepts?

    A list is given away as a whole or when every item is; a dict only when every value is and its
    keys are spelled out in what the student sees (otherwise finding the keys is the work)."""
    if isinstance(value, dict):
        return bool(value) and all(
            (matches(k) or str(k) in released) and matches(v) for k, v in value.items())
    if isinstance(value, list):
        return matches(value) or (bool(value) and all(matches(v) for v in value))
    return matches(value)


def _released_text(path: Path) -> str:
    """Everything in the exercise outside the solution and hidden-test regions (roughly what students see)."""
    out = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        text = _text(cell)
        text = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", text, flags=re.S)
        out.append(re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", text, flags=re.S))
    return "\n".join(out)


def _scalars(value) -> list:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _scalars(v)]
    if isinstance(value, (list, tuple, set)):
        return [value] + [x for v in value for x in _scalars(v)]
    return [value]


# ------------------------------------------------------------------------- the tests

def test_every_exercise_has_graded_answers_and_there_are_self_checks():
    answers = graded_answers()
    for path in EXERCISES:
        assert any(key.startswith(path.stem + "/") for key in answers), f"no graded answer found in {path.name}"
    assert len(self_check_values()) >= 20, "the self-checks' expected values could not be read"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_no_graded_answer_is_a_self_check_value(path):
    values = self_check_values()
    namespace, tests = solved(path)
    released = _released_text(path)
    for test_id, names, _ in tests:
        for name in names:
            answer = namespace[name]
            found = [cid for cid, v in values.items()
                     if _given_by(answer, lambda x, v=v: any(_same(x, e) for e in _scalars(v)), released)]
            # A dict or list is only given away if *all* its parts are: look across all self-checks.
            every = _given_by(answer, lambda x: any(_same(x, e) for v in values.values() for e in _scalars(v)),
                              released)
            assert not found and not every, (
                f"{path.stem} {test_id}: the graded answer {name} = {answer!r} is what self-check(s) "
                f"{found or 'together'} return: ask a different question")


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_no_self_check_accepts_a_graded_answer(path):
    """The same, through the public check(): no self-check of the exercise's notebook says "Correct"."""
    notebook = path.stem[2:4]
    namespace, tests = solved(path)
    released = _released_text(path)
    ids = checks.ids(notebook)
    try:
        for test_id, names, _ in tests:
            for name in names:
                answer = namespace[name]
                passing = [cid for cid in ids
                           if _given_by(answer, lambda x, cid=cid: checks.check(cid, x).correct is True, released)]
                # A dict or list whose parts pass different self-checks is given away too.
                every = _given_by(answer, lambda x: any(checks.check(cid, x).correct is True for cid in ids),
                                  released)
                assert not passing and not every, (f"{path.stem} {test_id}: {name} = {answer!r} passes "
                                                   f"notebook {notebook}'s self-check(s) {passing or 'together'}")
    finally:
        checks.reset()


def _literal_forms(value) -> list[str]:
    """How a figure would be written in prose or code: only figures distinctive enough to mean something."""
    if not _is_number(value):
        return []
    x = float(value)
    if x == int(x):
        n = int(x)
        if abs(n) < 100 or 1900 <= n <= 2100:      # small counts and years are everywhere
            return []
        return [f"{n}", f"{n:,}", f"{n:_}"]
    forms = {f"{x:g}", f"{x:.1f}", f"{x:.2f}", f"{x:.3f}"}
    return sorted(f for f in forms if len(f.replace(".", "").lstrip("0")) >= 2 and math.isclose(float(f), x, rel_tol=REL_TOL))


def _student_texts() -> dict[str, str]:
    texts = {GUIDE.name: GUIDE.read_text(encoding="utf-8")}
    for nb in NOTEBOOKS:
        texts[nb.name] = "\n".join(_text(c) for c in json.loads(nb.read_text(encoding="utf-8"))["cells"])
    return texts


def test_no_graded_answer_is_written_in_the_notebooks_or_the_guide():
    texts = _student_texts()
    for key, answer in graded_answers().items():
        for value in _scalars(answer):
            for form in _literal_forms(value):
                pattern = rf"(?<![\d.,_]){re.escape(form)}(?![\d_]|[.,]\d)"
                for name, text in texts.items():
                    assert not re.search(pattern, text), f"{name} shows {form!r}, the answer to {key}"


def test_written_answers_guide_gives_no_self_check_answer():
    guide = GUIDE.read_text(encoding="utf-8")
    readings = set(load("readings")["id"])
    for cid, value in self_check_values().items():
        for item in _scalars(value):
            if isinstance(item, str) and len(item) >= 4 and item not in readings:
                assert not re.search(rf"(?<!\w){re.escape(item)}(?!\w)", guide, flags=re.I), \
                    f"WRITTEN_ANSWERS.md names {item!r}, the answer to self-check {cid}"
            for form in _literal_forms(item):
                assert not re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)", guide), \
                    f"WRITTEN_ANSWERS.md shows {form!r}, the answer to self-check {cid}"


def test_written_answers_guide_covers_every_written_exercise_and_holds_no_model_answer():
    guide = GUIDE.read_text(encoding="utf-8")
    written = [cid for cid in checks.ids()
               if "not checked automatically" in checks.check(cid, "A few words of my own.").message]
    assert len(written) >= 10
    for cid in written:
        assert re.search(rf"^### {re.escape(cid)}\b", guide, flags=re.M), f"no criteria for {cid}"
    for marker in ("Model answer", "model answer:", "Mark scheme", "BEGIN SOLUTION", "Expected **"):
        assert marker not in guide


def test_written_self_checks_point_to_the_guide_students_have():
    written = next(cid for cid in checks.ids()
                   if "not checked automatically" in checks.check(cid, "A few words of my own.").message)
    message = checks.check(written, "A few words of my own.").message
    assert "WRITTEN_ANSWERS.md" in message and "INSTRUCTORS" not in message


# ------------------------------------------------------------------------- hidden tests vs liars

class _LiarFloat(float):
    __hash__ = float.__hash__
    def __eq__(self, other): return True          # noqa: E301,E704
    def __ne__(self, other): return False         # noqa: E301,E704
    def __le__(self, other): return True          # noqa: E301,E704
    __ge__ = __lt__ = __gt__ = __le__
    def __sub__(self, other): return 0.0          # noqa: E301,E704
    __rsub__ = __sub__
    def __abs__(self): return 0.0                 # noqa: E301,E704


class _LiarInt(int):
    __hash__ = int.__hash__
    def __eq__(self, other): return True          # noqa: E301,E704
    def __ne__(self, other): return False         # noqa: E301,E704
    def __le__(self, other): return True          # noqa: E301,E704
    __ge__ = __lt__ = __gt__ = __le__
    def __sub__(self, other): return 0            # noqa: E301,E704
    __rsub__ = __sub__
    def __abs__(self): return 0                   # noqa: E301,E704


class _LiarStr(str):
    __hash__ = str.__hash__
    def __eq__(self, other): return True          # noqa: E301,E704
    def __ne__(self, other): return False         # noqa: E301,E704


class _LiarList(list):
    def __eq__(self, other): return True          # noqa: E301,E704
    def __ne__(self, other): return False         # noqa: E301,E704


class _LiarDict(dict):
    def __eq__(self, other): return True          # noqa: E301,E704
    def __ne__(self, other): return False         # noqa: E301,E704


def _liar(value):
    """A wrong answer that claims to equal anything, shaped like the real one."""
    if isinstance(value, dict):
        return _LiarDict({k: _liar(v) for k, v in value.items()})
    if isinstance(value, list):
        return _LiarList([_liar(v) for v in value])
    if isinstance(value, str):
        return _LiarStr("not the answer")
    if isinstance(value, int):
        return _LiarInt(-7)
    return _LiarFloat(-7.5)


def _fake_type(obj, *rest):
    """An answer cell's `type = ...`: reports a liar as the builtin type it pretends to be."""
    if rest:
        return type(obj, *rest)
    return next((t for t in (bool, int, float, str, dict, list) if isinstance(obj, t)), type(obj))


@pytest.mark.parametrize("path", EXERCISES + [TEMPLATE], ids=lambda p: p.stem)
def test_hidden_tests_pass_the_solution_and_reject_a_lying_answer(path):
    namespace, tests = solved(path)
    assert tests
    for test_id, names, code in tests:
        visible, hidden = _split_test(code)
        assert "from builtins import *" in hidden, f"{test_id}: the hidden tests need the builtins guard first"
        honest = dict(namespace)
        exec(visible, honest)  # noqa: S102 - imports and helpers the hidden part uses
        exec(hidden, honest)   # noqa: S102 - the reference solution passes
        for rebind in (False, True):
            lying = dict(honest)
            for name in names:
                lying[name] = _liar(namespace[name])
            if rebind:
                lying.update(type=_fake_type, abs=lambda v: 0, isinstance=lambda *a: True)
            with pytest.raises(AssertionError):
                exec(hidden, lying)  # noqa: S102
