"""The judge's wire format and process (workbook.course.judge): values round-trip exactly, nothing
else does, and a test runs in a separate interpreter on values only (no sandbox needed here)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbook.course import judge

ROOT = Path(__file__).resolve().parents[1]

PLAIN = [
    None,
    True,
    False,
    0,
    -7,
    2**200,
    -(2**5000),
    0.1,
    -0.0,
    math.inf,
    -math.inf,
    1e-310,
    "",
    "Okinawa 沖縄 \x00 \n",
    [1, "a", [2.5, None]],
    (1, (2,), ()),
    {"a": 1, 3: [True], (1, "x"): {"n": None}, 2.5: False, None: 0, frozenset({1}): 1},
    {1, "two", (3,)},
    frozenset({"x"}),
    np.float64(4.25),
    np.int64(-3),
    np.int8(5),
    np.uint64(2**64 - 1),
    np.float32(0.1),
    np.float16(1.5),
    np.bool_(True),
    np.str_("text"),
    pd.Timestamp("2007-03-01 12:00:00.000000123"),
    pd.Timestamp("1990-01-01").as_unit("s"),
    pd.Timedelta(days=3, nanoseconds=5),
    pd.NaT,
    pd.NA,
]


def round_trip(value):
    return judge.decode_names(judge.encode_names({"v": value}, ["v"]))["v"]


def same(a, b) -> bool:
    """Equal, of exactly the same type, all the way down."""
    if type(a) is not type(b):
        return False
    if a is pd.NA or a is pd.NaT:
        return a is b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(k, j) and same(a[k], b[j]) for k, j in zip(a, b))
    if isinstance(a, float):
        return a.hex() == b.hex()
    if isinstance(a, pd.Timestamp):
        return a == b and a.unit == b.unit
    return a == b


@pytest.mark.parametrize("value", PLAIN, ids=lambda v: type(v).__name__)
def test_plain_values_round_trip_exactly(value):
    assert same(round_trip(value), value), (value, round_trip(value))


def test_nan_round_trips_as_nan():
    back = round_trip([math.nan, np.float64("nan")])
    assert type(back[0]) is float and math.isnan(back[0])
    assert type(back[1]) is np.float64 and np.isnan(back[1])


class Liar(float):
    """An answer that says it equals anything (the adversarial class's ``liar``)."""

    compared: list[str] = []

    def __eq__(self, other):
        Liar.compared.append("eq")
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (Liar(1.0), "Liar"),
        (pd.DataFrame({"a": [1]}), "DataFrame"),
        (print, "builtin_function_or_method"),
        (np.array([1, 2]), "ndarray"),
        (np.datetime64("2007"), "datetime64"),
        (pd.Timestamp("2007", tz="Asia/Tokyo"), "Timestamp"),
        (type("MyList", (list,), {})([1]), "MyList"),
        (b"bytes", "bytes"),
    ],
)
def test_anything_else_becomes_an_opaque_marker(value, name):
    back = round_trip(value)
    assert type(back) is judge.Unserialisable and repr(back) == f"<unserialisable: {name}>"
    assert not isinstance(back, (int, float, str, list, dict, tuple, set))


def test_cycles_deep_and_huge_values_become_markers_without_hanging():
    loop: list = []
    loop.append(loop)
    deep: list = []
    for _ in range(judge.MAX_DEPTH + 5):
        deep = [deep]
    for value in (loop, deep, list(range(judge.MAX_ITEMS + 1))):
        back = round_trip(value)
        assert repr(back) == "<unserialisable: list too large or too deeply nested>"
    assert same(round_trip(list(range(1000))), list(range(1000)))


def test_a_lying_answer_never_runs_in_the_judge():
    Liar.compared.clear()
    payload = judge.encode_names({"answer": Liar(2.0), "given": [1, 2]}, ["answer", "given", "absent"])
    values = judge.decode_names(payload)
    assert set(values) == {"answer", "given"}  # a name A does not have is not sent
    outputs = judge.run_test(
        "assert type(answer) is float, 'answer should be a plain number'\nassert answer == 3.0",
        values,
        {},
        1000,
    )
    (error,) = outputs
    assert (error["ename"], error["evalue"]) == ("AssertionError", "answer should be a plain number")
    assert Liar.compared == []  # its __eq__ was never called, in A or in the judge
    (error,) = judge.run_test("assert absent == 1", values, {}, 1000)
    assert error["ename"] == "NameError"


@pytest.mark.parametrize(
    "forged",
    [
        ["pickle", "gASVAAAAAAAAAAA="],
        ["eval", "__import__('os').system('true')"],
        ["numpy", "object_", ["str", "x"]],
        ["numpy", "float64", ["list", []]],
        ["dict", [[["list", []], ["none"]]]],  # an unhashable key
        ["dict", [["none"]]],
        ["int", 5],
        ["float", "nan nan"],
        ["int", "f" * 20_000],
        ["pandas.Timestamp", "2007", "days"],
        ["list", "not a list"],
        "just a string",
        [],
    ],
)
def test_forged_payloads_are_refused(forged):
    values = judge.decode_names(json.dumps({"x": forged}))
    assert type(values["x"]) is judge.Unserialisable and "unreadable" in repr(values["x"])


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", "[" * 100_000 + "]" * 100_000])
def test_a_payload_that_is_not_an_object_of_values_is_refused(payload):
    with pytest.raises(judge.DecodeError):
        judge.decode_names(payload)


def test_free_names_are_the_answers_each_exercise_test_reads():
    reads = {}
    for path in sorted((ROOT / "exercises" / "source").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
                reads[meta["grade_id"]] = judge.free_names("".join(cell["source"]))
    assert reads["ex01-q1-tests"] == ["longest"]
    assert reads["ex05-q3-tests"] == ["NEIGHBOURS", "main_worry"]
    assert len(reads) >= 20 and all(len(names) in (1, 2) for names in reads.values()), reads
    assert judge.free_names("def f(a):\n    return a + b\nimport os.path as p\n[c for c in d]") == ["b", "d"]


def test_the_judge_process_runs_tests_on_values_and_stops_at_its_time_limit():
    process = judge.Judge(sys.executable)
    try:
        values = judge.encode_names({"longest": "Cold War"}, ["longest"])
        outputs = process.judge(
            "from workbook import load\nprint(len(load('phases')))\nassert type(longest) is str",
            values,
            1000,
            60,
        )
        assert outputs == [{"output_type": "stream", "name": "stdout", "text": "4\n"}]
        (error,) = process.judge("assert longest == 'x', 'not it'", values, 1000, 60)
        assert (error["ename"], error["evalue"]) == ("AssertionError", "not it")
        assert "assert longest == 'x'" in "".join(error["traceback"])  # the instructor sees the line
        extra = judge.encode_names({"longest": "x", "extra": 1}, ["longest", "extra"])
        assert process.judge("assert 'extra' not in globals()", extra, 1000, 60) == []  # only names it reads
        (error,) = process.judge("assert longest", "{}", 1000, 60)  # gone from the kernel: gone here
        assert error["ename"] == "NameError"
        assert process.judge("while True:\n    pass", values, 1000, 1) is None
        with pytest.raises(judge.JudgeGone):
            process.judge("pass", values, 1000, 5)
    finally:
        process.close()


def test_release_refuses_a_test_that_reads_what_an_earlier_cell_imports_or_defines():
    """Tests reach the judge with values only: `load` imported by the setup cell would fail every student."""
    cells = [
        ("setup", False, "from workbook import load\nimport pandas as pd\nNEIGHBOURS = ['china']"),
        ("answer", False, "def helper():\n    return 1\nanswer = helper()"),
        ("q1-tests", True, "assert answer in NEIGHBOURS\nassert len(load('claims')) > 0"),
        ("q2-tests", True, "from workbook import load\nassert pd.isna(helper())"),
        ("q3-tests", True, "from workbook import load\nassert answer == len(load('claims'))"),
    ]
    problems = judge.unjudgeable(cells)
    assert [p.split(":")[0] for p in problems] == ["q1-tests", "q2-tests", "q2-tests"], problems
    assert "`load`" in problems[0] and "import or define `load` in the test cell itself" in problems[0]
    assert {"`helper`", "`pd`"} == {p.split(" reads ")[1].split(",")[0] for p in problems[1:]}


def test_every_exercise_can_be_judged_as_written():
    from workbook.course.commands import _unjudgeable

    sources = sorted((ROOT / "exercises" / "source").glob("*/*.ipynb"))
    assert sources
    assert {p.name: _unjudgeable(p) for p in sources} == {p.name: [] for p in sources}
