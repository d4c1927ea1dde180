"""Tidy tables for the four headline questions, built from ``claims`` and ``records``.

Nothing here is stored twice: each table puts a reading's claim beside the public record that
speaks to it.  The claims are found through the records' ``claim_id`` column, so adding a record
row (with its citation) is all it takes to add a figure to a chart.
"""

from __future__ import annotations

import pandas as pd

from .provenance import claim_citation, record_citation

COLUMNS = ["source", "measure", "group", "year", "value", "unit", "hedge", "period_start", "period_end",
           "ref", "citation"]


def _claims_for(pkg, subject: str) -> pd.DataFrame:
    records = pkg.table("records")
    ids = records.loc[records["subject"] == subject, "claim_id"].dropna().unique()
    claims = pkg.table("claims")
    return claims[claims["claim_id"].isin(list(ids))]


def _claim_rows(pkg, subject: str, group: str | None = None) -> list[dict]:
    readings = pkg.table("readings").set_index("id")
    rows = []
    for c in _claims_for(pkg, subject).itertuples(index=False):
        rows.append({
            "source": f"{c.reading} (claim)", "measure": c.measure, "group": group or "as the text says",
            "year": pd.NA, "value": c.value, "unit": c.unit, "hedge": c.hedge,
            "period_start": c.period_start, "period_end": c.period_end, "ref": c.claim_id,
            "citation": claim_citation(c, readings.loc[c.reading]),
        })
    return rows


def _record_rows(pkg, subject: str) -> list[dict]:
    rows = []
    records = pkg.table("records")
    for r in records[records["subject"] == subject].itertuples(index=False):
        rows.append({
            "source": "public record", "measure": r.measure, "group": r.group, "year": r.year,
            "value": r.value, "unit": r.unit, "hedge": "none", "period_start": r.year, "period_end": r.year,
            "ref": r.record_id, "citation": record_citation(r),
        })
    return rows


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("year", "period_start", "period_end"):
        df[col] = df[col].astype("Int64")
    df["value"] = df["value"].astype("float64")
    for col in ("source", "measure", "group", "unit", "hedge", "ref", "citation"):
        df[col] = df[col].astype("string")
    return df


def defence_spending(pkg) -> pd.DataFrame:
    """Defence budget as a share of GNP by year, beside essay2005's "approximately 1% of GDP"."""
    records = [r for r in _record_rows(pkg, "defence_spending") if r["group"] == "initial budget"]
    df = _frame(_claim_rows(pkg, "defence_spending") + records)
    basis = pkg.table("records").set_index("record_id")["basis"].astype("string")
    df.insert(6, "basis", df["ref"].map(basis).fillna("GDP (as the text says)").astype("string"))
    df["above_one_pct"] = (df["value"] > 1) & (df["source"] == "public record")
    return df


def personnel(pkg) -> pd.DataFrame:
    """Troop numbers: sa1997's "145,000 ... down from 180,000" beside what the 1995 outline set."""
    df = _frame(_claim_rows(pkg, "personnel") + _record_rows(pkg, "personnel"))
    def stage(row) -> str:
        text = f"{row['measure']} {row['group']}".lower()
        if "before" in text or "down from" == row["hedge"]:
            return "before the 1995 outline"
        if "all services" in text:
            return "for scale"
        return "after the 1995 outline"
    def service(row) -> str:
        if row["source"] != "public record":
            return "SDF (as the text says)"
        return "all three services" if row["group"] == "all services" else "Ground SDF"
    df.insert(3, "stage", df.apply(stage, axis=1).astype("string"))
    df.insert(4, "service", df.apply(service, axis=1).astype("string"))
    return df


def fuel_share(pkg) -> pd.DataFrame:
    """The Indian Ocean mission: essay2005's "as much as 50%" of coalition fuel beside recorded totals."""
    return _frame(_claim_rows(pkg, "fuel") + _record_rows(pkg, "fuel"))


def compensation(pkg) -> pd.DataFrame:
    """Comfort women: essay2005's "over five hundred" compensated beside the Asian Women's Fund record."""
    return _frame(_claim_rows(pkg, "compensation", group="all countries (as the text says)")
                  + _record_rows(pkg, "compensation"))


DERIVED = {
    "defence_spending": defence_spending,
    "personnel": personnel,
    "fuel_share": fuel_share,
    "compensation": compensation,
}
