"""Every figure can be traced: evidence is verbatim in the cited paragraph, prose is our own,
and every outside figure carries its source."""

from __future__ import annotations

import re

import pytest

import workbook
from workbook.texts import normalise, paragraphs

EVIDENCE_TABLES = ["claims", "events", "phases", "assertions"]
PROSE_COLUMNS = {
    "claims": ["paraphrase", "measure"],
    "events": ["title", "note"],
    "phases": ["summary", "years_basis", "name"],
    "sections": ["summary"],
    "glossary": ["definition"],
    "places": ["note"],
    "records": ["note"],
    "readings": ["dated_by"],
    "assertions": ["paraphrase", "what_would_measure"],
}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", normalise(text).lower())


@pytest.mark.parametrize("table", EVIDENCE_TABLES)
def test_evidence_is_short(table):
    df = workbook.load(table)
    lengths = df["evidence"].str.split().str.len()
    assert (lengths <= 12).all(), df.loc[lengths > 12, "evidence"].tolist()


@pytest.mark.parametrize("table", EVIDENCE_TABLES)
def test_evidence_is_in_the_cited_paragraph(table, readings_dir):
    df = workbook.load(table)
    texts = {r: paragraphs(r, readings_dir) for r in df["reading"].unique()}
    missing = [
        f"{row.reading} ¶{row.paragraph}: {row.evidence!r}"
        for row in df.itertuples()
        if normalise(row.evidence) not in texts[row.reading][row.paragraph - 1]
    ]
    assert not missing, "evidence not found where cited:\n" + "\n".join(missing)


def test_our_prose_shares_no_eight_word_run_with_the_readings(readings_dir):
    grams = set()
    for reading in ("sa1997", "essay2005"):
        for para in paragraphs(reading, readings_dir):
            w = _words(para)
            grams |= {tuple(w[i : i + 8]) for i in range(len(w) - 7)}
    copied = []
    for table, columns in PROSE_COLUMNS.items():
        df = workbook.load(table)
        for column in columns:
            for text in df[column].dropna():
                w = _words(text)
                if any(tuple(w[i : i + 8]) in grams for i in range(len(w) - 7)):
                    copied.append(f"{table}.{column}: {text[:80]}")
    assert not copied, "copied from the readings:\n" + "\n".join(copied)


def test_paragraph_numbers_follow_the_readme(readings_dir):
    for row in workbook.load("readings").itertuples():
        assert len(paragraphs(row.id, readings_dir)) == row.paragraphs


def test_sections_tile_each_reading():
    sections = workbook.load("sections")
    for row in workbook.load("readings").itertuples():
        own = sections[sections["reading"] == row.id].sort_values("first_paragraph")
        covered = [p for s in own.itertuples() for p in range(s.first_paragraph, s.last_paragraph + 1)]
        assert covered == list(range(1, row.paragraphs + 1)), row.id


@pytest.mark.parametrize("table", ["claims", "events", "phases"])
def test_paragraphs_exist_and_claims_sit_in_their_section(table):
    df = workbook.load(table)
    sizes = workbook.load("readings").set_index("id")["paragraphs"]
    assert (df["paragraph"] <= df["reading"].map(sizes).astype(int)).all()
    if table == "claims":
        sections = workbook.load("sections").set_index("section_id")
        first = df["section"].map(sections["first_paragraph"]).astype(int)
        last = df["section"].map(sections["last_paragraph"]).astype(int)
        bad = df[(df["paragraph"] < first) | (df["paragraph"] > last)]
        assert bad.empty, bad[["claim_id", "section"]].to_string()


def test_claims_cover_both_readings_and_ranges_are_ordered():
    claims = workbook.load("claims")
    counts = claims["reading"].value_counts()
    assert counts["sa1997"] >= 50 and counts["essay2005"] >= 30 and len(claims) >= 100
    ranges = claims.dropna(subset=["value_low", "value_high"])
    assert (ranges["value_low"] <= ranges["value_high"]).all()
    has_figure = claims[["value", "value_low"]].notna().any(axis=1)
    assert has_figure.sum() > 0.75 * len(claims)
    # A claim without a figure must say why: a hedge that records the vagueness, or a paraphrase noting none is given.
    unexplained = claims[
        ~has_figure
        & (claims["hedge"] == "none")
        & ~claims["paraphrase"].str.contains(r"\bno\b[^.]*\b(?:given|year|years|amount|rank|figure)\b")
    ]
    assert unexplained.empty, unexplained["claim_id"].tolist()
    assert claims["claim_id"].str.slice(0, -4).eq(claims["reading"].astype(str)).all()
    assert claims["claim_id"].str.slice(-3, -1).astype(int).eq(claims["paragraph"]).all()


def test_every_record_cites_a_public_source():
    records = workbook.load("records")
    assert records["source_url"].str.match(r"https?://[^\s/]+\.[^\s/]+/").all()
    assert records["source_title"].str.len().gt(5).all()


def test_event_dates_fit_their_precision():
    events = workbook.load("events")
    coarse = events[events["precision"] != "day"]
    assert (coarse["date"].dt.day == 1).all()
    assert (events.loc[events["precision"] == "year", "date"].dt.month == 1).all()
    ends = events.dropna(subset=["end_date"])
    assert (ends["end_date"] >= ends["date"]).all()
