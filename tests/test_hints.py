"""Hints are a ladder (nudge, concept, worked example of a *similar* problem), never this exercise's solution.

The test runs the code in every hint, and in every answer cell's comment, in the namespace the
notebook has built by that point (its own cells executed, with the answers to earlier exercises
filled in, as a student who solved them would have), and asks ``check`` whether any of it is a
right answer.  The worked examples in backticks must also run: a worked example that fails teaches
nothing.  Plain-text code outside backticks is found too (every substring that compiles).
"""

from __future__ import annotations

import json
import re
import sys
import types
import warnings
from pathlib import Path

import pandas as pd
import pytest

import workbook
from workbook import checks

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ANSWER_CELL = re.compile(r"^\s*(answer_\d\d_\d+)\s*=", re.M)
STARTS = re.compile(r"(?<![\w.\"'])[A-Za-z_(]")
LADDERED = {"number", "percent", "integer", "year", "ids"}


class _Anything(types.SimpleNamespace):
    """Stands in for charts and widgets (drawing is not needed to read the notebook's tables)."""

    def __getattr__(self, name):
        return _Anything()

    def __call__(self, *args, **kwargs):
        return _Anything()


def _code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.fixture(scope="module")
def namespaces(tmp_path_factory) -> dict[str, dict]:
    """Each notebook's namespace after its cells ran (charts/widgets stubbed, answers filled in)."""
    saved = {m: sys.modules.get(m) for m in ("workbook.charts", "workbook.widgets")}
    sys.modules["workbook.charts"] = sys.modules["workbook.widgets"] = _Anything()
    found = {}
    try:
        for path in NOTEBOOKS:
            prefix, namespace = path.name[:2], {}
            answers = {f"answer_{i.replace('.', '_')}": checks._REGISTRY[i]() for i in checks.ids(prefix)
                       if checks._REGISTRY[i].kind != "text"}
            for source in _code_cells(path):
                if ANSWER_CELL.match(source) or "check(" in source:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        exec(compile(source, str(path), "exec"), namespace)   # noqa: S102 - our notebooks
                    except Exception:  # noqa: BLE001 - a cell needing a live widget: skip it
                        pass
            namespace.update(answers)
            found[prefix] = namespace
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return found


def _fragments(text: str) -> list[str]:
    """Every piece of ``text`` that is a Python expression with a call, subscript or operator."""
    ends = [m.end() for m in re.finditer(r"[)\]\w]", text)]
    found = []
    for start in (m.start() for m in STARTS.finditer(text)):
        for end in ends:
            piece = text[start:end]
            if end <= start + 4 or not re.search(r"[(\[/*+-]", piece):
                continue
            try:
                compile(piece, "<hint>", "eval")
            except (SyntaxError, ValueError):
                continue
            found.append(piece)
    return found


def _values(fragments, namespace):
    """Each fragment's value, and for tables and columns the count or total one step further on."""
    for piece in fragments:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                value = eval(piece, dict(namespace))                         # noqa: S307 - our hint text
            except Exception:  # noqa: BLE001 - not runnable here: not a solution
                continue
            yield piece, value
            if isinstance(value, (pd.DataFrame, pd.Series)):
                yield f"len({piece})", len(value)
            if isinstance(value, pd.Series) and value.dtype.kind in "biuf":
                yield f"{piece}.sum()", value.sum()


def _texts_for(prefix: str):
    """(check id, text) for every hint and every answer cell's comment of a notebook."""
    for check_id in checks.ids(prefix):
        for hint in checks._REGISTRY[check_id].hints:
            yield check_id, hint
    path = next(p for p in NOTEBOOKS if p.name.startswith(prefix))
    for source in _code_cells(path):
        match = ANSWER_CELL.match(source)
        if match and "#" in source:
            yield match.group(1)[7:].replace("_", "."), source.split("#", 1)[1]


def _judged(prefix):
    return [i for i in checks.ids(prefix) if checks._REGISTRY[i].kind != "text"]


@pytest.mark.parametrize("prefix", [p.name[:2] for p in NOTEBOOKS])
def test_no_hint_or_answer_comment_computes_an_answer(prefix, namespaces):
    namespace, leaks = namespaces[prefix], []
    judged = _judged(prefix)
    for check_id, text in _texts_for(prefix):
        own = {k: v for k, v in namespace.items() if k != f"answer_{check_id.replace('.', '_')}"}
        for piece, value in _values(_fragments(text), own):
            for target in judged:
                if f"answer_{target.replace('.', '_')}" in piece:      # handing on an earlier answer
                    continue
                if checks.check(target, value).correct is True:
                    leaks.append(f"{check_id}: {piece!r} answers {target}")
        checks.reset()
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("prefix", [p.name[:2] for p in NOTEBOOKS])
def test_worked_examples_run(prefix, namespaces):
    failures = []
    for check_id in _judged(prefix):
        for hint in checks._REGISTRY[check_id].hints:
            scope = dict(namespaces[prefix])
            for code in re.findall(r"`([^`]+)`", hint):
                try:
                    exec(compile(code, "<hint>", "exec"), scope)                 # noqa: S102
                except Exception as exc:  # noqa: BLE001
                    failures.append(f"{check_id}: {code!r} -> {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_computed_exercises_have_a_three_rung_ladder():
    short = [i for i in checks.ids() if checks._REGISTRY[i].kind in LADDERED and len(checks._REGISTRY[i].hints) < 3]
    assert not short, short


def test_the_ladder_climbs_one_rung_per_wrong_try():
    spec = checks._REGISTRY[_judged("06")[0]]
    checks.reset()
    try:
        messages = [checks.check(spec.check_id, -12345).message for _ in range(4)]
    finally:
        checks.reset()
    for rung, message in zip(spec.hints, messages):
        assert rung in message
    assert spec.hints[-1] in messages[3] and "Still stuck" in messages[3]


def test_the_scanner_finds_plain_text_code():
    """The fragment search is what makes the leak test bite: code outside backticks is found too."""
    pieces = _fragments('Write record[(record["a"]) & (record["year"] >= y)]["year"].tolist() and done.')
    assert 'record[(record["a"]) & (record["year"] >= y)]["year"].tolist()' in pieces
    assert workbook.load("claims") is not None
