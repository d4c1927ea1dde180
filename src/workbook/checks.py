"""Self-checks for the exercises: ``check("02.1", answer)`` says whether an answer is right.

In a notebook::

    answer = ...          # your answer here
    check("02.1", answer)

A right answer is confirmed.  A wrong one gets a hint, then a stronger hint, then (from the
third wrong try) a pointer to where to look, but never the answer itself.  Answers that are
not there yet (``...``, ``None``), that are empty (``NaN``), or that have the wrong shape (a whole
table, a dict, words where a number is wanted) get one friendly line saying what is wanted;
they do not count as tries, and they never raise an error.

Reasonable but sloppy answers are understood: ``"12%"``, ``" 12 "``, ``"145,000"``,
``"1.5 million"``, a numpy or pandas number, a list, Series or array holding one value, and a
DataFrame with one cell.  For a percentage both ``12`` and ``0.12`` count as 12 %, and the
message says which reading was used.

The right answers are not typed in anywhere: each exercise registers a function that computes
its answer from ``workbook.load(...)`` when the check runs.  Exercises are registered in one
module per notebook, ``workbook/answers/nNN.py`` (``n02.py`` for the ids ``"02.1"``, ``"02.2"``,
...), which is imported the first time one of that notebook's ids is checked::

    from workbook.checks import register
    register("02.1", kind="percent", tolerance=0.01,
             expected=lambda: ...,            # computed from workbook.load(...)
             hints=("a gentle hint", "a stronger hint"),
             prompt="What share of ... ?")

A :class:`CheckResult` shows its message in a notebook and when printed.  ``bool(result)`` is
``True`` only for a right answer, so ``assert check("02.1", answer)`` works in grading tests;
in notebooks prefer reading ``result.correct``, which is ``True``, ``False`` or ``None`` (not
judged).
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
import math
import numbers
import pkgutil
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = ["register", "check", "reset", "ids", "CheckResult", "KINDS"]

KINDS = ("number", "percent", "integer", "year", "choice", "text", "ids")
RUBRIC = "notebooks/INSTRUCTORS.md"
DEFAULT_TOLERANCE = 0.005       # relative: answers rounded to about 3 significant figures pass

# What each kind of check wants, for the "wrong type" messages.  The examples are deliberately
# numbers that are no exercise's answer.
WANTED = {
    "number": "a number, like 3.75",
    "percent": 'a percentage, like 3.75 or "3.75%"',
    "integer": "a whole number, like 42",
    "year": "a year, written as a whole number with four digits",
    "choice": "one of the options, written as text in quotes",
    "ids": 'one id in quotes, or a list of ids like ["a-1", "b-2"]',
    "text": 'a written answer in quotes, like "The chart shows ..."',
}

MARKS = {True: "✅", False: "❌", None: "ℹ️", "problem": "⚠️"}
COLOURS = {True: "#009E73", False: "#D55E00", None: "#0072B2", "problem": "#E69F00"}

PLACEHOLDER = "You haven't answered yet: replace ... with your answer, run that cell, then run this one."


# --------------------------------------------------------------------------- the result

@dataclass
class CheckResult:
    """What ``check`` found: ``correct`` is True, False or None (not judged), and a message."""

    correct: bool | None
    message: str
    check_id: str = ""
    problem: bool = field(default=False, repr=False)   # the check itself could not run

    @property
    def _state(self):
        return "problem" if self.problem else self.correct

    def __str__(self) -> str:
        return f"{MARKS[self._state]} {self.message}"

    __repr__ = __str__

    def __bool__(self) -> bool:
        """True only when the answer is right (so ``assert check(...)`` works)."""
        return self.correct is True

    def _repr_html_(self) -> str:
        text = html.escape(str(self)).replace("\n", "<br>")
        return (f'<div role="status" style="border-left: 4px solid {COLOURS[self._state]}; '
                f'padding: 0.3em 0.8em; margin: 0.3em 0;">{text}</div>')


# --------------------------------------------------------------------------- the registry

@dataclass
class _Check:
    check_id: str
    kind: str
    expected: object = None
    tolerance: float | None = None
    abs_tol: float | None = None
    choices: tuple = ()
    hints: tuple = ()
    prompt: str = ""
    rubric: str | None = None


_REGISTRY: dict[str, _Check] = {}
_TRIES: dict[str, int] = {}          # wrong tries per check id, in this Python process
_ID_PATTERN = re.compile(r"(\d{2})\.\S+")


def register(check_id, *, kind, expected=None, tolerance=None, abs_tol=None, choices=None,
             hints=(), prompt="", rubric=None) -> None:
    """Register an exercise so ``check(check_id, answer)`` can judge it.

    - ``kind``: one of ``KINDS``.  "text" answers are not judged (the student is sent to the rubric).
    - ``expected``: a function with no arguments that computes the answer from ``workbook.load``
      (called at check time, never at import), or a plain value for "choice" and "ids".
      For "percent" it is the percentage (12.5 for 12.5 %); for "choice"/"ids" a value or a list
      of the values that together make the answer.
    - ``tolerance`` (relative) and/or ``abs_tol`` (absolute) for "number"/"percent"; without
      either, answers within 0.5 % of the expected value pass.
    - ``choices``: the options for "choice" (shown to a student whose answer is not one of them).
    - ``hints``: (gentle hint, stronger hint) shown on the first and later wrong tries.
    - ``prompt``: what the exercise asks, in a few words (used when listing a notebook's checks).
    - ``rubric``: where the marking notes are (default ``notebooks/INSTRUCTORS.md``).

    Registering the same id again replaces the earlier registration.
    """
    if not isinstance(check_id, str) or not _ID_PATTERN.fullmatch(check_id):
        raise ValueError(f'check ids look like "02.1" (notebook number, dot, exercise); got {check_id!r}')
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if kind != "text" and expected is None:
        raise ValueError(f"check {check_id}: a {kind!r} check needs an expected value or function")
    if kind == "choice":
        if not choices:
            raise ValueError(f"check {check_id}: a 'choice' check needs choices=[...]")
        if not callable(expected):
            options = {_norm_text(c) for c in choices}
            missing = [e for e in _as_list(expected) if _norm_text(e) not in options]
            if missing:
                raise ValueError(f"check {check_id}: expected {missing!r} is not among the choices")
    if isinstance(hints, str):
        hints = (hints,)
    _REGISTRY[check_id] = _Check(check_id, kind, expected, tolerance, abs_tol,
                                 tuple(choices or ()), tuple(hints), prompt, rubric)


def reset(check_id: str | None = None) -> None:
    """Forget the wrong tries (of one check, or of all), so hints start again from the first."""
    if check_id is None:
        _TRIES.clear()
    else:
        _TRIES.pop(check_id, None)


def _sort_key(check_id: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", check_id)]


def _load_notebook(prefix: str) -> str | None:
    """Import ``workbook.answers.nNN``; return a message when that fails, else None."""
    name = f"{__package__}.answers.n{prefix}"
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, f"{__package__}.answers"):
            return "missing"
        return f"the checks for notebook {prefix} could not be loaded ({exc})"
    except Exception as exc:  # noqa: BLE001 - a broken answers module must not show a traceback
        return f"the checks for notebook {prefix} could not be loaded ({type(exc).__name__}: {exc})"
    return None


def _notebook_prefixes() -> list[str]:
    try:
        answers = importlib.import_module(f"{__package__}.answers")
    except ImportError:
        return []
    found = {m.name[1:] for m in pkgutil.iter_modules(answers.__path__)
             if re.fullmatch(r"n\d{2}", m.name)}
    return sorted(found | {i[:2] for i in _REGISTRY})


def ids(notebook=None) -> list[str]:
    """The registered check ids: of one notebook (``ids("02")`` or ``ids(2)``), or of all."""
    prefixes = _notebook_prefixes() if notebook is None else [f"{int(notebook):02d}"]
    for prefix in prefixes:
        _load_notebook(prefix)
    return sorted((i for i in _REGISTRY if i[:2] in prefixes), key=_sort_key)


def _lookup(check_id) -> _Check | CheckResult:
    """The registered check, or a CheckResult explaining why there is none."""
    if not isinstance(check_id, str):
        return CheckResult(None, f'The first thing in check(...) is the exercise id in quotes, like '
                                 f'check("02.1", answer); got {check_id!r}.')
    check_id = check_id.strip()
    if check_id in _REGISTRY:
        return _REGISTRY[check_id]
    match = _ID_PATTERN.fullmatch(check_id)
    if not match:
        return CheckResult(None, f'{check_id!r} is not a check id. Ids look like "02.1": the notebook '
                                 'number, a dot, the exercise number (copy it from the exercise).', check_id)
    prefix = match.group(1)
    problem = _load_notebook(prefix)
    if check_id in _REGISTRY:
        return _REGISTRY[check_id]
    known = sorted((i for i in _REGISTRY if i.startswith(prefix + ".")), key=_sort_key)
    if problem not in (None, "missing"):
        return CheckResult(None, f"Sorry, {problem}. This is not your fault: tell your instructor.",
                           check_id, problem=True)
    if not known:
        notebooks = ", ".join(_notebook_prefixes()) or "none yet"
        return CheckResult(None, f"There are no checks for a notebook {prefix} (notebooks with checks: "
                                 f"{notebooks}). Is the id {check_id!r} copied right?", check_id)
    listing = "; ".join(f"{i} ({_REGISTRY[i].prompt})" if _REGISTRY[i].prompt else i for i in known)
    return CheckResult(None, f"There is no check {check_id!r}. Notebook {prefix} has: {listing}.", check_id)


# --------------------------------------------------------------------------- reading answers

class _Unreadable(Exception):
    """The answer cannot be read as the kind of value the check wants (message for the student)."""


def _describe(value) -> str:
    if isinstance(value, pd.DataFrame):
        rows, cols = value.shape
        return (f"a table (DataFrame) with {rows} row{'s' if rows != 1 else ''} and "
                f"{cols} column{'s' if cols != 1 else ''}")
    if isinstance(value, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        return f"a {type(value).__name__} with {len(value)} values"
    if isinstance(value, np.ndarray):
        return f"an array with {value.size} values"
    if isinstance(value, (list, tuple, set, frozenset)):
        return f"a {type(value).__name__} with {len(value)} values"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) <= 40 else "a long text"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiouAEIOU' else 'a'} {name}"


def _is_missing(value) -> bool:
    try:
        return value is pd.NA or value is pd.NaT or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


_SEQUENCES = (pd.Series, pd.Index, pd.api.extensions.ExtensionArray, np.ndarray, list, tuple, set,
              frozenset)


def _unwrap_one(value, kind: str):
    """Take the single value out of a one-element list, Series, array or 1x1 DataFrame."""
    if value is ...:
        raise _Unreadable(PLACEHOLDER)
    if isinstance(value, pd.DataFrame):
        if value.shape == (1, 1):
            return value.iat[0, 0]
        raise _Unreadable(f"Your answer is {_describe(value)}; this check wants {WANTED[kind]}. "
                          "Pick out the one cell you need (for example with .loc[row, column]).")
    if isinstance(value, _SEQUENCES):
        items = list(np.ravel(value)) if isinstance(value, np.ndarray) else list(value)
        if len(items) == 1:
            return _unwrap_one(items[0], kind)
        if not items:
            raise _Unreadable(f"Your answer is empty ({_describe(value)}); this check wants {WANTED[kind]}. "
                              "Did a filter find no rows?")
        raise _Unreadable(f"Your answer is {_describe(value)}; this check wants one value: "
                          f"{WANTED[kind]}. Select the one you need (e.g. .iloc[0]) or combine them "
                          "(e.g. .sum()) as the question asks.")
    if isinstance(value, np.generic):
        return value.item()
    return value


_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9,
           "trillion": 1e12}
_NUMBER = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*"
                     r"(thousand|million|billion|trillion|mn|bn|k)?\s*(%|percent|per cent)?")


def _parse_number_text(text: str, kind: str) -> tuple[float, bool]:
    """Read '12%', ' 145,000 ', '1.5 million'...: return (number, had a percent sign)."""
    s = text.strip().lower().replace("\u2212", "-")
    s = re.sub(r"^(?:about|approximately|approx\.?|around|roughly|~|≈)\s*", "", s)
    s = re.sub(r"^[$¥€£]\s*", "", s)
    s = re.sub(r"(?<=\d)[,_\u00a0\u202f ](?=\d{3}(?!\d))", "", s)   # thousands separators
    match = _NUMBER.fullmatch(s)
    if not match:
        hint = " (use a point for decimals: 1.5, not 1,5)" if re.fullmatch(r"\d+,\d{1,2}", s) else ""
        raise _Unreadable(f"I could not read {text!r} as a number{hint}; this check wants {WANTED[kind]}.")
    number = float(match.group(1)) * _SCALES.get(match.group(2) or "", 1)
    return number, bool(match.group(3))


def _read_number(value, kind: str) -> tuple[float, bool]:
    """The answer as a float, and whether it was written with a percent sign."""
    value = _unwrap_one(value, kind)
    if _is_missing(value):
        raise _Unreadable(f"Your answer is NaN (a missing value), so there is nothing to check. "
                          f"Did a filter find no rows? This check wants {WANTED[kind]}.")
    if isinstance(value, bool):
        raise _Unreadable(f"Your answer is {value}; this check wants {WANTED[kind]}.")
    if isinstance(value, str):
        return _parse_number_text(value, kind)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isinf(number):
            raise _Unreadable(f"Your answer is infinite (did you divide by zero?); this check wants "
                              f"{WANTED[kind]}.")
        return number, False
    raise _Unreadable(f"Your answer is {_describe(value)}; this check wants {WANTED[kind]}.")


def _norm_text(value) -> str:
    """Text for comparing choices and ids: trimmed, case-folded, one space between words."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split()).casefold()
    return text.strip("'\"").rstrip(".").strip()


def _as_list(value) -> list:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return [value]
    if isinstance(value, np.ndarray):
        return list(np.ravel(value))
    return list(value)


def _read_many(value, kind: str) -> set[str]:
    """A choice/ids answer as a set of normalised strings (order does not matter)."""
    if isinstance(value, pd.DataFrame):
        if value.shape[1] == 1:
            value = value.iloc[:, 0]
        elif "id" in value.columns:
            value = value["id"]
        else:
            raise _Unreadable(f"Your answer is {_describe(value)}; this check wants {WANTED[kind]}. "
                              "Pick out the column with the ids (for example table['id']).")
    if isinstance(value, dict):
        raise _Unreadable(f"Your answer is a dict; this check wants {WANTED[kind]}.")
    items = _as_list(value)
    if kind == "ids" and len(items) == 1 and isinstance(items[0], str):
        items = [p for p in re.split(r"[,;\s]+", items[0]) if p]      # "a-1, b-2" -> two ids
    if any(_is_missing(i) for i in items):
        raise _Unreadable(f"Your answer contains a missing value (NaN/None); this check wants {WANTED[kind]}.")
    if any(not isinstance(i, (str, numbers.Number)) or isinstance(i, bool) for i in items):
        raise _Unreadable(f"Your answer is {_describe(value)}; this check wants {WANTED[kind]}.")
    found = {_norm_text(i) for i in items} - {""}
    if not found:
        raise _Unreadable(f"Your answer is empty; this check wants {WANTED[kind]}.")
    return found


# --------------------------------------------------------------------------- judging

def _fmt(number: float) -> str:
    if float(number).is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return format(number, ",.6g")


def _close(answer: float, expected: float, spec: _Check) -> bool:
    rel = spec.tolerance if spec.tolerance is not None else (0 if spec.abs_tol else DEFAULT_TOLERANCE)
    return math.isclose(answer, expected, rel_tol=rel, abs_tol=spec.abs_tol or 1e-9)


def _expected_number(raw) -> float:
    raw = _unwrap_one(raw, "number")
    if isinstance(raw, bool) or not isinstance(raw, numbers.Real) or math.isnan(float(raw)):
        raise TypeError(f"the expected value is {_describe(raw)}, not a number")
    return float(raw)


def _judge(spec: _Check, answer, expected) -> tuple[bool, str]:
    """(right?, a note about how the answer was read).  Raises _Unreadable for unusable answers."""
    kind = spec.kind
    if kind in ("number", "integer"):
        number, _ = _read_number(answer, kind)
        if kind == "integer" and not float(number).is_integer():
            raise _Unreadable(f"Your answer {_fmt(number)} is not a whole number; this check wants "
                              f"{WANTED[kind]}. Count, or round, as the question asks.")
        exp = _expected_number(expected)
        note = f"I read {answer.strip()!r} as {_fmt(number)}." if isinstance(answer, str) else ""
        if kind == "integer" and spec.tolerance is None and spec.abs_tol is None:
            return number == round(exp), note
        return _close(number, exp, spec), note
    if kind == "percent":
        number, had_sign = _read_number(answer, kind)
        exp = _expected_number(expected)
        if _close(number, exp, spec):
            return True, ""
        if not had_sign and abs(number) <= 1:
            as_fraction = number * 100
            if _close(as_fraction, exp, spec):
                return True, f"I read {_fmt(number)} as a fraction, which is {_fmt(as_fraction)}%."
            return False, (f"I read {_fmt(number)} both as {_fmt(number)}% and as the fraction "
                           f"{_fmt(number)} = {_fmt(as_fraction)}%.")
        return False, f"I read your answer as {_fmt(number)}%."
    if kind == "year":
        value = _unwrap_one(answer, kind)
        if isinstance(value, (dt.date, pd.Timestamp)):
            value = value.year
        number, _ = _read_number(value, kind)
        if not float(number).is_integer() or not 1000 <= number <= 2999:
            raise _Unreadable(f"{_fmt(number)} does not look like a year; this check wants {WANTED[kind]}.")
        return int(number) == int(_expected_number(expected)), ""
    # choice / ids
    found = _read_many(answer, kind)
    wanted = {_norm_text(e) for e in _as_list(expected)}
    if kind == "choice":
        options = {_norm_text(c) for c in spec.choices}
        strays = sorted(found - options)
        if strays:
            listing = "; ".join(str(c) for c in spec.choices)
            raise _Unreadable(f"{strays[0]!r} is not one of the options. Choose from: {listing}.")
    if found == wanted:
        return True, ""
    note = ""
    if kind == "ids":
        extra, missing = len(found - wanted), len(wanted - found)
        parts = [f"{extra} of your {len(found)} id{'s' if len(found) != 1 else ''} should not be there"
                 if extra else "", f"{missing} more {'is' if missing == 1 else 'are'} needed" if missing else ""]
        note = " and ".join(p for p in parts if p).capitalize() + "."
    elif len(wanted) > 1 and len(found) == 1:
        note = "More than one option is right here."
    return False, note


def _wrong(spec: _Check, note: str) -> CheckResult:
    tries = _TRIES[spec.check_id] = _TRIES.get(spec.check_id, 0) + 1
    hints = spec.hints or ("Check that you used the right rows and the right column for the question.",
                           "Work one step at a time: print each intermediate result and check it "
                           "against the question before the next step.")
    hint = hints[0] if tries == 1 else hints[min(1, len(hints) - 1)]
    parts = ["Not yet." if tries == 1 else f"Not yet (try {tries}).", note, f"Hint: {hint}"]
    if tries >= 3:
        parts.append(f"Still stuck? Print the rows you used and compare them with the question, "
                     f"then see {spec.rubric}." if spec.rubric else
                     "Still stuck? Print the table and the rows you used, compare them with the "
                     "question, and ask your instructor or a classmate to look with you.")
    return CheckResult(False, " ".join(p for p in parts if p), spec.check_id)


def check(check_id, answer) -> CheckResult:
    """Check ``answer`` for exercise ``check_id`` (like ``"02.1"``) and say whether it is right.

    Never raises: every problem (no answer yet, a wrong type, an unknown id, broken data) comes
    back as a CheckResult with a friendly message.
    """
    found = _lookup(check_id)
    if isinstance(found, CheckResult):
        return found
    spec = found
    cid = spec.check_id
    if answer is ... or (isinstance(answer, str) and re.fullmatch(r"\s*(\.\.\.|…)?\s*", answer)):
        return CheckResult(None, PLACEHOLDER if answer is ... else
                           f"Your answer is empty; this check wants {WANTED[spec.kind]}.", cid)
    if answer is None:
        return CheckResult(None, "Your answer is None (nothing). Did you write `answer = ` without a "
                                 "value, or use print(...) where the value itself was needed? This "
                                 f"check wants {WANTED[spec.kind]}.", cid)
    if spec.kind == "text":
        return _check_text(spec, answer)

    expected = spec.expected
    if callable(expected):
        try:
            expected = expected()
        except DataError as exc:
            return CheckResult(None, f"The data this check is computed from is broken, so it cannot "
                                     f"check your answer right now: {exc}. Tell your instructor "
                                     "(this is not your fault).", cid, problem=True)
        except Exception as exc:  # noqa: BLE001 - a broken check must not show a traceback
            return CheckResult(None, f"Sorry, check {cid} itself has a problem ({type(exc).__name__}: "
                                     f"{exc}). Tell your instructor (this is not your fault).", cid,
                               problem=True)
    try:
        right, note = _judge(spec, answer, expected)
    except _Unreadable as exc:
        return CheckResult(None, str(exc), cid)
    except Exception as exc:  # noqa: BLE001
        return CheckResult(None, f"Sorry, check {cid} itself has a problem ({type(exc).__name__}: "
                                 f"{exc}). Tell your instructor (this is not your fault).", cid, problem=True)
    if right:
        _TRIES.pop(cid, None)
        return CheckResult(True, " ".join(p for p in ("Correct!", note) if p), cid)
    return _wrong(spec, note)


_TEXT_PLACEHOLDERS = {"", "your answer here", "type your answer here", "write your answer here",
                      "answer here", "todo", "tbd"}


def _check_text(spec: _Check, answer) -> CheckResult:
    if not isinstance(answer, str):
        return CheckResult(None, f"Your answer is {_describe(answer)}; this exercise wants "
                                 f"{WANTED['text']}.", spec.check_id)
    if _norm_text(answer).strip(". ") in _TEXT_PLACEHOLDERS:
        return CheckResult(None, "You haven't written your answer yet: replace the placeholder with a "
                                 "few sentences of your own.", spec.check_id)
    rubric = spec.rubric or RUBRIC
    return CheckResult(None, f"Thanks: written answers are not checked automatically. Compare yours "
                             f"with the rubric ({rubric}) or discuss it in class.", spec.check_id)
