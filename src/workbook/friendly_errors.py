"""Errors a beginner understands: one short block in the notebook, with the full traceback folded away.

Importing ``workbook`` in a Jupyter kernel installs an IPython custom exception handler (the idea
of Data 8's ``d8error``).  For the errors it recognises (the workbook's own messages, a misspelt
column, an undefined name or an unquoted word) it shows the real exception type and message, what
it means and what to try, and puts the full traceback under "Details".  Every other error gets
IPython's usual traceback.  The cell still fails as before (the kernel reports the error, "Run all"
stops, nbgrader and nbclient see it): only what is shown changes.

Not installed in plain Python or a terminal IPython; never used in cells that hold nbgrader's
hidden tests.  Switch it off with ``workbook.friendly_errors.disable()`` (back on: ``enable()``),
or for every kernel with the environment variable ``WORKBOOK_FRIENDLY_ERRORS=0``.
"""

from __future__ import annotations

import difflib
import html
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import cell_runs
from .errors import DataError, ReadingsNotFound, UnknownName

__all__ = ["Help", "explain", "enable", "disable", "enabled", "enable_in_kernel"]

PACKAGE = Path(__file__).resolve().parent
OFF = {"0", "off", "no", "false"}
GRADING_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_state = {"shell": None}
CHEATSHEET = "PANDAS_CHEATSHEET.md (beside the notebooks) shows the few table moves the workbook uses."


@dataclass
class Help:
    """What to show for one error: its headline (after the exception type) and tips."""

    headline: str
    tips: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- recognising errors


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def _raised_in_workbook(tb) -> bool:
    """True when the innermost frame is the workbook's own code (a message we wrote on purpose)."""
    last = None
    for frame in _frames(tb):
        last = frame
    if last is None:
        return False
    try:
        return Path(last.f_code.co_filename).resolve().is_relative_to(PACKAGE)
    except (OSError, ValueError):
        return False


def _nearest(word: str, options, n: int = 3) -> list[str]:
    options = [str(o) for o in options]
    folded = {o.casefold(): o for o in options}
    same = [folded[word.casefold()]] if word.casefold() in folded and folded[word.casefold()] != word else []
    return same + [o for o in difflib.get_close_matches(word, options, n=n, cutoff=0.6) if o not in same]


def _listing(items, limit: int = 20) -> str:
    items = [str(i) for i in items]
    more = f" … and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _column_help(key: str, columns, what: str = "column") -> Help:
    near = _nearest(key, columns)
    tips = [f"Did you mean {near[0]!r}?"] if near else []
    tips.append(
        f"The {what}s of this table are: {_listing(columns)}. Names must match exactly "
        "(spelling, capitals, underscores)."
    )
    tips.append(CHEATSHEET)
    return Help(f"this table has no {what} called {key!r}.", tips)


def _pandas_key_error(value, tb) -> Help | None:
    import pandas as pd

    key = value.args[0] if value.args else None
    if not isinstance(key, str):
        return None
    for frame in reversed(list(_frames(tb))):
        obj = frame.f_locals.get("self")
        if isinstance(obj, pd.DataFrame):
            return _column_help(key, obj.columns)
        if isinstance(obj, pd.Series) and obj.index.dtype == object:
            return _column_help(key, obj.index, what="label")
    return None


def _attribute_help(value) -> Help | None:
    import pandas as pd

    obj, name = getattr(value, "obj", None), getattr(value, "name", None)
    if not isinstance(obj, pd.DataFrame) or not isinstance(name, str):
        return None
    methods = [m for m in dir(obj) if not m.startswith("_")]
    near_columns, near_methods = _nearest(name, obj.columns), _nearest(name, methods, n=2)
    tips = []
    if near_columns:
        tips.append(f"Did you mean the column {near_columns[0]!r}? Write table[{near_columns[0]!r}].")
    if near_methods:
        tips.append(f"Or the method .{near_methods[0]}(...)?")
    tips.append(f"The columns of this table are: {_listing(obj.columns)}.")
    tips.append(CHEATSHEET)
    return Help(f"a table (DataFrame) has no column or method called {name!r}.", tips)


def _answer_target(cell: str) -> str | None:
    """The ``answer...`` name a cell assigns, if it is an answer cell."""
    found = sorted(n for n in cell_runs.assigned_names(cell) if n.lower().startswith("answer"))
    return found[0] if found else None


def _name_help(value, namespace: dict, cell: str) -> Help | None:
    name = getattr(value, "name", None)
    if not isinstance(name, str):
        match = re.search(r"name '(\w+)' is not defined", str(value))
        name = match.group(1) if match else None
    if not name:
        return None
    if name.lower().startswith("answer"):
        return Help(
            f"{name} has no value yet.",
            [
                f"Run the answer cell that sets {name} (the one above this cell) first, then run "
                "this one again. After a restart, run the notebook's cells from the top."
            ],
        )
    found = _defining_cell(name, namespace, cell)
    if found is not None and found[3]:
        number, heading, _first_line, _below = found
        under = f', under "{heading}"' if heading else ""
        return Help(
            f"Python does not know the name {name} here: only a cell further down sets it "
            f"(cell {number}{under}).",
            [
                "This cell comes before it, so work from what the cells above give you. "
                "Running the notebook from the top must work, in order.",
                f"If {name} is something you meant to compute yourself, write that step in this cell.",
            ],
        )
    if found is not None:
        number, heading, first_line, _below = found
        under = f', under "{heading}"' if heading else ""
        return Help(
            f"Python does not know the name {name} yet.",
            [
                f"Run the cell that defines {name} first: it is cell {number} of this notebook "
                f"(counting every cell from the top{under}), the one that starts `{first_line}`. "
                "Then run this cell again.",
                "After a restart or a reopen, the quickest way is Run > Run All Above Selected Cell.",
            ],
        )
    tips = []
    target = _answer_target(cell)
    if target:
        tips.append(
            f"If you meant the word {name} as your answer, put text in quotes: "
            f'{target} = "{name}". Without quotes Python looks for a variable called {name}.'
        )
    defined = [n for n in namespace if not n.startswith("_") and n not in ("In", "Out", "exit", "quit")]
    if target:  # an answer is a word or a number: suggest only names that hold one, not tables or functions
        defined = [
            n
            for n in defined
            if isinstance(namespace[n], (str, int, float)) and not isinstance(namespace[n], bool)
        ]
    near = _nearest(name, defined)
    if near:
        tips.append(f"Did you mean {' or '.join(near[:2])}? (names are case-sensitive)")
    tips.append(
        f"If {name} is set in a cell above, run that cell first. After a restart, run the cells "
        "from the top (Run > Run All Above Selected Cell)."
    )
    return Help(f"Python does not know the name {name}.", tips)


def notebook_path(namespace: dict) -> Path | None:
    """The notebook this kernel runs (Jupyter tells the kernel in ``__session__``/``JPY_SESSION_NAME``)."""
    named = namespace.get("__session__") or os.environ.get("JPY_SESSION_NAME") or ""
    if not isinstance(named, str) or not named.endswith(".ipynb"):
        return None
    path = Path(named)
    for candidate in (path, Path.cwd() / path.name):
        if candidate.is_absolute() and candidate.is_file():
            return candidate
    return None


def _defining_cell(name: str, namespace: dict, current: str) -> tuple[int, str, str, bool] | None:
    """(cell number from 1, the heading above it, its first line, below?) of the saved cell that sets ``name``.

    The one nearest above the running cell when that cell is found in the saved notebook, else the
    first.  When the running cell is found and only cells below it set the name, the first of those,
    with ``below`` True (an answer must not lean on it: Run All would hide the slip).  None when the
    notebook can't be read or no cell sets the name.
    """
    import json

    path = notebook_path(namespace)
    if path is None or path.stat().st_size > 20_000_000:
        return None
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    sources = [
        "".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", ""))
        for c in cells
    ]
    here = next(
        (i for i, s in enumerate(sources) if current.strip() and s.strip() == current.strip()), len(cells)
    )
    setters = [
        i
        for i, c in enumerate(cells)
        if c.get("cell_type") == "code" and name in cell_runs.assigned_names(sources[i])
    ]
    if not setters:
        return None
    above = [i for i in setters if i < here]
    below = here < len(cells) and not above
    index = above[-1] if above else setters[0]
    heading = ""
    for i in range(index, -1, -1):
        if cells[i].get("cell_type") == "markdown":
            titles = [line.lstrip("#").strip() for line in sources[i].splitlines() if line.startswith("#")]
            if titles:
                heading = titles[-1]
                break
    first_line = next(
        (
            line.strip()
            for line in sources[index].splitlines()
            if line.strip() and not line.strip().startswith("#")
        ),
        "",
    )
    return index + 1, heading, first_line[:60] + (" …" if len(first_line) > 60 else ""), below


_UNEXPECTED = re.compile(r"(\w+)\(\) got an unexpected keyword argument '(\w+)'")


def _argument_help(value) -> Help | None:
    """``charts.timeline(colour=...)``: a misspelt argument of one of the workbook's functions."""
    match = _UNEXPECTED.match(str(value))
    if not match:
        return None
    function, argument = match.groups()
    modules = [
        sys.modules.get(f"workbook{m}") for m in ("", ".charts", ".widgets", ".checks", ".reading_guide")
    ]
    found = [getattr(m, function) for m in modules if m is not None and callable(getattr(m, function, None))]
    if not found:
        return None
    import inspect

    try:
        params = [n for n in inspect.signature(found[0]).parameters if not n.startswith("_")]
    except (TypeError, ValueError):
        return None
    near = _nearest(argument, params)
    tips = [f"Did you mean {near[0]}=...?"] if near else []
    tips.append(f"{function}() takes: {', '.join(params)}. help({function}) explains each one.")
    return Help(f"{function}() has no argument called {argument!r}.", tips)


_ANSWER_LINE = re.compile(r"^[ \t]*(answer\w*)[ \t]*=([^=\n#][^\n#]*)", re.M | re.I)  # linear: no overlaps


def _syntax_help(cell: str) -> Help | None:
    """``answer = East China Sea``: words without quotes in an answer cell."""
    match = _ANSWER_LINE.search(cell[:5000])
    words = match.group(2).strip() if match else ""
    if " " not in words or not re.fullmatch(r"[A-Za-z][A-Za-z .'-]*", words):
        return None
    name = match.group(1)
    return Help(
        "Python cannot read this cell.",
        [f'If {words} is your answer, put text in quotes: {name} = "{words}".'],
    )


def explain(etype, value, tb, namespace: dict | None = None, cell: str = "") -> Help | None:
    """Help for an error a beginner is likely to meet, or None to show the usual traceback."""
    if isinstance(value, (DataError, ReadingsNotFound, UnknownName)) or (
        isinstance(value, (ValueError, TypeError, LookupError)) and _raised_in_workbook(tb)
    ):
        text = str(value)
        return Help(
            text if len(text) < 2000 else text[:2000] + " …",
            ["This message comes from the workbook: it says what was wrong and what it expected."],
        )
    if isinstance(value, KeyError):
        return _pandas_key_error(value, tb)
    if isinstance(value, AttributeError):
        return _attribute_help(value)
    if isinstance(value, NameError):
        return _name_help(value, namespace or {}, cell)
    if isinstance(value, SyntaxError):
        return _syntax_help(cell)
    if isinstance(value, TypeError):
        return _argument_help(value)
    return None


# --------------------------------------------------------------------------- showing them


def render(etype, help_: Help, details: str) -> dict:
    """The display bundle: HTML with the details folded in <details>, and plain text."""
    title = f"{etype.__name__}: {help_.headline}"
    plain = "\n".join(
        [
            f"⚠️ {title}",
            *(f"  - {t}" for t in help_.tips),
            "Details (the full error, for when you ask for help):",
            details,
        ]
    )
    tips = "".join(f"<li>{html.escape(t)}</li>" for t in help_.tips)
    page = (
        f'<div role="alert" class="workbook-error" style="border-left: 4px solid #D55E00; '
        f'padding: 0.3em 0.8em; margin: 0.3em 0;"><p><strong>⚠️ {html.escape(etype.__name__)}</strong>: '
        f"{html.escape(help_.headline)}</p>"
        + (f"<ul>{tips}</ul>" if tips else "")
        + "<details><summary>Details (the full error, for when you ask for help)</summary>"
        f'<pre style="font-size: 0.85em; white-space: pre-wrap;">{html.escape(details)}</pre>'
        "</details></div>"
    )
    return {"text/plain": plain, "text/html": page}


def _handle(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: shows the error (friendly or as usual), as IPython would.

    IPython ignores what a handler returns (it is validated, then dropped), so the handler shows
    the error itself: ``showtraceback`` for the usual traceback, ``_showtraceback`` (what ipykernel
    turns into the cell's error output) for the one-line version under the friendly block.
    """
    cell = cell_runs.current_cell()
    help_ = None
    if not any(marker in cell for marker in GRADING_MARKERS):  # graders' hidden tests: as usual
        try:
            help_ = explain(etype, value, tb, shell.user_ns, cell)
        except Exception:  # noqa: BLE001 - explaining must never replace the real error
            help_ = None
    if help_ is None:
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %debug and %tb
    if sys.version_info >= (3, 12):
        sys.last_exc = value
    from IPython.display import display

    full = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    display(render(etype, help_, _ANSI.sub("", "\n".join(full))), raw=True)
    message = str(value)
    message = message if len(message) <= 200 else message[:200] + " …"
    shell._showtraceback(
        etype,
        value,
        [
            f"\x1b[0;31m{etype.__name__}\x1b[0m: {message}  (explained above; "
            'the full error is under "Details")'
        ],
    )
    return None


def enabled() -> bool:
    """True when the friendly handler is installed in the running IPython."""
    return _state["shell"] is not None


def enable(shell=None) -> bool:
    """Install the friendly handler in ``shell`` (default: the running IPython); False if not possible.

    Leaves alone a shell where someone else already installed a custom exception handler.
    """
    if shell is None:
        shell = _running_shell()
    if shell is None:
        return False
    if shell.custom_exceptions and _state["shell"] is not shell:
        return False
    shell.set_custom_exc((Exception,), _handle)
    _state["shell"] = shell
    return True


def disable() -> None:
    """Remove the friendly handler: errors show IPython's usual traceback again."""
    shell = _state["shell"]
    if shell is not None:
        shell.set_custom_exc((), None)
    _state["shell"] = None


def _running_shell():
    ipython = sys.modules.get("IPython")  # never import IPython in plain Python
    return ipython.get_ipython() if ipython is not None else None


def enable_in_kernel() -> bool:
    """On ``import workbook``: watch cells, and install the handler when running in a Jupyter kernel."""
    shell = _running_shell()
    if shell is None:
        return False
    cell_runs.enable(shell)
    if getattr(shell, "kernel", None) is None:  # a terminal IPython: plain tracebacks
        return False
    if os.environ.get("WORKBOOK_FRIENDLY_ERRORS", "").strip().lower() in OFF:
        return False
    return enable(shell)
