"""Self-checks for the exercises: ``check("02.1", answer)`` says whether an answer is right.

In a notebook::

    answer = ...          # your answer here
    check("02.1", answer)

A right answer is confirmed.  A wrong one gets a hint, then a stronger hint, then (from the
third wrong try) a pointer to where to look, but never the answer itself.  Answers that are
not there yet (``...``, ``None``), that are empty (``NaN``), or that have the wrong shape (a whole
table, a dict, words where a number is wanted) get one friendly line saying what is wanted;
they do not count as tries, and they never raise an error.  In a notebook, an answer left over
because its cell stopped with an error is not judged either: ``check`` says the cell did not run
(``workbook.cell_runs`` watches the cells).

Reasonable but sloppy answers are understood: ``"12%"``, ``" 12 "``, ``"145,000"``,
``"1.5 million"``, a numpy or pandas number, a list, Series or array holding one value, and a
DataFrame with one cell.  For a percentage both ``12`` and ``0.12`` count as 12 %, and the
message says which reading was used.

The right answers are not typed in anywhere: each exercise is declared beside the function that
computes its answer from ``workbook.load(...)`` when the check runs, in one module per notebook,
``workbook/answers/nNN.py`` (``n02.py`` for the ids ``"02.1"``, ``"02.2"``, ...)::

    from workbook.checks import exercise, written

    @exercise("02.1", kind="percent", tolerance=0.01,
              hints=("a gentle hint", "a stronger hint"), prompt="What share of ... ?")
    def share_above():
        ...                                   # computed from workbook.load(...)

    discussion = written("02.3", prompt="what the chart shows")

Declaring changes nothing: the module is read the first time one of its ids is checked, and
the exercises found in it are registered then.  How each kind of answer is read and judged is
one table, ``workbook.answer_kinds.KINDS``.

A :class:`CheckResult` shows its message in a notebook and when printed.  ``bool(result)`` is
``True`` only for a right answer, so ``assert check("02.1", answer)`` works in grading tests;
in notebooks prefer reading ``result.correct``, which is ``True``, ``False`` or ``None`` (not
judged).
"""

from __future__ import annotations

import html
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import attempts, cell_runs
from .answer_kinds import KINDS, PLACEHOLDER, Unreadable, describe, judge, norm_text, shorten, wants
from .errors import DataError

__all__ = [
    "exercise",
    "written",
    "Exercise",
    "register",
    "check",
    "reset",
    "ids",
    "CheckResult",
    "KINDS",
    "MOVES",
]

RUBRIC = "WRITTEN_ANSWERS.md"  # beside the notebooks, in the repository and in a student's folder

MARKS = {True: "✅", False: "❌", None: "ℹ️", "problem": "⚠️"}
COLOURS = {True: "#009E73", False: "#D55E00", None: "#0072B2", "problem": "#E69F00"}


# --------------------------------------------------------------------------- the result


@dataclass
class CheckResult:
    """What ``check`` found: ``correct`` is True, False or None (not judged), and a message."""

    correct: bool | None
    message: str
    check_id: str = ""
    problem: bool = field(default=False, repr=False)  # the check itself could not run

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
        return (
            f'<div role="status" style="border-left: 4px solid {COLOURS[self._state]}; '
            f'padding: 0.3em 0.8em; margin: 0.3em 0;">{text}</div>'
        )


# --------------------------------------------------------------------------- declaring exercises

_ID_PATTERN = re.compile(r"(\d{2})\.\S+")

#: The historian's moves an exercise can train (Stanford History Education Group, *Reading Like a Historian*).
MOVES = ("sourcing", "contextualisation", "close reading", "corroboration")


@dataclass(frozen=True)
class Exercise:
    """One self-check: its id, the kind of answer, the expected answer, and what to say.

    - ``kind``: one of ``KINDS``.  "text" answers are not judged (the student is sent to the rubric).
    - ``expected``: a function with no arguments that computes the answer from ``workbook.load``
      (called at check time, never at import), or a fixed value (for "choice" and "ids").
      For "percent" it is the percentage (12.5 for 12.5 %); for "choice"/"ids" a value or a list
      of the values that together make the answer.
    - ``tolerance`` (relative) and/or ``abs_tol`` (absolute) for "number"/"percent"; without
      either, answers within 0.5 % of the expected value pass.
    - ``choices``: the options for "choice" (shown to a student whose answer is not one of them).
    - ``hints``: a ladder shown on the first, second, third... wrong try (the last repeats): a
      nudge, then the concept, then a worked example of a *similar* problem on another table or
      column.  Never this exercise's own solution (tests/test_hints.py runs every hint's code).
    - ``wants``: what the answer should look like, when the kind's wording does not fit
      (e.g. "a list of years, like [1111, 2222]").
    - ``item``: the word for one value of an "ids" answer in messages (default "id").
    - ``prompt``: what the exercise asks, in a few words (used when listing a notebook's checks).
    - ``rubric``: where the marking notes are (default ``WRITTEN_ANSWERS.md``, the guide beside the notebooks).
    - ``move``: the historian's move the exercise trains, one of ``MOVES`` (Stanford's *Reading Like a
      Historian*): sourcing, contextualisation, close reading, corroboration.  Progress reports group by it.

    Calling an exercise computes its expected answer (so ``n03.text_cut()`` still works).
    """

    check_id: str
    kind: str
    expected: object = None
    tolerance: float | None = None
    abs_tol: float | None = None
    choices: tuple = ()
    hints: tuple = ()
    prompt: str = ""
    rubric: str | None = None
    wants: str | None = None
    item: str = ""
    move: str = ""

    def __post_init__(self):
        check_id, kind = self.check_id, self.kind
        if self.move and self.move not in MOVES:
            raise ValueError(f"check {check_id}: move must be one of {', '.join(MOVES)}; got {self.move!r}")
        if not isinstance(check_id, str) or not _ID_PATTERN.fullmatch(check_id):
            raise ValueError(f'check ids look like "02.1" (notebook number, dot, exercise); got {check_id!r}')
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
        if KINDS[kind].judged and self.expected is None:
            raise ValueError(f"check {check_id}: a {kind!r} check needs an expected value or function")
        object.__setattr__(self, "choices", tuple(self.choices or ()))
        object.__setattr__(self, "hints", (self.hints,) if isinstance(self.hints, str) else tuple(self.hints))
        if kind == "choice":
            if not self.choices:
                raise ValueError(f"check {check_id}: a 'choice' check needs choices=[...]")
            if not callable(self.expected):
                options = {norm_text(c) for c in self.choices}
                missing = [e for e in _as_values(self.expected) if norm_text(e) not in options]
                if missing:
                    raise ValueError(f"check {check_id}: expected {missing!r} is not among the choices")

    def __call__(self):
        """The expected answer: computed now if it is a function, else the fixed value."""
        return self.expected() if callable(self.expected) else self.expected


def _as_values(value) -> list:
    return [value] if isinstance(value, str) or not hasattr(value, "__iter__") else list(value)


def exercise(check_id: str, *, kind: str, **options) -> Callable[[Callable], Exercise]:
    """Declare the function below as the expected answer of exercise ``check_id`` (see :class:`Exercise`)."""

    def declare(expected: Callable) -> Exercise:
        declared = Exercise(check_id, kind, expected=expected, **options)
        object.__setattr__(declared, "__doc__", expected.__doc__)
        return declared

    return declare


def written(check_id: str, *, prompt: str, rubric: str | None = None, move: str = "") -> Exercise:
    """Declare a written exercise: not judged; the student is pointed to the rubric."""
    return Exercise(check_id, "text", prompt=prompt, rubric=rubric, move=move)


# --------------------------------------------------------------------------- the registry

_REGISTRY: dict[str, Exercise] = {}
_TRIES: dict[str, int] = {}  # wrong tries per check id, in this Python process


def register(check_id, *, kind, expected=None, **options) -> Exercise:
    """Register a check made on the fly (a test, an instructor's own notebook); see :class:`Exercise`.

    The workbook's own exercises are declared in ``workbook/answers/nNN.py`` instead.  Registering
    the same id again replaces the earlier registration.
    """
    declared = Exercise(check_id, kind, expected=expected, **options)
    _REGISTRY[check_id] = declared
    return declared


def declared_in(module) -> list[Exercise]:
    """The exercises a notebook's answers module declares (those whose id has its number)."""
    prefix = module.__name__.rsplit(".", 1)[-1][1:]
    return [
        v for v in vars(module).values() if isinstance(v, Exercise) and v.check_id.startswith(prefix + ".")
    ]


def reset(check_id: str | None = None) -> None:
    """Forget the wrong tries (of one check, or of all), so hints start again from the first."""
    if check_id is None:
        _TRIES.clear()
    else:
        _TRIES.pop(check_id, None)


def _sort_key(check_id: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", check_id)]


def _load_notebook(prefix: str) -> str | None:
    """Read ``workbook.answers.nNN`` and register what it declares; a message when that fails, else None."""
    name = f"{__package__}.answers.n{prefix}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, f"{__package__}.answers"):
            return "missing"
        return f"the checks for notebook {prefix} could not be loaded ({exc})"
    except Exception as exc:  # noqa: BLE001 - a broken answers module must not show a traceback
        return f"the checks for notebook {prefix} could not be loaded ({type(exc).__name__}: {exc})"
    for declared in declared_in(module):
        _REGISTRY.setdefault(declared.check_id, declared)
    return None


def _notebook_prefixes() -> list[str]:
    try:
        answers = importlib.import_module(f"{__package__}.answers")
    except ImportError:
        return []
    found = {m.name[1:] for m in pkgutil.iter_modules(answers.__path__) if re.fullmatch(r"n\d{2}", m.name)}
    return sorted(found | {i[:2] for i in _REGISTRY})


def ids(notebook=None) -> list[str]:
    """The registered check ids: of one notebook (``ids("02")`` or ``ids(2)``), or of all."""
    prefixes = _notebook_prefixes() if notebook is None else [f"{int(notebook):02d}"]
    for prefix in prefixes:
        _load_notebook(prefix)
    return sorted((i for i in _REGISTRY if i[:2] in prefixes), key=_sort_key)


def _lookup(check_id) -> Exercise | CheckResult:
    """The registered check, or a CheckResult explaining why there is none."""
    if not isinstance(check_id, str):
        return CheckResult(
            None,
            f"The first thing in check(...) is the exercise id in quotes, like "
            f'check("02.1", answer); got {check_id!r}.',
        )
    check_id = check_id.strip()
    if len(check_id) > 20:
        return CheckResult(
            None,
            f'{shorten(check_id, 20)} is not a check id. Ids look like "02.1": the '
            "notebook number, a dot, the exercise number.",
        )
    if check_id in _REGISTRY:
        return _REGISTRY[check_id]
    match = _ID_PATTERN.fullmatch(check_id)
    if not match:
        return CheckResult(
            None,
            f'{check_id!r} is not a check id. Ids look like "02.1": the notebook '
            "number, a dot, the exercise number (copy it from the exercise).",
            check_id,
        )
    prefix = match.group(1)
    problem = _load_notebook(prefix)
    if check_id in _REGISTRY:
        return _REGISTRY[check_id]
    known = sorted((i for i in _REGISTRY if i.startswith(prefix + ".")), key=_sort_key)
    if problem not in (None, "missing"):
        return CheckResult(
            None, f"Sorry, {problem}. This is not your fault: tell your instructor.", check_id, problem=True
        )
    if not known:
        notebooks = ", ".join(_notebook_prefixes()) or "none yet"
        return CheckResult(
            None,
            f"There are no checks for a notebook {prefix} (notebooks with checks: "
            f"{notebooks}). Is the id {check_id!r} copied right?",
            check_id,
        )
    listing = "; ".join(f"{i} ({_REGISTRY[i].prompt})" if _REGISTRY[i].prompt else i for i in known)
    return CheckResult(None, f"There is no check {check_id!r}. Notebook {prefix} has: {listing}.", check_id)


# --------------------------------------------------------------------------- checking


def _wrong(spec: Exercise, note: str) -> CheckResult:
    tries = _TRIES[spec.check_id] = _TRIES.get(spec.check_id, 0) + 1
    hints = spec.hints or (
        "Check that you used the right rows and the right column for the question.",
        "Work one step at a time: print each intermediate result and check it "
        "against the question before the next step.",
    )
    hint = hints[min(tries, len(hints)) - 1]  # a ladder: one rung per wrong try, then the last again
    parts = ["Not yet." if tries == 1 else f"Not yet (try {tries}).", note, f"Hint: {hint}"]
    if tries >= max(3, len(hints) + 1):
        parts.append(
            f"Still stuck? Print the rows you used and compare them with the question, "
            f"then see {spec.rubric}."
            if spec.rubric
            else "Still stuck? Print the table and the rows you used, compare them with the "
            "question, and ask your instructor or a classmate to look with you."
        )
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
    stale = cell_runs.stale_answer(answer)
    if stale:
        name, error = stale
        return CheckResult(
            None,
            f"The cell that sets {name} stopped with an error ({error}), so {name} "
            "still holds its value from before: I have not checked it, and this "
            f"is not counted as a try. Fix that cell, run it, then run this one.",
            cid,
        )
    if answer is ... or (isinstance(answer, str) and answer.strip() in ("", "...", "…")):
        return CheckResult(
            None,
            PLACEHOLDER if answer is ... else f"Your answer is empty; this check wants {wants(spec)}.",
            cid,
        )
    if answer is None:
        return CheckResult(
            None,
            "Your answer is None (nothing). Did you write `answer = ` without a "
            "value, or use print(...) where the value itself was needed? This "
            f"check wants {wants(spec)}.",
            cid,
        )
    if not KINDS[spec.kind].judged:
        return _check_text(spec, answer)

    expected = spec.expected
    if callable(expected):
        try:
            expected = expected()
        except DataError as exc:
            return CheckResult(
                None,
                f"The data this check is computed from is broken, so it cannot "
                f"check your answer right now: {exc}. Tell your instructor "
                "(this is not your fault).",
                cid,
                problem=True,
            )
        except Exception as exc:  # noqa: BLE001 - a broken check must not show a traceback
            return CheckResult(
                None,
                f"Sorry, check {cid} itself has a problem ({type(exc).__name__}: "
                f"{exc}). Tell your instructor (this is not your fault).",
                cid,
                problem=True,
            )
    try:
        right, note = judge(spec, answer, expected)
    except Unreadable as exc:
        return CheckResult(None, str(exc), cid)
    except Exception as exc:  # noqa: BLE001
        return CheckResult(
            None,
            f"Sorry, check {cid} itself has a problem ({type(exc).__name__}: "
            f"{exc}). Tell your instructor (this is not your fault).",
            cid,
            problem=True,
        )
    attempts.note(cid, attempts.PASSED if right else attempts.TRIED)  # for progress()
    if right:
        _TRIES.pop(cid, None)
        return CheckResult(True, " ".join(p for p in ("Correct!", note) if p), cid)
    return _wrong(spec, note)


_TEXT_PLACEHOLDERS = {
    "",
    "your answer here",
    "type your answer here",
    "write your answer here",
    "answer here",
    "todo",
    "tbd",
}


def _check_text(spec: Exercise, answer) -> CheckResult:
    if not isinstance(answer, str):
        return CheckResult(
            None,
            f"Your answer is {describe(answer)}; this exercise wants {KINDS['text'].wants}.",
            spec.check_id,
        )
    if norm_text(answer).strip(". ") in _TEXT_PLACEHOLDERS:
        return CheckResult(
            None,
            "You haven't written your answer yet: replace the placeholder with a few sentences of your own.",
            spec.check_id,
        )
    rubric = spec.rubric or RUBRIC
    attempts.note(spec.check_id, attempts.WRITTEN)
    return CheckResult(
        None,
        f"Thanks: written answers are not checked automatically. Compare yours "
        f"with the rubric ({rubric}) or discuss it in class.",
        spec.check_id,
    )
