"""The assertions table: what the readings only assert, each with what would measure it."""

from __future__ import annotations

import workbook


def test_a_linked_claim_is_the_same_passage():
    assertions, claims = workbook.load("assertions"), workbook.load("claims").set_index("claim_id")
    linked = assertions.dropna(subset=["claim_id"])
    assert len(linked) > 0
    for row in linked.itertuples():
        claim = claims.loc[row.claim_id]
        assert (claim["reading"], claim["paragraph"]) == (row.reading, row.paragraph), row.assertion_id


def test_ids_name_their_reading_and_paragraph():
    for row in workbook.load("assertions").itertuples():
        assert row.assertion_id.startswith(f"{row.reading}-a{row.paragraph:02d}"), row.assertion_id


def test_both_readings_and_the_main_kinds_are_covered():
    assertions = workbook.load("assertions")
    assert set(assertions["reading"]) == {"sa1997", "essay2005"}
    assert {"public opinion", "trend", "forecast", "superlative"} <= set(assertions["kind"])
    assert "cannot be measured" in set(assertions["measure_by"])  # some assertions no measure settles
