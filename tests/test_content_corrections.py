"""The corrections of the third content pass (issue 24) stay made: each row says what the record says.

Each test reads the row as pandas reads the CSV and checks the corrected fact, so reverting a row to
the earlier, wrong version fails here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.read_csv(DATA / "records.csv").set_index("record_id")


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return pd.read_csv(DATA / "claims.csv").set_index("claim_id")


def test_japan_first_led_aid_in_1989_so_since_1993_is_not_a_slip(records, claims):
    assert records.loc["r047", "value"] == 1989
    assert "latimes.com" in records.loc["r047", "source_url"]
    assert "true as written" in claims.loc["sa1997-74a", "paraphrase"]


def test_the_600_in_iraq_is_a_force_level_not_a_sourced_cap(records):
    assert records.loc["r041", "group"] == "force level"
    assert "capped" not in records.loc["r041", "note"]
    assert "ceiling" not in records.loc["r041", "measure"]


def test_the_higuchi_report_puts_the_alliance_second(records, claims):
    row = records[records["claim_id"] == "sa1997-09b"]
    assert list(row["value"]) == [2] and row["source_url"].str.contains("worldjpn.net").all()
    glossary = pd.read_csv(DATA / "glossary.csv").set_index("term")
    assert "second" in glossary.loc["Higuchi Commission", "definition"]


def test_hosokawas_apologies_start_in_1993_and_earlier_apologies_are_recorded(records, claims):
    events = pd.read_csv(DATA / "events.csv").set_index("event_id")
    assert events.loc["essay2005-e21a", "date"].startswith("1993-08")
    assert claims.loc["essay2005-21c", "period_start"] == 1993
    earlier = records[(records["claim_id"] == "essay2005-21c") & (records["value"] < 1993.6)]
    assert {1992, 1993} <= set(earlier["value"].astype(int))


def test_no_row_claims_an_unsourced_place_for_the_carriers_or_context_for_the_threat(claims):
    events = pd.read_csv(DATA / "events.csv").set_index("event_id")
    places = pd.read_csv(DATA / "places.csv").set_index("place_id")
    texts = [
        claims.loc["sa1997-20e", "paraphrase"],
        events.loc["sa1997-e20c", "note"],
        places.loc["east_china_sea", "note"],
    ]
    assert not any("Philippine Sea" in t and "no source" not in t for t in texts)
    assert "conditional" not in events.loc["essay2005-e12b", "note"]
    assert "reference notes" not in claims.loc["essay2005-12d", "paraphrase"]


def test_the_colonial_enshrined_are_not_called_non_combatants():
    glossary = pd.read_csv(DATA / "glossary.csv").set_index("term")
    assert "colonial subjects" not in glossary.loc["Yasukuni Shrine", "definition"]
    for path in (Path(__file__).resolve().parents[1] / "exercises").rglob("*"):
        if path.suffix in {".md", ".ipynb"}:
            assert "colonial subjects" not in path.read_text(encoding="utf-8"), path


def test_the_yasukuni_exact_count_carries_its_2004_date(records):
    assert records.loc["r054", "year"] == 2004 and "October 2004" in records.loc["r054", "note"]


@pytest.mark.parametrize(
    ("claim_id", "hedge"),
    [("sa1997-01c", "none"), ("sa1997-26c", "probably"), ("sa1997-81a", "possibly")],
)
def test_hedge_codings(claims, claim_id, hedge):
    assert claims.loc[claim_id, "hedge"] == hedge


def test_one_of_the_markets_is_not_rank_one(claims):
    assert pd.isna(claims.loc["sa1997-66b", "value"])
