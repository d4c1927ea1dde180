"""workbook.checks: right answers confirmed, hints that escalate without giving the answer away,
sloppy input understood, and a friendly line (never a traceback) for everything else.

The tests register their own throwaway checks under the notebook number 99 (and 98 for a
lazily imported answers module); the registry is restored after each test.
"""

from __future__ import annotations

import csv
import math
import sys

import numpy as np
import pandas as pd
import pytest

import workbook
from workbook import DataError, checks
from workbook.checks import CheckResult, check, register

DATA = workbook.data.DEFAULT_DATA_DIR


@pytest.fixture(autouse=True)
def clean_registry():
    """Each test starts with no tries counted, and its 99.x/98.x checks vanish afterwards."""
    saved = dict(checks._REGISTRY)
    checks.reset()
    yield
    checks._REGISTRY.clear()
    checks._REGISTRY.update(saved)
    checks.reset()


HINTS = ("Look at the GSDF rows only.", "Subtract the later total from the earlier one, then divide.")


def _register_number(check_id="99.1", value=145000.0, **options):
    options.setdefault("hints", HINTS)
    register(check_id, kind="number", expected=lambda: value, **options)
    return value


# --------------------------------------------------------------------------- right and wrong


def test_right_answer_is_confirmed():
    _register_number()
    result = check("99.1", 145000)
    assert result.correct is True
    assert "Correct" in result.message
    assert bool(result) is True


def test_wrong_answers_get_hint_one_then_hint_two_then_a_pointer():
    expected = _register_number(value=145000.0)
    first, second, third, fourth = (check("99.1", 150000) for _ in range(4))
    assert all(r.correct is False and not r for r in (first, second, third, fourth))
    assert HINTS[0] in first.message and HINTS[1] not in first.message
    assert HINTS[1] in second.message and "Still stuck" not in second.message
    assert HINTS[1] in third.message and "Still stuck" in third.message
    assert HINTS[1] in fourth.message and "Still stuck" in fourth.message
    for result in (first, second, third, fourth):
        for shown in (str(expected), "145000", "145,000", "145 000"):
            assert shown not in result.message
            assert shown not in str(result) and shown not in result._repr_html_()


def test_pointer_names_the_rubric_when_given():
    _register_number(rubric="notebooks/INSTRUCTORS.md#exercise-99-1")
    for _ in range(3):
        result = check("99.1", 1)
    assert "notebooks/INSTRUCTORS.md#exercise-99-1" in result.message


def test_a_right_answer_resets_the_hints():
    _register_number()
    check("99.1", 1)
    check("99.1", 2)
    assert check("99.1", 145000).correct is True
    again = check("99.1", 3)
    assert HINTS[0] in again.message and HINTS[1] not in again.message


def test_reset_clears_the_tries():
    _register_number()
    check("99.1", 1)
    checks.reset()
    assert HINTS[0] in check("99.1", 2).message
    check("99.1", 2)
    checks.reset("99.1")
    assert HINTS[0] in check("99.1", 2).message


def test_tries_are_counted_per_check():
    _register_number("99.1")
    _register_number("99.2")
    check("99.1", 1)
    assert HINTS[0] in check("99.2", 1).message


def test_checks_without_hints_still_give_a_hint():
    register("99.1", kind="number", expected=lambda: 7.0)
    messages = [check("99.1", 8).message for _ in range(3)]
    assert all("Hint:" in m for m in messages)
    assert messages[0] != messages[1]


def test_a_single_hint_is_repeated():
    register("99.1", kind="number", expected=lambda: 7.0, hints="Only one hint.")
    assert all("Only one hint." in check("99.1", 8).message for _ in range(3))


# --------------------------------------------------------------------------- sloppy input


@pytest.mark.parametrize(
    "answer",
    [
        "12%",
        12,
        0.12,
        "12 %",
        " 12 ",
        "12.0",
        "12 percent",
        12.04,
        np.float64(12.0),
        np.int64(12),
        pd.Series([12.0]),
        [0.12],
        "0.12",
    ],
)
def test_percent_is_understood_however_written(answer):
    register("99.1", kind="percent", expected=lambda: 12.0, tolerance=0.01)
    assert check("99.1", answer).correct is True


def test_percent_says_when_it_read_a_fraction():
    register("99.1", kind="percent", expected=lambda: 12.0)
    assert "fraction" in check("99.1", 0.12).message
    assert "fraction" not in check("99.1", 12).message
    assert "fraction" in check("99.1", 0.5).message  # wrong: both readings are named
    assert check("99.1", 0.5).correct is False
    assert check("99.1", "0.12%").correct is False  # a percent sign means percent


def test_percent_of_one_or_less_is_still_read_both_ways():
    register("99.1", kind="percent", expected=lambda: 1.0)
    assert check("99.1", 1).correct is True
    assert check("99.1", "1%").correct is True
    assert check("99.1", 0.01).correct is True
    assert check("99.1", 0.5).correct is False


@pytest.mark.parametrize(
    "answer",
    [
        "145,000",
        " 145000 ",
        "145 000",
        "145000.0",
        "145k",
        "0.145 million",
        145000,
        145000.0,
        np.int64(145000),
        pd.Series([145000]),
        pd.DataFrame({"value": [145000]}),
        [145000],
        (145000,),
        np.array([145000]),
        pd.Index([145000]),
        pd.array([145000], dtype="Int64"),
    ],
)
def test_numbers_are_understood_however_written(answer):
    _register_number()
    result = check("99.1", answer)
    assert result.correct is True, result.message


def test_numbers_in_words_with_a_scale():
    _register_number(value=1_500_000)
    assert check("99.1", "1.5 million").correct is True
    assert check("99.1", "1,500,000").correct is True


def test_tolerance_is_relative_and_abs_tol_absolute():
    register("99.1", kind="number", expected=lambda: 100.0, tolerance=0.01)
    assert check("99.1", 100.9).correct is True
    assert check("99.1", 101.5).correct is False
    register("99.2", kind="number", expected=lambda: 100.0, abs_tol=0.05)
    assert check("99.2", 100.04).correct is True
    assert check("99.2", 100.1).correct is False


def test_default_tolerance_accepts_rounding_but_not_a_different_number():
    register("99.1", kind="number", expected=lambda: 11.1111111)
    assert check("99.1", 11.11).correct is True
    assert check("99.1", 11.2).correct is False


@pytest.mark.parametrize(
    "answer", ["1995", 1995, 1995.0, np.int64(1995), " 1995 ", pd.Timestamp("1995-06-01"), pd.Series([1995])]
)
def test_year_accepts_anything_int_like(answer):
    register("99.1", kind="year", expected=lambda: 1995)
    assert check("99.1", answer).correct is True


def test_year_that_is_not_a_year_is_not_judged():
    register("99.1", kind="year", expected=lambda: 1995)
    assert check("99.1", 1993).correct is False
    assert check("99.1", 95).correct is None
    assert check("99.1", 1995.5).correct is None


def test_integer_wants_a_whole_number():
    register("99.1", kind="integer", expected=lambda: 600)
    assert check("99.1", 600.0).correct is True
    assert check("99.1", "600").correct is True
    assert check("99.1", 601).correct is False
    result = check("99.1", 600.5)
    assert result.correct is None and "whole number" in result.message


def test_choice_is_trimmed_and_case_insensitive():
    register(
        "99.1",
        kind="choice",
        expected="The reading gives no source",
        choices=["The reading gives no source", "The record agrees", "The record disagrees"],
    )
    assert check("99.1", "  the READING gives no source. ").correct is True
    assert check("99.1", ["The reading gives no source"]).correct is True
    assert check("99.1", "The record agrees").correct is False
    stray = check("99.1", "no idea")
    assert stray.correct is None and "The record agrees" in stray.message


def test_choice_with_several_right_options_is_order_insensitive():
    register("99.1", kind="choice", expected=["a", "c"], choices=["A", "B", "C"])
    assert check("99.1", ["C", "a"]).correct is True
    assert check("99.1", {"a", "c"}).correct is True
    assert check("99.1", "a").correct is False
    assert "more than one" in check("99.1", "a").message.lower()


def test_ids_accept_a_list_set_series_or_text():
    register("99.1", kind="ids", expected=["sa1997-39a", "sa1997-39b"])
    for answer in (
        ["sa1997-39b", "sa1997-39a"],
        {"SA1997-39A", " sa1997-39b"},
        "sa1997-39a, sa1997-39b",
        pd.Series(["sa1997-39a", "sa1997-39b"]),
        pd.DataFrame({"id": ["sa1997-39a", "sa1997-39b"]}),
    ):
        assert check("99.1", answer).correct is True, answer
    missing = check("99.1", ["sa1997-39a"])
    assert missing.correct is False and "1 more" in missing.message
    extra = check("99.1", ["sa1997-39a", "sa1997-39b", "essay2005-06d"])
    assert extra.correct is False and "should not be there" in extra.message
    assert "sa1997-39b" not in missing.message


def test_ids_expected_from_the_data():
    register(
        "99.1",
        kind="ids",
        expected=lambda: workbook.load("personnel").query("source == 'public record'")["ref"],
    )
    refs = [row["record_id"] for row in _records() if row["subject"] == "personnel"]
    assert check("99.1", list(reversed(refs))).correct is True


# --------------------------------------------------------------------------- not an answer (yet)

UNUSABLE = {
    "Ellipsis": ...,
    "None": None,
    "NaN": float("nan"),
    "pandas NA": pd.NA,
    "numpy NaN": np.float64("nan"),
    "dict": {"value": 145000},
    "multi-row Series": pd.Series([145000, 160000]),
    "many-cell DataFrame": pd.DataFrame({"a": [1, 2], "b": [3, 4]}),
    "empty list": [],
    "empty Series": pd.Series([], dtype=float),
    "words": "a hundred and forty-five thousand",
    "decimal comma": "1,5",
    "bool": True,
    "a function": print,
    "empty text": "   ",
    "inf": float("inf"),
}


@pytest.mark.parametrize("answer", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_answers_get_a_friendly_line_and_no_try_is_counted(answer):
    _register_number()
    result = check("99.1", answer)
    assert isinstance(result, CheckResult)
    assert result.correct is None and not result
    assert "Traceback" not in result.message and len(result.message) < 400
    assert "145000" not in result.message and "145,000" not in result.message
    assert HINTS[0] in check("99.1", 1).message  # the next wrong answer is still the first try


def test_placeholder_says_replace_the_dots():
    _register_number()
    assert "replace ... with your answer" in check("99.1", ...).message


def test_wrong_type_says_what_was_expected():
    _register_number()
    assert "a number, like" in check("99.1", {"a": 1}).message
    assert "a number, like" in check("99.1", "twelve").message
    register("99.2", kind="percent", expected=lambda: 12.0)
    assert "percentage" in check("99.2", pd.DataFrame({"a": [1, 2]})).message
    assert "Series with 2 values" in check("99.2", pd.Series([1, 2])).message


@pytest.mark.parametrize("kind", ["number", "percent", "integer", "year", "choice", "ids", "text"])
def test_every_kind_handles_the_placeholder_and_none(kind):
    register(
        "99.1",
        kind=kind,
        expected=(lambda: 1995) if kind not in ("choice", "text") else ("a" if kind == "choice" else None),
        choices=["a", "b"] if kind == "choice" else None,
    )
    for answer in (..., None, float("nan"), {"a": 1}):
        result = check("99.1", answer)
        assert result.correct is None, (kind, answer, result)


# --------------------------------------------------------------------------- free text


def test_text_is_not_judged_and_points_to_the_rubric():
    register("99.1", kind="text", prompt="What does the chart show?")
    result = check("99.1", "The record stays below the ceiling after 1976.")
    assert result.correct is None and not result
    assert "not checked automatically" in result.message
    assert "WRITTEN_ANSWERS.md" in result.message
    register("99.2", kind="text", rubric="the rubric for exercise 99.2")
    assert "the rubric for exercise 99.2" in check("99.2", "Some thoughts.").message


@pytest.mark.parametrize("answer", [..., "", "   ", "...", "YOUR ANSWER HERE", "Type your answer here"])
def test_text_placeholder_is_noticed(answer):
    register("99.1", kind="text")
    result = check("99.1", answer)
    assert result.correct is None
    assert "haven't" in result.message or "empty" in result.message


# --------------------------------------------------------------------------- ids and registration


def test_unknown_id_lists_the_notebooks_ids():
    _register_number("99.1", prompt="How many personnel?")
    _register_number("99.2")
    result = check("99.7", 1)
    assert result.correct is None
    assert "99.1" in result.message and "99.2" in result.message and "How many personnel?" in result.message


def test_unknown_notebook_and_malformed_ids_are_friendly():
    assert "no checks for a notebook 77" in check("77.1", 1).message
    assert check("banana", 1).correct is None
    assert "in quotes" in check(2.1, 1).message
    assert check(" 99.1 ", 1).correct is None  # unknown, but not an exception


def test_ids_in_text_with_spaces_are_trimmed():
    _register_number()
    assert check(" 99.1 ", 145000).correct is True


@pytest.fixture
def answers_module(tmp_path, monkeypatch):
    """write(name, source): an extra ``workbook.answers.<name>`` module, gone after the test."""
    import workbook.answers

    monkeypatch.setattr(workbook.answers, "__path__", [*workbook.answers.__path__, str(tmp_path)])
    written_names = []

    def write(name: str, source: str) -> None:
        (tmp_path / f"{name}.py").write_text(source)
        sys.modules.pop(f"workbook.answers.{name}", None)
        written_names.append(name)

    yield write
    for name in written_names:
        sys.modules.pop(f"workbook.answers.{name}", None)


def test_answers_module_is_read_lazily_by_prefix_and_declaring_registers_nothing(answers_module):
    import importlib

    answers_module(
        "n98",
        "from workbook.checks import exercise, written\n"
        "@exercise('98.1', kind='number', prompt='the answer')\n"
        "def the_answer():\n"
        "    return 42.0\n"
        "essay = written('98.2', prompt='why')\n",
    )
    module = importlib.import_module("workbook.answers.n98")
    assert "98.1" not in checks._REGISTRY  # importing declares, registers nothing
    assert module.the_answer() == 42.0  # an exercise computes its answer
    assert check("98.1", 42).correct is True
    assert "98.1 (the answer)" in check("98.5", 1).message
    assert checks.ids("98") == ["98.1", "98.2"] and checks.ids(98) == ["98.1", "98.2"]
    assert check("98.2", "Because.").correct is None


def test_a_declaration_mistake_is_reported_when_its_notebook_is_checked(answers_module):
    answers_module(
        "n96",
        "from workbook.checks import Exercise\n"
        "fixed = Exercise('96.2', kind='choice', expected='c', choices=['a', 'b'])\n",
    )
    result = check("96.1", "a")
    assert result.correct is None and result.problem and "not among the choices" in result.message


def test_a_broken_answers_module_is_reported_not_raised(answers_module):
    answers_module("n97", "raise RuntimeError('oops in n97')\n")
    result = check("97.1", 1)
    assert result.correct is None and "oops in n97" in result.message and "not your fault" in result.message


def test_register_rejects_authoring_mistakes():
    with pytest.raises(ValueError, match="kind"):
        register("99.1", kind="float", expected=lambda: 1)
    with pytest.raises(ValueError, match="02.1"):
        register("2.1", kind="number", expected=lambda: 1)
    with pytest.raises(ValueError, match="choices"):
        register("99.1", kind="choice", expected="a")
    with pytest.raises(ValueError, match="not among the choices"):
        register("99.1", kind="choice", expected="d", choices=["a", "b"])
    with pytest.raises(ValueError, match="expected"):
        register("99.1", kind="number")


def test_registering_again_replaces():
    _register_number(value=1.0)
    _register_number(value=2.0)
    assert check("99.1", 2).correct is True


# --------------------------------------------------------------------------- expected from the data


def _records() -> list[dict]:
    with open(DATA / "records.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _gsdf_cut_percent() -> float:
    """The 1995 outline's cut in GSDF strength, in %, read from the data with the csv module."""
    totals = {
        row["group"]: float(row["value"])
        for row in _records()
        if row["subject"] == "personnel" and row["group"] in ("total (before)", "total (after)")
    }
    return (totals["total (before)"] - totals["total (after)"]) / totals["total (before)"] * 100


def test_expected_is_computed_lazily_from_load():
    calls = []

    def expected():
        calls.append(1)
        df = workbook.load("personnel")
        df = df[df["source"] == "public record"].set_index("group")["value"]
        return (df["total (before)"] - df["total (after)"]) / df["total (before)"] * 100

    register("99.1", kind="percent", expected=expected, tolerance=0.01, hints=HINTS)
    assert calls == []  # registering computes nothing
    truth = _gsdf_cut_percent()
    assert check("99.1", round(truth, 1)).correct is True
    assert check("99.1", f"{truth:.2f}%").correct is True
    assert check("99.1", truth / 100).correct is True
    assert len(calls) == 3  # computed at every check
    wrong = check("99.1", truth + 5)
    assert wrong.correct is False
    for shown in (str(truth), f"{truth:.1f}", f"{truth:.2f}", f"{truth:g}"):
        assert shown not in wrong.message


def test_expected_that_raises_data_error_gives_a_friendly_line():
    def broken():
        raise DataError("value must be a number", file="records.csv", row=7, column="value")

    register("99.1", kind="number", expected=broken)
    result = check("99.1", 12)
    assert result.correct is None and not result
    assert "broken" in result.message and "records.csv" in result.message and "row 7" in result.message
    assert "⚠️" in str(result)


def test_broken_data_folder_gives_a_friendly_line(data_copy, monkeypatch):
    (data_copy / "records.csv").unlink()
    monkeypatch.setenv("WORKBOOK_DATA", str(data_copy))
    workbook.clear_cache()
    register("99.1", kind="number", expected=lambda: workbook.load("personnel")["value"].max())
    result = check("99.1", 12)
    assert result.correct is None
    assert "broken" in result.message and "records.csv" in result.message


def test_a_check_that_fails_otherwise_is_reported_not_raised():
    register("99.1", kind="number", expected=lambda: workbook.load("personnel")["no such column"].max())
    result = check("99.1", 1)
    assert result.correct is None and "not your fault" in result.message
    register("99.2", kind="number", expected=lambda: "not a number")
    assert check("99.2", 1).correct is None


# --------------------------------------------------------------------------- display


def test_result_displays_its_message_with_a_marker():
    _register_number()
    right, wrong, pending = check("99.1", 145000), check("99.1", 1), check("99.1", ...)
    assert str(right).startswith("✅") and repr(right) == str(right)
    assert str(wrong).startswith("❌") and str(pending).startswith("ℹ️")
    assert right.message in str(right)
    html = wrong._repr_html_()
    assert html.startswith("<div") and "❌" in html and "Hint" in html
    assert bool(right) and not bool(wrong) and not bool(pending)


def test_html_escapes_the_answer():
    _register_number()
    assert "<script>" not in check("99.1", "<script>")._repr_html_()


def test_workbook_check_is_the_same_function():
    assert workbook.check is checks.check


# --------------------------------------------------------------------------- the real answers modules

REAL_IDS = [i for i in checks.ids() if not i.startswith(("97.", "98.", "99."))]


@pytest.mark.parametrize("check_id", REAL_IDS)
def test_every_registered_exercise_accepts_its_own_answer_and_the_placeholder(check_id):
    spec = checks._REGISTRY[check_id]
    assert check(check_id, ...).correct is None
    if spec.kind == "text":
        assert check(check_id, "A considered answer.").correct is None
        return
    expected = spec.expected() if callable(spec.expected) else spec.expected
    if isinstance(expected, float):
        assert not math.isnan(expected)
    assert check(check_id, expected).correct is True, check(check_id, expected).message


# --------------------------------------------------------------------------- issue 12: what confused students


def test_a_number_too_large_for_a_float_is_the_students_not_the_checks_problem():
    _register_number()
    register("99.2", kind="choice", expected="a", choices=["a", "b"])
    register("99.3", kind="ids", expected=["x-1"])
    for cid in ("99.1", "99.2", "99.3"):
        for answer in (10**400, -(10**400), [10**400], "1e400", "9" * 500):
            result = check(cid, answer)
            assert not result.problem and result.correct is not True, (cid, result)
            assert result.correct is None or (cid == "99.3" and isinstance(answer, str)), (cid, result)
            assert "not your fault" not in result.message and len(result.message) < 400


@pytest.mark.parametrize("kind", ["number", "choice", "ids"])
def test_a_long_answer_is_not_echoed_back_whole(kind):
    register(
        "99.1",
        kind=kind,
        expected=(lambda: 5.0) if kind == "number" else "a",
        choices=["a", "b"] if kind == "choice" else None,
    )
    for answer in ("z" * 5000, "1" + "z" * 5000, "5" + " " * 3000 + "x"):
        message = check("99.1", answer).message
        assert len(message) < 400, message


def test_one_is_one_percent_not_also_the_fraction_one():
    spec = checks._REGISTRY.get("02.2") or (checks.ids("02") and checks._REGISTRY["02.2"])
    message = check(spec.check_id, 1.0).message
    assert "100%" not in message and "fraction" not in message and "1%" in message


def test_a_table_for_a_count_points_to_counting_not_loc():
    checks.ids("00")
    message = check("00.1", workbook.load("claims")).message
    assert ".loc" not in message.split("pick one")[0] and "len(" in message
    many = check("00.1", workbook.load("claims")["reading"] == "essay2005").message
    assert ".sum() counts the Trues" in many


def test_a_table_for_a_list_of_years_speaks_of_years_and_real_columns():
    checks.ids("02")
    message = check("02.1", workbook.load("defence_spending")).message
    assert "id" not in message.replace("this table", "").split() and "'id'" not in message
    assert "year" in message and "above_one_pct" in message  # its own columns are listed
    assert "years" in check("02.1", [1111, 2222]).message


ADVERSARIAL = [
    " " * 16000 + "a",
    "1" + " " * 16000 + "x",
    "1" * 16000 + "x",
    "-" * 16000,
    "about " * 3000,
    "1," * 8000 + "x",
    "$" + " " * 16000 + "1",
]


class _Spy:
    """Stands in for the ``re`` module / a compiled pattern and records how long each searched text was."""

    def __init__(self, real, seen):
        self._real, self._seen = real, seen

    def __getattr__(self, name):
        attr = getattr(self._real, name)
        if not callable(attr) or name in ("compile", "escape"):
            return attr

        def call(*args, **kwargs):
            self._seen += [
                len(a) for a in args if isinstance(a, str) and a is not getattr(self._real, "pattern", None)
            ]
            return attr(*args, **kwargs)

        return call


@pytest.mark.parametrize("kind", ["number", "percent", "integer", "year", "choice", "ids"])
def test_reading_an_answer_never_runs_a_pattern_over_unbounded_text(kind, monkeypatch):
    """The slow-regex bug (16,000 spaces and a letter: 5-43 s) by input size, not by the clock.

    Every regular expression that reads an answer sees at most MAX_TEXT characters (besides the
    linear split of ids text) and every pattern matches whitespace runs of fixed length, so the
    work per answer is bounded whatever the student types.
    """
    from workbook import answer_kinds

    seen: list[int] = []
    monkeypatch.setattr(answer_kinds, "re", _Spy(answer_kinds.re, seen))
    monkeypatch.setattr(checks, "re", _Spy(checks.re, seen))
    monkeypatch.setattr(answer_kinds, "_NUMBER", _Spy(answer_kinds._NUMBER, seen))
    register(
        "99.1",
        kind=kind,
        expected=(lambda: 1995) if kind != "choice" else "a",
        choices=["a", "b"] if kind == "choice" else None,
    )
    for answer in ADVERSARIAL:
        assert isinstance(check("99.1", answer), CheckResult)
    assert seen == [] or max(seen) <= answer_kinds.MAX_TEXT, max(seen)


def test_the_number_pattern_has_no_unbounded_whitespace():
    from workbook import answer_kinds

    assert "\\s*" not in answer_kinds._NUMBER.pattern and "\\s+" not in answer_kinds._NUMBER.pattern


# --------------------------------------------------------------------------- the day after (issue 22)


def test_a_hedged_number_is_read_and_the_hedge_is_named():
    checks.register("98.1", kind="number", expected=lambda: 2.0)
    result = checks.check("98.1", "about 2")
    assert result.correct is True and 'I left out "about"' in result.message
    assert "left out" not in checks.check("98.1", "2").message


def test_forces_and_readings_in_their_usual_forms():
    options = ["all three services", "Ground SDF", "Maritime SDF", "Air SDF"]
    checks.register("98.2", kind="choice", expected="Ground SDF", choices=options)
    for answer in ("GSDF", "JGSDF", "Ground Self-Defense Force", "ground-sdf"):
        assert checks.check("98.2", answer).correct is True, answer
    assert checks.check("98.2", "ASDF").correct is False
    refused = checks.check("98.2", "GSD Force")
    assert refused.correct is None and "'GSD Force' is not one of the options" in refused.message
    checks.register("98.3", kind="choice", expected="sa1997", choices=["sa1997", "essay2005"])
    assert (
        checks.check("98.3", "SA 1997").correct is True
        and checks.check("98.3", "Essay-2005").correct is False
    )


def test_a_percentage_read_two_ways_says_so_plainly():
    checks.register("98.4", kind="percent", expected=lambda: 1.004, tolerance=0.001)
    message = checks.check("98.4", 0.5).message
    assert "as a percentage (0.5%) or as a fraction of the whole (0.5 of the whole = 50%)" in message


def test_an_unquoted_word_in_an_answer_cell_suggests_only_words_or_numbers():
    import pandas as pd

    from workbook import friendly_errors

    namespace = {"is_sa1997": pd.Series([True]), "sa1997_claims": 4}
    try:
        exec("answer_00_3 = sa1997", dict(namespace))
    except NameError as error:
        tips = " ".join(
            friendly_errors.explain(NameError, error, None, namespace, "answer_00_3 = sa1997").tips
        )
    assert 'answer_00_3 = "sa1997"' in tips and "is_sa1997" not in tips and "sa1997_claims" in tips


def test_a_name_only_a_later_cell_sets_is_not_offered_to_an_answer_above_it(tmp_path):
    """03's old leak: an answer using a name the Summary sets further down is told so, not sent down."""
    import json

    from workbook import friendly_errors

    cells = ["record = 1", "answer_03_2 = record_before", "## Summary", "record_before = record + 1"]
    saved = tmp_path / "03_x.ipynb"
    saved.write_text(
        json.dumps(
            {
                "cells": [
                    {"cell_type": "markdown" if c.startswith("#") else "code", "source": c, "metadata": {}}
                    for c in cells
                ]
            }
        ),
        encoding="utf-8",
    )
    namespace = {"__session__": str(saved), "record": 1}
    error = NameError("name 'record_before' is not defined", name="record_before")
    here = friendly_errors.explain(NameError, error, None, namespace, "answer_03_2 = record_before")
    assert 'only a cell further down sets it (cell 4, under "Summary")' in here.headline
    assert "Run the cell that defines" not in " ".join(here.tips)
    # an edited cell not yet saved: where it sits is unknown, so the setting cell is named as before
    edited = friendly_errors.explain(NameError, error, None, namespace, "answer_03_2 = record_before * 2")
    assert "Run the cell that defines record_before first: it is cell 4" in " ".join(edited.tips)
