"""Tidy tables for the four headline questions, built from ``claims`` and ``records``.

Nothing here is stored twice: each table puts a reading's claim beside the public record that
speaks to it.  Which rows go into which table, and what each row means there (its stage, its
service, the group a claim stands for), is data: ``data/derivations.csv``.  The claims are found
through the records' ``claim_id`` column, so adding a record row (with its citation) whose group
the derivations name is all it takes to add a figure to a chart.
"""

from __future__ import annotations

import pandas as pd

from .errors import DataError
from .provenance import claim_citation, record_citation

COLUMNS = ["source", "measure", "group", "year", "value", "unit", "hedge", "period_start", "period_end",
           "ref", "citation"]
#: The group a claim row shows when the derivations give none.
AS_THE_TEXT_SAYS = "as the text says"


def _derivations(pkg, table: str, role: str) -> pd.DataFrame:
    """The rows of ``derivations.csv`` that bring ``role`` rows ("claim"/"record") into ``table``."""
    plan = pkg.table("derivations")
    rows = plan[(plan["table"].astype(str) == table) & (plan["role"].astype(str) == role)]
    if rows.empty:
        raise DataError(f"no row says which {role}s feed the table {table!r}", file="derivations.csv",
                        column="table")
    return rows


def _matching(plan: pd.DataFrame, key: str):
    """The derivation row that takes the claim id or record group ``key`` (a specific match first)."""
    exact = plan[plan["match"].astype("string") == key]
    if len(exact):
        return exact.iloc[0]
    general = plan[plan["match"].isna()]
    return general.iloc[0] if len(general) else None


def _text(value, default=None):
    return default if value is None or pd.isna(value) else str(value)


def _claim_rows(pkg, table: str) -> list[dict]:
    """One row per claim the derivations bring into ``table``, with its meaning there."""
    plan = _derivations(pkg, table, "claim")
    records, claims = pkg.table("records"), pkg.table("claims")
    readings = pkg.table("readings").set_index("id")
    subjects = set(plan["subject"].astype(str))
    linked = records.loc[records["subject"].astype(str).isin(subjects), "claim_id"].dropna().unique()
    rows = []
    for c in claims[claims["claim_id"].isin(list(linked))].itertuples(index=False):
        how = _matching(plan, c.claim_id)
        if how is None:
            continue
        rows.append({
            "source": f"{c.reading} (claim)", "measure": c.measure,
            "group": _text(how["group_label"], AS_THE_TEXT_SAYS), "year": pd.NA, "value": c.value,
            "unit": c.unit, "hedge": c.hedge, "period_start": c.period_start, "period_end": c.period_end,
            "ref": c.claim_id, "citation": claim_citation(c, readings.loc[c.reading]),
            "stage": _text(how["stage"]), "service": _text(how["service"]),
        })
    return rows


def _record_rows(pkg, table: str) -> list[dict]:
    """One row per record the derivations bring into ``table`` (matched by subject and group)."""
    plan = _derivations(pkg, table, "record")
    records = pkg.table("records")
    rows = []
    for r in records[records["subject"].astype(str).isin(set(plan["subject"].astype(str)))].itertuples(index=False):
        how = _matching(plan[plan["subject"].astype(str) == str(r.subject)], str(r.group))
        if how is None:
            continue
        rows.append({
            "source": "public record", "measure": r.measure, "group": r.group, "year": r.year,
            "value": r.value, "unit": r.unit, "hedge": "none", "period_start": r.year, "period_end": r.year,
            "ref": r.record_id, "citation": record_citation(r),
            "stage": _text(how["stage"]), "service": _text(how["service"]),
        })
    return rows


def _frame(pkg, table: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """``table``'s claim rows then record rows, typed; ``extra`` derivation columns are kept too."""
    rows = _claim_rows(pkg, table) + _record_rows(pkg, table)
    df = pd.DataFrame(rows, columns=COLUMNS + list(extra))
    for col in ("year", "period_start", "period_end"):
        df[col] = df[col].astype("Int64")
    df["value"] = df["value"].astype("float64")
    for col in ("source", "measure", "group", "unit", "hedge", "ref", "citation", *extra):
        df[col] = df[col].astype("string")
    missing = df[list(extra)].isna().any(axis=1) if extra else pd.Series(False, index=df.index)
    if missing.any():
        ref = df.loc[missing, "ref"].iloc[0]
        raise DataError(f"{ref} feeds the table {table!r} but no row gives its {' and '.join(extra)}",
                        file="derivations.csv", column=", ".join(extra))
    return df


def defence_spending(pkg) -> pd.DataFrame:
    """Defence budget as a share of GNP by year, beside essay2005's "approximately 1% of GDP"."""
    df = _frame(pkg, "defence_spending")
    basis = pkg.table("records").set_index("record_id")["basis"].astype("string")
    df.insert(6, "basis", df["ref"].map(basis).fillna("GDP (as the text says)").astype("string"))
    df["above_one_pct"] = (df["value"] > 1) & (df["source"] == "public record")
    return df


def personnel(pkg) -> pd.DataFrame:
    """Troop numbers: sa1997's "145,000 ... down from 180,000" beside what the 1995 outline set."""
    df = _frame(pkg, "personnel", extra=("stage", "service"))
    return df[COLUMNS[:3] + ["stage", "service"] + COLUMNS[3:]]


def fuel_share(pkg) -> pd.DataFrame:
    """The Indian Ocean mission: essay2005's "as much as 50%" of coalition fuel beside recorded totals."""
    return _frame(pkg, "fuel_share")


def compensation(pkg) -> pd.DataFrame:
    """Comfort women: essay2005's "over five hundred" compensated beside the Asian Women's Fund record."""
    return _frame(pkg, "compensation")


#: Each derived table and the function that builds it (its rows are chosen by derivations.csv).
DERIVED = {
    "defence_spending": defence_spending,
    "personnel": personnel,
    "fuel_share": fuel_share,
    "compensation": compensation,
}
