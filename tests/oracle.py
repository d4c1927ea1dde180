"""Reference solutions for the notebooks' self-checks, written apart from ``workbook/answers``.

Each answer is computed the way a careful student would: plain pandas on the CSV files in
``data/``, without ``workbook.load``, the derived tables or anything in ``workbook``.  Fixed answers
(a word's meaning, a reason) are golden values, reviewed once, each with the fact in the data that
supports it (checked by tests/test_answers_oracle.py).  A wrong filter in an answers module makes
its value differ from the one here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "data"


@cache
def csv(name: str) -> pd.DataFrame:
    """A CSV of data/ as pandas reads it by default (no schema, no types from the package)."""
    return pd.read_csv(DATA / f"{name}.csv", encoding="utf-8-sig")


def _value(table: pd.DataFrame, key: str, ident: str) -> float:
    return float(table.loc[table[key] == ident, "value"].squeeze())


def claims_of(reading: str) -> pd.DataFrame:
    claims = csv("claims")
    return claims[claims["reading"] == reading]


def _phase(n: int) -> pd.Series:
    phases = csv("phases")
    return phases[phases["phase"] == n].iloc[0]


def _budget_since_ceiling():
    records = csv("records")
    spending = records[records["subject"] == "defence_spending"]
    ceiling = spending[spending["group"] == "ceiling"]
    budget = spending[spending["group"] == "initial budget"]
    return budget, int(ceiling["year"].min()), int(ceiling["year"].max())


def _years_above_one_since_ceiling() -> list[int]:
    budget, set_in, _ = _budget_since_ceiling()
    return sorted(int(y) for y in budget.loc[(budget["value"] > 1) & (budget["year"] >= set_in), "year"])


def _mean_share_under_ceiling() -> float:
    budget, set_in, dropped = _budget_since_ceiling()
    return float(budget.loc[(budget["year"] >= set_in) & (budget["year"] < dropped), "value"].mean())


def _shrine_gap() -> float:
    shrine = float(csv("records").query("subject == 'yasukuni'")["value"].max())  # all wars
    return (_value(csv("claims"), "claim_id", "essay2005-22a") - shrine) / shrine * 100


def _fuel(group: str) -> float:
    records = csv("records")
    fuel = records[(records["subject"] == "fuel") & (records["unit"] == "kl")]
    return float(fuel.loc[fuel["group"] == group, "value"].squeeze())


def _recorded_recipients() -> float:
    records = csv("records")
    return float(records.loc[records["subject"] == "compensation", "value"].sum())


def _aid(group: str) -> float:
    records = csv("records")
    money = records[(records["subject"] == "aid") & (records["unit"] == "usd bn") & (records["year"] == 1995)]
    return float(money.loc[money["group"] == group, "value"].squeeze())


def _hedged(reading: str) -> float:
    own = claims_of(reading)
    return 100 * (own["hedge"] != "none").sum() / len(own)


def _aid_error(reading: str) -> float:
    stated = claims_of(reading)
    stated = stated[(stated["topic"] == "aid") & (stated["unit"] == "percent")]
    if stated.empty:
        return 0.0
    truth = (_aid("Japan") - _aid("United States")) / _aid("United States") * 100
    return abs(float(stated["value"].iloc[0]) - truth)


def _only(values: pd.Series):
    assert len(values) == 1, list(values)
    return values.iloc[0]


def _events_in_phase(reading: str, n: int) -> int:
    events = csv("events")
    years = pd.to_datetime(events["date"]).dt.year
    return int(
        (years.between(_phase(n)["start_year"], _phase(n)["end_year"]) & (events["reading"] == reading)).sum()
    )


def _personnel(group: str) -> float:
    records = csv("records")
    return _value(records[records["subject"] == "personnel"], "group", group)


def _whole_decades_in_phase_two() -> list[str]:
    row = _phase(2)
    return [f"the {d}s" for d in range(1900, 2100, 10) if row["start_year"] <= d and d + 9 <= row["end_year"]]


def _assertion(assertion_id: str, column: str) -> str:
    table = csv("assertions")
    return str(_only(table.loc[table["assertion_id"] == assertion_id, column]))


def _aid_lead_verdict() -> str:
    record = _value(csv("records"), "record_id", _assertion("sa1997-a74a", "record_id"))
    stated = _value(csv("claims"), "claim_id", "sa1997-74a")
    return "true as written" if record <= stated else "false"


def _basis_slip_verdict() -> str:
    claim = csv("claims").set_index("claim_id").loc["essay2005-06d"]
    budget, _, _ = _budget_since_ceiling()
    shares = budget.loc[budget["year"].between(claim["period_start"], claim["period_end"]), "value"]
    ceiling = csv("records").query("subject == 'defence_spending' and group == 'ceiling'")
    misnamed = "GDP" in claim["evidence"] and set(ceiling["basis"]) == {"GNP"}
    if abs(shares.mean() - claim["value"]) <= 0.15 and misnamed:
        return "the size holds but the yardstick is misnamed"
    return "the figure is far off"


def _north_korea_weight() -> str:
    shares = {r: (claims_of(r)["topic"] == "north_korea").mean() for r in ("sa1997", "essay2005")}
    if shares["sa1997"] == shares["essay2005"]:
        return "the same"
    return max(shares, key=shares.get)


def _larger_aid_error() -> str:
    sa, essay = _aid_error("sa1997"), _aid_error("essay2005")
    return "equal" if sa == essay else ("sa1997" if sa > essay else "essay2005")


#: check id -> the reference answer (a function, so a missing file fails only its own tests).
ORACLE = {
    "00.1": lambda: len(claims_of("essay2005")),
    "00.2": lambda: (
        len(claims_of("essay2005")) / float(csv("readings").set_index("id").loc["essay2005", "paragraphs"])
    ),
    "00.3": lambda: _only(csv("readings").loc[csv("readings")["kind"].str.contains("government"), "id"]),
    "01.1": lambda: int(_phase(2)["end_year"] - _phase(2)["start_year"]),
    "01.2": lambda: _events_in_phase("sa1997", 3),
    "01.4": lambda: _whole_decades_in_phase_two()[0],
    "01.6": lambda: _assertion("sa1997-a63a", "kind"),
    "02.6": lambda: _assertion("essay2005-a12b", "measure_by"),
    "03.6": lambda: _assertion("sa1997-a42a", "measure_by"),
    "04.5": lambda: _assertion("essay2005-a19a", "kind"),
    "05.7": lambda: _assertion("essay2005-a12c", "measure_by"),
    "06.7": lambda: _assertion("essay2005-a21a", "kind"),
    "07.7": _aid_lead_verdict,
    "02.1": lambda: _years_above_one_since_ceiling(),
    "02.2": lambda: _mean_share_under_ceiling(),
    "02.4": lambda: _basis_slip_verdict(),
    "03.1": lambda: (
        (_value(csv("claims"), "claim_id", "sa1997-39b") - _value(csv("claims"), "claim_id", "sa1997-39a"))
        / _value(csv("claims"), "claim_id", "sa1997-39b")
        * 100
    ),
    "03.2": lambda: (
        (_personnel("total (before)") - _personnel("total (after)")) / _personnel("total (before)") * 100
    ),
    "03.4": lambda: _only(
        csv("records")
        .query("subject == 'personnel' and group == 'all services'")
        .loc[lambda r: r["value"] > _value(csv("claims"), "claim_id", "sa1997-39b"), "record_id"]
    ),
    "04.1": lambda: _fuel("U.S. vessels") / _fuel("all recipients") * 100,
    "04.3": lambda: "less than",  # golden: the other upper-bound hedge (checked in use)
    "05.1": lambda: int((csv("places")["dispute"].str.strip() != "none").sum()),
    "05.2": lambda: int((claims_of("sa1997")["topic"] == "north_korea").sum()),
    "05.3": lambda: _north_korea_weight(),
    "05.5": lambda: (
        "it does not: the dispute is real, only put in the wrong sea"
    ),  # golden (checked in places)
    "06.1": lambda: int(round(_recorded_recipients())),
    "06.2": lambda: (
        (_value(csv("claims"), "claim_id", "essay2005-21d") - _recorded_recipients())
        / _recorded_recipients()
        * 100
    ),
    "06.4": lambda: "payments by the Japanese state, as legal compensation",  # golden (checked in the notes)
    "06.6": lambda: _shrine_gap(),
    "07.1": lambda: _hedged("sa1997"),
    "07.2": lambda: _hedged("essay2005"),
    "07.4": lambda: (_aid("Japan") - _aid("United States")) / _aid("United States") * 100,
    "07.5": _larger_aid_error,
    "08.1": lambda: int(
        ((csv("claims")["reading"] == "essay2005") & (csv("claims")["kind"] == "count")).sum()
    ),
    "08.3": lambda: "the values are in different units",  # golden: units mixed (checked)
}
