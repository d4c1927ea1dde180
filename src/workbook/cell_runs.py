"""Which variables a failed notebook cell left holding an old value, so ``check`` does not judge them.

In a notebook, when ``answer = ...`` raises before the assignment happens, ``answer`` keeps the
value an earlier run gave it, and the ``check`` cell below would judge that stale value.  Two IPython
events tell us: before a cell runs (``pre_run_cell``) we note the names it assigns and the objects
they hold; after it (``post_run_cell``), if it raised, every such name still bound to the *same*
object is stale until a later cell assigns it successfully.  Outside IPython nothing is recorded and
nothing is ever stale.
"""

from __future__ import annotations

import ast
import re

_MISSING = object()
_ASSIGNED = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]*(?:[-+*/%]|//)?=(?!=)", re.M)   # for cells that do not parse

_state = {"shell": None, "cell": "", "before": {}, "stale": {}}


def assigned_names(source: str) -> set[str]:
    """The names a cell binds at its top level (``x = ...``, ``x += ...``, ``for x in``, ``import x``...)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set(_ASSIGNED.findall(source[:100_000]))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def checked_names(source: str) -> list[str]:
    """The variable names handed to ``check(...)`` as the answer in a cell's source."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "check":
            args = list(node.args[1:2]) + [k.value for k in node.keywords if k.arg == "answer"]
            found += [a.id for a in args if isinstance(a, ast.Name)]
    return found


def _pre_run_cell(info) -> None:
    source = getattr(info, "raw_cell", "") or ""
    namespace = _state["shell"].user_ns
    _state["cell"] = source
    _state["before"] = {n: namespace.get(n, _MISSING) for n in assigned_names(source)}


def _post_run_cell(result) -> None:
    namespace, stale = _state["shell"].user_ns, _state["stale"]
    failed = result.error_before_exec or result.error_in_exec
    before = _state["before"]
    if not before and failed:          # pre_run_cell did not run (e.g. a syntax error): the names only
        source = getattr(getattr(result, "info", None), "raw_cell", "") or ""
        before = {n: namespace.get(n, _MISSING) for n in assigned_names(source)}
    for name, old in before.items():
        if failed and namespace.get(name, _MISSING) is old and old is not _MISSING:
            stale[name] = (type(failed).__name__, old)
        else:
            stale.pop(name, None)
    _state["before"] = {}


def current_cell() -> str:
    """The source of the cell now running (empty outside IPython)."""
    return _state["cell"] if _state["shell"] is not None else ""


def stale_answer(answer) -> tuple[str, str] | None:
    """(name, error) when ``answer`` is the left-over value of a name whose last assigning cell failed."""
    stale = _state["stale"]
    if _state["shell"] is None or not stale:
        return None
    named = [n for n in checked_names(_state["cell"]) if n in stale]
    candidates = named or list(stale)
    for name in candidates:
        error, old = stale[name]
        if old is answer and _state["shell"].user_ns.get(name, _MISSING) is answer:
            return name, error
    return None


def enable(shell) -> None:
    """Start watching cells in ``shell`` (an IPython InteractiveShell); calling it again does nothing."""
    if _state["shell"] is shell:
        return
    disable()
    _state.update(shell=shell, cell="", before={}, stale={})
    shell.events.register("pre_run_cell", _pre_run_cell)
    shell.events.register("post_run_cell", _post_run_cell)


def disable() -> None:
    """Stop watching cells and forget what was recorded."""
    shell = _state["shell"]
    if shell is not None:
        for event, callback in (("pre_run_cell", _pre_run_cell), ("post_run_cell", _post_run_cell)):
            try:
                shell.events.unregister(event, callback)
            except ValueError:
                pass
    _state.update(shell=None, cell="", before={}, stale={})
