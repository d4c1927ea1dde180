"""The four headline tables agree with the claims and records they are built from."""

from __future__ import annotations

import pytest

import workbook


@pytest.fixture(scope="module")
def records():
    return workbook.load("records")


@pytest.fixture(scope="module")
def claims():
    return workbook.load("claims").set_index("claim_id")


def test_defence_spending_matches_records_and_flags_the_years_above_one_percent(records):
    df = workbook.load("defence_spending")
    rec = df[df["source"] == "public record"].set_index("year")["value"]
    src = records[(records["subject"] == "defence_spending") & (records["group"] == "initial budget")]
    assert rec.to_dict() == src.set_index("year")["value"].to_dict()
    above = set(df.loc[df["above_one_pct"], "year"])
    assert above == set(src.loc[src["value"] > 1, "year"]) and {1987, 1988, 1989} <= above
    claim = df[df["source"] == "essay2005 (claim)"]
    assert len(claim) == 1 and claim["hedge"].iloc[0] == "approximately" and claim["value"].iloc[0] == 1
    assert "GDP" in claim["basis"].iloc[0] and set(df.loc[df["source"] == "public record", "basis"]) == {"GNP"}


def test_personnel_puts_the_claim_beside_the_outline(claims):
    df = workbook.load("personnel")
    stated = df[df["source"] == "sa1997 (claim)"].set_index("ref")["value"]
    assert stated.to_dict() == {cid: claims.loc[cid, "value"] for cid in stated.index}
    assert sorted(stated) == [145000, 180000]
    after = df[(df["stage"] == "after the 1995 outline") & (df["service"] == "Ground SDF")].set_index("group")["value"]
    assert after["regular (after)"] + after["ready reserve (after)"] == after["total (after)"]
    assert after["regular (after)"] == claims.loc["sa1997-39a", "value"]


def test_fuel_share_holds_the_hedged_claim_and_the_recorded_totals(records):
    df = workbook.load("fuel_share")
    claim = df[df["source"] == "essay2005 (claim)"]
    assert list(claim["hedge"]) == ["as much as"] and list(claim["value"]) == [50]
    rec = df[df["source"] == "public record"]
    assert len(rec) == (records["subject"] == "fuel").sum()
    assert rec["citation"].str.contains("http").all()


def test_compensation_claim_exceeds_the_recorded_recipients():
    df = workbook.load("compensation")
    claim = df[df["source"] == "essay2005 (claim)"]
    recorded = df.loc[df["source"] == "public record", "value"].sum()
    assert list(claim["hedge"]) == ["over"] and claim["value"].iloc[0] > recorded > 300


def test_cite_gives_reading_paragraph_and_evidence(claims):
    text = workbook.cite("sa1997-39a")
    assert text.startswith("sa1997 ¶39:") and claims.loc["sa1997-39a", "evidence"] in text
    assert "Strategic Assessment" in text
    assert "http" in workbook.cite("r001")
    with pytest.raises(KeyError, match="sa1997-39a"):
        workbook.cite("nonsense")


# --------------------------------------------------------------------------- derivations.csv

def test_derivations_name_exactly_the_derived_tables():
    from workbook.derived import DERIVED

    plan = workbook.load("derivations")
    assert set(plan["table"].astype(str)) == set(DERIVED)
    for table in DERIVED:
        assert set(plan.loc[plan["table"] == table, "role"].astype(str)) == {"claim", "record"}, table


def test_only_the_ceiling_rows_of_the_derived_subjects_are_left_out(records):
    plan = workbook.load("derivations")
    used = set().union(*(set(workbook.load(t)["ref"]) for t in plan["table"].astype(str).unique()))
    subjects = set(plan["subject"].astype(str))
    left_out = records[records["subject"].astype(str).isin(subjects) & ~records["record_id"].isin(used)]
    assert set(left_out["group"]) == {"ceiling"}


def test_stage_and_service_come_from_the_derivations(data_copy, monkeypatch):
    path = data_copy / "derivations.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("total (before),,before the 1995 outline,Ground SDF",
                                 "total (before),,for scale,Maritime SDF"), encoding="utf-8")
    monkeypatch.setenv("WORKBOOK_DATA", str(data_copy))
    workbook.clear_cache()
    row = workbook.load("personnel").set_index("group").loc["total (before)"]
    assert (row["stage"], row["service"]) == ("for scale", "Maritime SDF")


def test_a_record_without_its_stage_is_named(data_copy, monkeypatch):
    path = data_copy / "derivations.csv"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if ",all services," not in line]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("WORKBOOK_DATA", str(data_copy))
    workbook.clear_cache()
    personnel = workbook.load("personnel")                   # the unmatched group is left out...
    assert "all services" not in set(personnel["group"])
    path.write_text(path.read_text(encoding="utf-8").replace(
        "personnel,record,personnel,total (after),,after the 1995 outline,Ground SDF",
        "personnel,record,personnel,,,,"), encoding="utf-8")
    workbook.clear_cache()
    with pytest.raises(workbook.DataError, match=r"derivations\.csv.*stage and service"):
        workbook.load("personnel")                            # ...a row with no stage is named
