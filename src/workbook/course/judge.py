"""The graders' tests judged in a separate interpreter, on the values the student's notebook produced.

Grading runs the student's cells in their kernel (A) and never sends it a test cell. At each test
cell, the runner (:mod:`workbook.course.sandbox_runner`) asks A for the names the test reads
(:func:`free_names`); A answers with :func:`encode_names`, a typed JSON of plain values (None, bool,
int, float, str, list, tuple, dict, set, NumPy and a few pandas scalars; anything else becomes an
opaque ``<unserialisable: type>``). The judge (B), this file run as a program inside the same
sandbox, never runs the student's code: it decodes the values strictly (:func:`decode`, JSON and the
type tags only: no pickle, no eval, no student class), binds them as globals, runs the test cell and
sends back its outputs. Chosen over a guard in A because anything in A can be forged, including the
guard; A can only send values the student could have computed, and never sees a hidden test.

Protocol (one JSON line each way): B first says ``{"ready": true}`` once nothing of the same user can
trace it; then per request ``{"source", "values", "output_chars"}`` it answers ``{"outputs": [...]}``.
Only the standard library here (B imports the workbook to warm up; the runner imports none of it).
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import select
import subprocess
import sys
import time
import typing

#: Nesting and size beyond which a value is sent as unserialisable (keeps A's answer bounded).
MAX_DEPTH = 50
MAX_ITEMS = 200_000
MAX_PAYLOAD = 16 << 20  # characters of A's whole answer the runner accepts

#: NumPy scalar types that travel, by name (decoded by ``getattr(numpy, name)`` from this list only).
NUMPY_SCALARS = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "str_",
)


class Unserialisable:
    """Stands in the judge for a value that cannot travel: equal only to itself, of no answer's type."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<unserialisable: {self.type_name}>"


class _TooLarge(Exception):
    """A value nested deeper than :data:`MAX_DEPTH` or with more than :data:`MAX_ITEMS` parts."""


class DecodeError(ValueError):
    """What A sent is not a value in this encoding."""


# ------------------------------------------------------------------------ which names a test reads


def free_names(source: str) -> list[str]:
    """Names the test cell reads and does not define itself (builtins left out), sorted."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # the judge reports the SyntaxError itself
    read: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return sorted(read - bound - set(dir(builtins)))


def _not_values(source: str) -> set[str]:
    """Names a cell binds to what cannot travel to the judge: imports, functions, classes."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
    return found


def unjudgeable(cells: list[tuple[str, bool, str]]) -> list[str]:
    """For ``cells`` (id, is a test, source) in order: each test that reads a module, function or
    class an earlier cell imports or defines.  The judge gets only values, so such a test fails for
    every student, model answer included; ``workbook release`` refuses it (``nbgrader validate``
    runs tests in the student's kernel and cannot see it)."""
    problems: list[str] = []
    earlier: set[str] = set()
    for cell_id, is_test, source in cells:
        if is_test:
            for name in sorted(set(free_names(source)) & earlier):
                problems.append(
                    f"{cell_id}: the test reads `{name}`, which an earlier cell imports or defines; tests "
                    f"are judged apart from the student's kernel, on plain values only: import or define "
                    f"`{name}` in the test cell itself"
                )
        else:
            earlier |= _not_values(source)
    return problems


def gather_expression(names: list[str]) -> str:
    """What A evaluates (an IPython user expression) to answer with the values of ``names``."""
    return (
        f"__import__('workbook.course.judge', fromlist=['encode_names']).encode_names(globals(), {names!r})"
    )


# ------------------------------------------------------------------------------- encoding (in A)


def _encode(value, depth: int, budget: list[int]):
    """One value as ``[tag, ...]``; exact types only, so no method of a student's class is called."""
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise _TooLarge
    kind = type(value)
    if value is None:
        return ["none"]
    if kind is bool:
        return ["bool", value]
    if kind is int:
        return ["int", format(value, "x")]
    if kind is float:
        return ["float", value.hex()]
    if kind is str:
        return ["str", value]
    if kind in (list, tuple, set, frozenset):
        tag = kind.__name__
        return [tag, [_encode(item, depth + 1, budget) for item in list(value)]]
    if kind is dict:
        return [
            "dict",
            [[_encode(k, depth + 1, budget), _encode(v, depth + 1, budget)] for k, v in value.items()],
        ]
    module = getattr(kind, "__module__", "")
    numpy = sys.modules.get("numpy")
    if module == "numpy" and numpy is not None:
        for name in NUMPY_SCALARS:
            if kind is getattr(numpy, name, None):
                return ["numpy", name, _encode(value.item(), depth + 1, budget)]
    pandas = sys.modules.get("pandas")
    if pandas is not None and module.startswith("pandas"):
        if value is pandas.NA:
            return ["pandas.NA"]
        if value is pandas.NaT:
            return ["pandas.NaT"]
        if kind is pandas.Timestamp and value.tz is None:
            return ["pandas.Timestamp", value.isoformat(), value.unit]
        if kind is pandas.Timedelta:
            return ["pandas.Timedelta", format(value.as_unit("ns").value, "x"), value.unit]
    return ["?", getattr(kind, "__qualname__", "object")[:100]]


def encode(value) -> list:
    """``value`` as a JSON-ready tagged list (see :func:`decode`); never raises."""
    try:
        return _encode(value, 0, [MAX_ITEMS])
    except _TooLarge:
        return ["?", f"{type(value).__name__} too large or too deeply nested"]
    except Exception as error:  # a value that changed while read, a NumPy/pandas oddity
        return ["?", type(error).__name__]


def encode_names(namespace: dict, names: list[str]) -> str:
    """A's answer: the JSON of ``{name: encoded value}`` for the names it has (the others left out)."""
    found = {name: encode(namespace[name]) for name in names if name in namespace}
    return json.dumps(found)


# ------------------------------------------------------------------------------- decoding (in B)


def _items(content, depth: int) -> list:
    if not isinstance(content, list):
        raise DecodeError("items are not a list")
    return [_decode(item, depth + 1) for item in content]


def _decode(node, depth: int):
    if depth > MAX_DEPTH + 2:
        raise DecodeError("nested too deep")
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        raise DecodeError("not a tagged value")
    tag, rest = node[0], node[1:]
    if tag == "none" and not rest:
        return None
    if tag == "bool" and len(rest) == 1 and type(rest[0]) is bool:
        return rest[0]
    if tag == "int" and len(rest) == 1 and type(rest[0]) is str and len(rest[0]) <= 10_000:
        return int(rest[0], 16)
    if tag == "float" and len(rest) == 1 and type(rest[0]) is str and len(rest[0]) <= 40:
        return float.fromhex(rest[0])
    if tag == "str" and len(rest) == 1 and type(rest[0]) is str:
        return rest[0]
    if tag in ("list", "tuple", "set", "frozenset") and len(rest) == 1:
        items = _items(rest[0], depth)
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict" and len(rest) == 1 and isinstance(rest[0], list):
        pairs = rest[0]
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            raise DecodeError("a dict item is not a [key, value] pair")
        return {_decode(k, depth + 1): _decode(v, depth + 1) for k, v in pairs}
    if tag == "numpy" and len(rest) == 2 and rest[0] in NUMPY_SCALARS:
        import numpy

        inner = _decode(rest[1], depth + 1)
        if type(inner) not in (bool, int, float, str):
            raise DecodeError("a NumPy scalar holds a plain bool, int, float or str")
        return getattr(numpy, rest[0])(inner)
    if tag.startswith("pandas."):
        import pandas

        if tag in ("pandas.NA", "pandas.NaT") and not rest:
            return pandas.NA if tag == "pandas.NA" else pandas.NaT
        if len(rest) == 2 and all(type(part) is str for part in rest) and rest[1] in ("s", "ms", "us", "ns"):
            if tag == "pandas.Timestamp" and len(rest[0]) <= 40:
                return pandas.Timestamp(rest[0]).as_unit(rest[1])
            if tag == "pandas.Timedelta" and len(rest[0]) <= 40:
                return pandas.Timedelta(int(rest[0], 16), unit="ns").as_unit(rest[1])
    if tag == "?" and len(rest) == 1 and type(rest[0]) is str:
        return Unserialisable(rest[0][:100])
    raise DecodeError(f"unknown or malformed tag {tag[:40]!r}")


def decode(node):
    """The value of one tagged list from A; raises :class:`DecodeError` on anything else."""
    try:
        return _decode(node, 0)
    except DecodeError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError) as error:  # e.g. an unhashable key
        raise DecodeError(f"{type(error).__name__}: {error}") from None


def decode_names(payload: str, wanted: list[str] | None = None) -> dict[str, object]:
    """A's answer as ``{name: value}`` (only the ``wanted`` names, when given); a value that does not
    decode stands as unserialisable."""
    try:
        found = json.loads(payload, parse_constant=lambda name: None)
    except (ValueError, RecursionError) as error:
        raise DecodeError(f"not JSON: {error}") from None
    if not isinstance(found, dict):
        raise DecodeError("not a JSON object")
    values = {}
    for name, node in found.items():
        if not name.isidentifier() or (wanted is not None and name not in wanted):
            continue
        try:
            values[name] = decode(node)
        except DecodeError as error:
            values[name] = Unserialisable(f"unreadable ({str(error)[:80]})")
    return values


# ------------------------------------------------------------------------------ the judge itself (B)


def run_test(source: str, values: dict, namespace: dict, output_chars: int) -> list[dict]:
    """Run one test cell in ``namespace`` with ``values`` bound; its outputs, nbformat-style."""
    import contextlib
    import io
    import linecache
    import traceback

    namespace.update(values)
    namespace["__builtins__"] = builtins
    filename = f"<graders' test {len(linecache.cache)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    printed = io.StringIO()
    outputs: list[dict] = []
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            exec(compile(source, filename, "exec", dont_inherit=True), namespace)
    except BaseException as error:  # noqa: BLE001 - the test's failure is the result (SystemExit too)
        failure: BaseException | None = error
    else:
        failure = None
    text = printed.getvalue()
    if text:
        outputs.append({"output_type": "stream", "name": "stdout", "text": text[:output_chars]})
    if failure is not None:
        try:
            lines, message = (
                traceback.format_exception(type(failure), failure, _below_judge(failure)),
                str(failure),
            )
        except Exception:  # an exception that cannot say what it is
            lines, message = [type(failure).__name__], ""
        outputs.append(
            {
                "output_type": "error",
                "ename": type(failure).__name__,
                "evalue": message,
                "traceback": [line[:5000] for line in lines[:200]],
            }
        )
    return outputs


def _below_judge(failure: BaseException):
    """The traceback from the test's own frame down (the judge's exec call left out)."""
    return failure.__traceback__.tb_next if failure.__traceback__ else None


def _not_dumpable() -> None:
    """Out of reach of the student's code (same uid): no ptrace, no /proc/<pid>/mem or fd."""
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE = 4
        raise OSError("prctl(PR_SET_DUMPABLE) failed")


def main() -> int:
    """B: say ready once untraceable, warm up, then judge one request per line until stdin ends."""
    _not_dumpable()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything else printed goes to stderr, never into the results
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    try:  # what every test imports, while the student's kernel starts
        import workbook  # noqa: F401
    except Exception:
        pass
    namespace: dict = {"__name__": "__main__"}
    from_kernel: set[str] = set()  # names bound from A's values (the rest: defined by earlier tests)
    for line in sys.stdin:
        request = json.loads(line)
        wanted = free_names(request["source"])
        try:
            values = decode_names(request["values"], wanted)
        except DecodeError as error:
            outputs = [_error("JudgeError", f"the submission's values could not be read: {error}")]
        else:
            for name in set(wanted) & from_kernel - set(values):  # gone from A since: gone here too
                namespace.pop(name, None)
            from_kernel.update(values)
            outputs = run_test(request["source"], values, namespace, int(request["output_chars"]))
        out.write(json.dumps({"outputs": outputs}) + "\n")
        out.flush()
    return 0


def _error(ename: str, evalue: str) -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


# ---------------------------------------------------------------------- the runner's side (in the sandbox)


class JudgeGone(RuntimeError):
    """The judge stopped (killed, timed out or crashed): no more tests can be judged."""


class Judge:
    """The runner's handle on B: started before the student's kernel, one per submission."""

    def __init__(self, python: str, startup_seconds: float = 60):
        env = {k: v for k, v in os.environ.items() if k not in ("HOME", "TMPDIR")}
        env["HOME"] = "/nonexistent"  # nothing the student's code could write is read by the judge
        self.process = subprocess.Popen(
            [python, "-I", os.path.abspath(__file__)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            cwd="/",
            env=env,
        )
        self.stdin = typing.cast(typing.IO[bytes], self.process.stdin)
        self.stdout = typing.cast(typing.IO[bytes], self.process.stdout)
        self.buffer = b""
        if self._line(time.monotonic() + startup_seconds) != {"ready": True}:
            self.close()
            raise JudgeGone("the judge did not start")

    def _line(self, deadline: float):
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.stdout], [], [], left)[0]:
                return None
            block = os.read(self.stdout.fileno(), 1 << 16)
            if not block or len(self.buffer) > 4 * MAX_PAYLOAD:
                return None
            self.buffer += block
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return None

    def judge(self, source: str, values: str, output_chars: int, seconds: float) -> list[dict] | None:
        """The test's outputs, or None when it ran past ``seconds`` (the judge is then stopped)."""
        if self.process.poll() is not None:
            raise JudgeGone("the judge stopped")
        request = {"source": source, "values": values, "output_chars": output_chars}
        try:
            self.stdin.write((json.dumps(request) + "\n").encode())
            self.stdin.flush()
        except OSError:
            raise JudgeGone("the judge stopped") from None
        reply = self._line(time.monotonic() + seconds)
        if isinstance(reply, dict) and isinstance(reply.get("outputs"), list):
            return reply["outputs"]
        timed_out = self.process.poll() is None
        self.close()
        if timed_out:
            return None
        raise JudgeGone("the judge stopped")

    def close(self) -> float:
        """Stop the judge and reap it; the CPU seconds it used (0 when reaped before)."""
        if self.process.returncode is not None:
            return 0.0
        try:
            self.process.kill()
        except OSError:
            pass
        try:
            _pid, _status, usage = os.wait4(self.process.pid, 0)
        except ChildProcessError:
            return 0.0
        self.process.returncode = -9
        return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    sys.exit(main())
