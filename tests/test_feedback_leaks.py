"""The feedback scan finds hidden tests a submission printed encoded (base64, zlib, deflate, hex, rot13, reversed)."""

from __future__ import annotations

import base64
import codecs
import json
import zlib

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")
from workbook.course.grading import feedback_leaks  # noqa: E402

HIDDEN = "assert abs(total_spending - 4021.5) < 0.01, 'the grand total'"


@pytest.fixture
def source(tmp_path):
    cell = {
        "cell_type": "code",
        "metadata": {"nbgrader": {"grade": True, "grade_id": "t1", "points": 1, "locked": True}},
        "source": f"assert total_spending > 0\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS\n",
        "outputs": [],
        "execution_count": None,
    }
    path = tmp_path / "ex.ipynb"
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


ENCODINGS = {
    "plain": lambda t: t,
    "base64": lambda t: base64.b64encode(t.encode()).decode(),
    "base64 of zlib": lambda t: base64.b64encode(zlib.compress(t.encode())).decode(),
    "urlsafe base64 of zlib": lambda t: base64.urlsafe_b64encode(zlib.compress(t.encode())).decode(),
    "hex": lambda t: t.encode().hex(),
    "hex of zlib": lambda t: zlib.compress(t.encode()).hex(),
    "base64 of raw deflate": lambda t: base64.b64encode(deflate(t.encode())).decode(),
    "base64 of zlib, checksum cut": lambda t: base64.b64encode(zlib.compress(t.encode())[:-4]).decode(),
    "base64 of zlib, cut at a bad length": lambda t: base64.b64encode(zlib.compress(t.encode())).decode()[
        :-3
    ],
    "rot13": lambda t: codecs.encode(t, "rot13"),
    "reversed": lambda t: t[::-1],
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_hidden_test_printed_encoded_is_found(source, tmp_path, encoding):
    page = tmp_path / "ex.html"
    printed = ENCODINGS[encoding]("x = 1\n" + HIDDEN + "\n")
    page.write_text(f"<html><body><pre>{printed}</pre></body></html>")
    assert feedback_leaks(source, page, None), encoding


def test_a_clean_page_is_clean(source, tmp_path):
    page = tmp_path / "ex.html"
    blob = base64.b64encode(zlib.compress(b"the student's own chart data " * 20)).decode()
    page.write_text(
        f"<html><body><pre>assert total_spending > 0</pre><img src='data:image/png;base64,{blob}'>"
    )
    assert feedback_leaks(source, page, None) == []


def test_plain_nbgrader_autograde_refuses_a_submission_holding_links(tmp_path):
    from workbook.course.grading import RefuseLinks

    folder = tmp_path / "submitted" / "linker" / "ex"
    folder.mkdir(parents=True)
    (folder / "ex.ipynb").write_text("{}")
    resources = {"metadata": {"path": str(folder)}}
    assert RefuseLinks().preprocess({}, resources) == ({}, resources)  # no links: graded
    (folder / "data.csv").symlink_to("/etc/shadow")
    with pytest.raises(ValueError, match="holds links"):
        RefuseLinks().preprocess({}, resources)
