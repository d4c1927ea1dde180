"""Every self-check's expected value agrees with an independent reference solution (tests/oracle.py),
and every fixed (golden) answer still has the fact in the data that makes it right."""

from __future__ import annotations

import math

import pytest
from oracle import ORACLE, claims_of, csv

from workbook import checks
from workbook.checks import check

JUDGED = [i for i in checks.ids() if checks._REGISTRY[i].kind != "text"]


def test_every_judged_exercise_has_a_reference_answer():
    assert sorted(ORACLE) == sorted(JUDGED)


@pytest.mark.parametrize("check_id", JUDGED)
def test_expected_value_equals_the_reference(check_id):
    expected, truth = checks._REGISTRY[check_id](), ORACLE[check_id]()
    if isinstance(truth, float):
        assert math.isclose(float(expected), truth, rel_tol=1e-9), (expected, truth)
    elif isinstance(truth, list):
        assert sorted(expected) == truth
    else:
        assert expected == truth
    assert check(check_id, truth).correct is True


def test_golden_answers_still_hold_in_the_data():
    records = csv("records")
    hedges = set(csv("claims")["hedge"])
    assert {"as much as", "less than"} <= hedges  # 04.3
    linked = records[records["claim_id"].isin(["sa1997-39a", "sa1997-39b"])]
    assert linked["measure"].str.startswith("GSDF").all() and len(linked) == 2  # 03.4
    notes = " ".join(records.loc[records["subject"] == "compensation", "note"].dropna())
    assert "not state compensation" in notes  # 06.4
    seas = csv("places").set_index("place_id")
    assert {"Japan", "China"} <= set(seas.loc["east_china_sea", "dispute"].split("; "))  # 05.5
    assert records["unit"].nunique() > 1  # 08.3
    places = csv("places").set_index("place_id")
    assert places.loc["east_china_sea", "name"] == "East China Sea"  # 05.5
    assert "China" in places.loc["east_china_sea", "dispute"]
    assert len(claims_of("essay2005")) > 0
