"""The kinds of answer a self-check judges, one table entry each: what it wants, how it reads, how it judges.

Reading is lenient: ``"12%"``, ``" 12 "``, ``"145,000"``, ``"1.5 million"``, a numpy or pandas
number, a list, Series or array holding one value, and a DataFrame with one cell are all understood.
An answer that cannot be read raises :class:`Unreadable` with a message for the student (never the
expected value).  Adding a kind means adding one :class:`Kind` to ``KINDS``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_TOLERANCE = 0.005  # relative: answers rounded to about 3 significant figures pass
#: Longest text answer that is read at all (after trimming): longer text is refused before any
#: regular expression sees it, so reading an answer costs at most a bounded amount of work.
MAX_TEXT = 1000
#: How much of a student's own text a message repeats back.
ECHO = 60
PLACEHOLDER = "You haven't answered yet: replace ... with your answer, run that cell, then run this one."


class Unreadable(Exception):
    """The answer cannot be read as the kind of value the check wants (message for the student)."""


@dataclass(frozen=True)
class Kind:
    """One kind of answer.

    - ``wants``: what it asks for, in words a student understands (the examples are numbers that
      are no exercise's answer).
    - ``read(answer, wants)``: the answer as a value to judge, or :class:`Unreadable`.
    - ``expect(expected)``: the exercise's expected value in the same form.
    - ``judge(exercise, read, expected, answer)``: (right?, a note on how the answer was read).
    - ``judged``: False for written answers, which go to the rubric instead.
    """

    name: str
    wants: str
    read: Callable | None = None
    expect: Callable | None = None
    judge: Callable | None = None
    judged: bool = True


# --------------------------------------------------------------------------- describing answers


def shorten(text: str, limit: int = ECHO) -> str:
    """``repr`` of a student's text, cut to about ``limit`` characters ('abc…' (5,000 characters))."""
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def too_big(value) -> bool:
    """True for a whole number too large for any answer here (a float cannot even hold it)."""
    return (
        isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value).bit_length() > 1000
    )


def describe(value) -> str:
    """'a table (DataFrame) with 3 rows and 2 columns', 'the text 'abc'': what a student gave."""
    if isinstance(value, pd.DataFrame):
        rows, cols = value.shape
        return (
            f"a table (DataFrame) with {rows} row{'s' if rows != 1 else ''} and "
            f"{cols} column{'s' if cols != 1 else ''}"
        )
    if isinstance(value, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        return f"a {type(value).__name__} with {len(value)} values"
    if isinstance(value, np.ndarray):
        return f"an array with {value.size} values"
    if too_big(value):
        return f"a whole number with about {int(int(value).bit_length() * 0.30103):,} digits"
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


def is_missing(value) -> bool:
    """True for None, NaN, <NA>, NaT (never raises, also for containers)."""
    try:
        return value is pd.NA or value is pd.NaT or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt(number: float) -> str:
    """A number as a student would write it: 145,000 or 12.5."""
    if float(number).is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return format(number, ",.6g")


def norm_text(value) -> str:
    """Text for comparing choices and ids: trimmed, case-folded, one space between words."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split()).casefold()
    return text.strip("'\"").rstrip(".").strip()


def as_list(value) -> list:
    """A value, or the values of a list/array/Series, as a plain list."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return [value]
    if isinstance(value, np.ndarray):
        return list(np.ravel(value))
    return list(value)


# --------------------------------------------------------------------------- reading one value

_SEQUENCES = (pd.Series, pd.Index, pd.api.extensions.ExtensionArray, np.ndarray, list, tuple, set, frozenset)


def unwrap_one(value, wants: str):
    """Take the single value out of a one-element list, Series, array or 1x1 DataFrame."""
    if value is ...:
        raise Unreadable(PLACEHOLDER)
    if isinstance(value, pd.DataFrame):
        if value.shape == (1, 1):
            return value.iat[0, 0]
        raise Unreadable(
            f"Your answer is {describe(value)}; this check wants {wants}. "
            "A table is a step on the way: to count its rows use len(table); to add up "
            'or average one column use table["column"].sum() or .mean(); to pick one '
            'cell use .loc[row, "column"]. Do what the question asks.'
        )
    if isinstance(value, _SEQUENCES):
        items = list(np.ravel(value)) if isinstance(value, np.ndarray) else list(value)
        if len(items) == 1:
            return unwrap_one(items[0], wants)
        if not items:
            raise Unreadable(
                f"Your answer is empty ({describe(value)}); this check wants {wants}. "
                "Did a filter find no rows?"
            )
        if all(isinstance(i, (bool, np.bool_)) for i in items[:50]):
            raise Unreadable(
                f"Your answer is True or False for each of {len(items)} rows; this check "
                f"wants one value: {wants}. .sum() counts the Trues; use the True/False "
                "values inside [...] to keep those rows of the table."
            )
        raise Unreadable(
            f"Your answer is {describe(value)}; this check wants one value: "
            f"{wants}. Select the one you need (e.g. .iloc[0]) or combine them "
            "(e.g. .sum()) as the question asks."
        )
    if isinstance(value, np.generic):
        return value.item()
    return value


_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
# Applied to text whose runs of white space are already one space (see _parse_number_text), so
# each optional " ?" matches at most one character: no quantifier can trade characters with
# another, and a failed match costs work proportional to the text's length.
_NUMBER = re.compile(
    r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?) ?"
    r"(thousand|million|billion|trillion|mn|bn|k)? ?(%|percent|per cent)?"
)


def _parse_number_text(text: str, wants: str) -> tuple[float, bool]:
    """Read '12%', ' 145,000 ', '1.5 million'...: return (number, had a percent sign)."""
    s = " ".join(text.split()).lower().replace("\u2212", "-")  # str.split: no regex, linear
    if len(s) > MAX_TEXT:
        raise Unreadable(f"Your answer is a text of {len(text):,} characters; this check wants {wants}.")
    s = re.sub(r"^(?:about|approximately|approx\.?|around|roughly|~|≈) ?", "", s)
    s = re.sub(r"^[$¥€£] ?", "", s)
    s = re.sub(r"(?<=\d)[,_ ](?=\d{3}(?!\d))", "", s)  # thousands separators
    match = _NUMBER.fullmatch(s)
    if not match:
        hint = " (use a point for decimals: 1.5, not 1,5)" if re.fullmatch(r"\d+,\d{1,2}", s) else ""
        raise Unreadable(
            f"I could not read {shorten(text.strip())} as a number{hint}; this check wants {wants}."
        )
    number = float(match.group(1)) * _SCALES.get(match.group(2) or "", 1)
    if math.isinf(number):
        raise Unreadable(
            f"{shorten(text.strip())} is too large to be a number here; this check wants {wants}."
        )
    return number, bool(match.group(3))


def read_number(value, wants: str) -> tuple[float, bool]:
    """The answer as a float, and whether it was written with a percent sign."""
    value = unwrap_one(value, wants)
    if is_missing(value):
        raise Unreadable(
            f"Your answer is NaN (a missing value), so there is nothing to check. "
            f"Did a filter find no rows? This check wants {wants}."
        )
    if isinstance(value, bool):
        raise Unreadable(f"Your answer is {value}; this check wants {wants}.")
    if isinstance(value, str):
        return _parse_number_text(value, wants)
    if too_big(value):
        raise Unreadable(
            f"Your answer is {describe(value)}, far too large for this question; this check wants {wants}."
        )
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isinf(number):
            raise Unreadable(f"Your answer is infinite (did you divide by zero?); this check wants {wants}.")
        return number, False
    raise Unreadable(f"Your answer is {describe(value)}; this check wants {wants}.")


def _read_whole(value, wants: str) -> tuple[float, bool]:
    number, sign = read_number(value, wants)
    if not float(number).is_integer():
        raise Unreadable(
            f"Your answer {fmt(number)} is not a whole number; this check wants "
            f"{wants}. Count, or round, as the question asks."
        )
    return number, sign


def _read_year(value, wants: str) -> int:
    value = unwrap_one(value, wants)
    if isinstance(value, (dt.date, pd.Timestamp)):
        value = value.year
    number, _ = read_number(value, wants)
    if not float(number).is_integer() or not 1000 <= number <= 2999:
        raise Unreadable(f"{fmt(number)} does not look like a year; this check wants {wants}.")
    return int(number)


def _read_many(value, wants: str, split_text: bool = False) -> set[str]:
    """A choice/ids answer as a set of normalised strings (order does not matter)."""
    if isinstance(value, pd.DataFrame):
        if value.shape[1] == 1:
            value = value.iloc[:, 0]
        else:
            columns = ", ".join(map(str, list(value.columns)[:20])) + (" …" if value.shape[1] > 20 else "")
            raise Unreadable(
                f"Your answer is {describe(value)}; this check wants {wants}. "
                f'Pick out the one column you need with table["column"] and turn it '
                f"into a list with .tolist() (this table's columns: {columns})."
            )
    if isinstance(value, dict):
        raise Unreadable(f"Your answer is a dict; this check wants {wants}.")
    items = as_list(value)
    if any(isinstance(i, str) and len(i.strip()) > MAX_TEXT for i in items):
        raise Unreadable(f"Your answer holds a very long text; this check wants {wants}.")
    if any(too_big(i) for i in items):
        raise Unreadable(
            f"Your answer holds a number far too large for this question; this check wants {wants}."
        )
    if split_text and len(items) == 1 and isinstance(items[0], str):
        items = [p for p in re.split(r"[,;\s]+", items[0].strip()) if p]  # "a-1, b-2" -> two ids
    if any(is_missing(i) for i in items):
        raise Unreadable(f"Your answer contains a missing value (NaN/None); this check wants {wants}.")
    if any(not isinstance(i, (str, numbers.Number)) or isinstance(i, bool) for i in items):
        raise Unreadable(f"Your answer is {describe(value)}; this check wants {wants}.")
    found = {norm_text(i) for i in items} - {""}
    if not found:
        raise Unreadable(f"Your answer is empty; this check wants {wants}.")
    return found


# --------------------------------------------------------------------------- the expected value


def expected_number(raw) -> float:
    """The expected value as a float; TypeError when an exercise computed something else."""
    raw = unwrap_one(raw, "a number")
    if isinstance(raw, bool) or not isinstance(raw, numbers.Real) or math.isnan(float(raw)):
        raise TypeError(f"the expected value is {describe(raw)}, not a number")
    return float(raw)


def expected_texts(raw) -> set[str]:
    return {norm_text(e) for e in as_list(raw)}


# --------------------------------------------------------------------------- judging


def close(answer: float, expected: float, exercise) -> bool:
    """Within the exercise's tolerance (relative and/or absolute; 0.5 % relative by default)."""
    rel = (
        exercise.tolerance
        if exercise.tolerance is not None
        else (0 if exercise.abs_tol else DEFAULT_TOLERANCE)
    )
    return math.isclose(answer, expected, rel_tol=rel, abs_tol=exercise.abs_tol or 1e-9)


def _read_note(answer, number: float) -> str:
    return f"I read {shorten(answer.strip())} as {fmt(number)}." if isinstance(answer, str) else ""


def _judge_number(exercise, read, expected, answer):
    number, _ = read
    return close(number, expected, exercise), _read_note(answer, number)


def _judge_integer(exercise, read, expected, answer):
    number, _ = read
    if exercise.tolerance is None and exercise.abs_tol is None:
        return number == round(expected), _read_note(answer, number)
    return close(number, expected, exercise), _read_note(answer, number)


def _judge_percent(exercise, read, expected, answer):
    number, had_sign = read
    if close(number, expected, exercise):
        return True, ""
    if not had_sign and abs(number) < 1:  # 1 itself is 1 %; "the fraction 1 = 100 %" only confuses
        as_fraction = number * 100
        if close(as_fraction, expected, exercise):
            return True, f"I read {fmt(number)} as a fraction, which is {fmt(as_fraction)}%."
        return False, (
            f"Your {fmt(number)} is not it whether read as a percentage ({fmt(number)}%) or as a "
            f"fraction of the whole ({fmt(number)} of the whole = {fmt(as_fraction)}%)."
        )
    return False, f"I read your answer as {fmt(number)}%."


def _judge_year(exercise, read, expected, answer):
    return read == int(expected), ""


#: Usual ways of writing an option (compared without spaces, hyphens and dots) -> the option's words.
ALIASES = {
    "gsdf": "ground sdf",
    "jgsdf": "ground sdf",
    "groundselfdefenseforce": "ground sdf",
    "groundselfdefenceforce": "ground sdf",
    "groundselfdefenseforces": "ground sdf",
    "msdf": "maritime sdf",
    "jmsdf": "maritime sdf",
    "maritimeselfdefenseforce": "maritime sdf",
    "maritimeselfdefenceforce": "maritime sdf",
    "asdf": "air sdf",
    "jasdf": "air sdf",
    "airselfdefenseforce": "air sdf",
    "airselfdefenceforce": "air sdf",
    "allservices": "all three services",
    "all3services": "all three services",
    "thewholesdf": "all three services",
}


def _compact(text: str) -> str:
    return re.sub(r"[\s.\-_'\u2019]", "", text)


def option_for(text: str, options) -> str:
    """The option a normalised answer means: itself, or a usual form of it ("GSDF", "sa 1997", "SA-1997")."""
    if text in options:
        return text
    compact = _compact(text)
    by_compact = {_compact(o): o for o in options}
    if compact in by_compact:
        return by_compact[compact]
    alias = ALIASES.get(compact)
    return alias if alias in options else text


def _judge_choice(exercise, found, wanted, answer):
    options = {norm_text(c) for c in exercise.choices}
    found = {option_for(f, options) for f in found}
    strays = sorted(found - options)
    if strays:
        listing = "; ".join(str(c) for c in exercise.choices)
        given = {norm_text(a): a for a in as_list(answer) if isinstance(a, str)}  # echo what was typed
        raise Unreadable(
            f"{shorten(str(given.get(strays[0], strays[0])).strip())} is not one of the options. Choose from: {listing}."
        )
    if found == wanted:
        return True, ""
    return False, "More than one option is right here." if len(wanted) > 1 and len(found) == 1 else ""


def _judge_ids(exercise, found, wanted, answer):
    if found == wanted:
        return True, ""
    extra, missing = len(found - wanted), len(wanted - found)
    item = getattr(exercise, "item", "") or "id"
    parts = [
        f"{extra} of your {len(found)} {item}{'s' if len(found) != 1 else ''} should not be there"
        if extra
        else "",
        f"{missing} more {'is' if missing == 1 else 'are'} needed" if missing else "",
    ]
    return False, " and ".join(p for p in parts if p).capitalize() + "."


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("number", "a number, like 3.75", read_number, expected_number, _judge_number),
        Kind("percent", 'a percentage, like 3.75 or "3.75%"', read_number, expected_number, _judge_percent),
        Kind("integer", "a whole number, like 42", _read_whole, expected_number, _judge_integer),
        Kind(
            "year",
            "a year, written as a whole number with four digits",
            _read_year,
            expected_number,
            _judge_year,
        ),
        Kind(
            "choice",
            "one of the options, written as text in quotes",
            _read_many,
            expected_texts,
            _judge_choice,
        ),
        Kind(
            "ids",
            'one id in quotes, or a list of ids like ["a-1", "b-2"]',
            lambda value, wants: _read_many(value, wants, split_text=True),
            expected_texts,
            _judge_ids,
        ),
        Kind("text", 'a written answer in quotes, like "The chart shows ..."', judged=False),
    )
}


def wants(exercise) -> str:
    """What an exercise asks for, in words: its own ``wants`` if it has one, else its kind's."""
    return getattr(exercise, "wants", None) or KINDS[exercise.kind].wants


_HEDGE = re.compile(
    r"^\s*(about|approximately|approx\.?|around|roughly|nearly|almost|~|≈)(?=[\s\d.$¥€£+-])", re.I
)


def hedge_note(answer) -> str:
    """A sentence saying a hedge word in a number answer ("about 2") was not judged; "" if none."""
    if not isinstance(answer, str):
        return ""
    match = _HEDGE.match(answer[:MAX_TEXT])
    if not match:
        return ""
    return (
        f'I left out "{match.group(1)}": a self-check compares the number itself. How sure a figure '
        "is belongs in your written answers."
    )


def judge(exercise, answer, expected) -> tuple[bool, str]:
    """(right?, a note about how the answer was read).  Raises Unreadable for unusable answers."""
    kind = KINDS[exercise.kind]
    right, note = kind.judge(exercise, kind.read(answer, wants(exercise)), kind.expect(expected), answer)
    if kind.read in (read_number, _read_whole):
        note = " ".join(p for p in (note, hedge_note(answer)) if p)
    return right, note
