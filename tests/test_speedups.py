"""The speed-ups to Altair: each one falls back to Altair's own way when Altair changes under it,
charts come out the same with them on or off, and jsonschema keeps its "iri" check.

The Altair changes are simulated on the real classes (restored after each test): a renamed
``_FromDict.class_dict``, a new keyword on ``_FromDict.__init__``, ``JupyterChart(None)`` refused,
a new major version.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from workbook import charts
from workbook.charts import alt, offline, speedups

WIDGET = "application/vnd.jupyter.widget-view+json"


def _text_encoded_chart():
    """A chart whose encodings are given as text, so Altair converts them with ``_FromDict``."""
    df = pd.DataFrame({"year": [1990, 1991], "value": [1.0, 0.95], "citation": ["a", "b"]})
    return alt.Chart(df).mark_line().encode(x="year:Q", y="value:Q", tooltip=["year:Q", "citation:N"])


@pytest.fixture
def from_dict(monkeypatch):
    """Altair's ``_FromDict`` class and its own ``__init__`` (under the workbook's memo)."""
    from altair.utils import schemapi

    cls = schemapi._FromDict
    monkeypatch.setattr(cls, "__init__", cls.__init__)  # restored after the test
    return cls, getattr(cls.__init__, "__wrapped__", cls.__init__)


@pytest.fixture
def bundle_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path))


def test_the_memo_is_in_place_and_changes_nothing():
    from altair.utils import schemapi

    assert speedups.active() and getattr(schemapi._FromDict.__init__, "_workbook_cached", False)
    fast = {name: build().to_dict() for name, build in charts.BUILDERS.items()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(speedups.SWITCH_OFF, "1")
        assert not speedups.active()
        slow = {name: build().to_dict() for name, build in charts.BUILDERS.items()}
    assert fast == slow


def test_renamed_class_dict_falls_back_to_altair(from_dict, monkeypatch):
    cls, altairs_init = from_dict
    expected = _text_encoded_chart().to_dict()
    altairs_from_dict = cls.from_dict

    def renamed_init(self, wrapper_classes, /):  # a future Altair: the table is renamed
        altairs_init(self, wrapper_classes)
        self.class_table = self.__dict__.pop("class_dict")

    def renamed_from_dict(self, *args, **kwargs):  # ...and read under its new name
        self.__dict__.setdefault("class_dict", self.class_table)
        return altairs_from_dict(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", renamed_init)
    monkeypatch.setattr(cls, "from_dict", renamed_from_dict)
    assert speedups.reuse_class_table(cls)  # installed over the new Altair
    assert _text_encoded_chart().to_dict() == expected
    assert _text_encoded_chart().to_dict() == expected  # and again, after it noticed
    assert charts.to_svg(charts.spending_chart()).startswith("<svg")


def test_a_new_keyword_on_from_dict_init_falls_back_to_altair(from_dict, monkeypatch):
    cls, altairs_init = from_dict
    expected = _text_encoded_chart().to_dict()
    seen = []

    def keyword_init(self, wrapper_classes, /, *, strict=False):  # a future Altair's signature
        seen.append(strict)
        altairs_init(self, wrapper_classes)

    monkeypatch.setattr(cls, "__init__", keyword_init)
    assert speedups.reuse_class_table(cls)
    converter = cls(alt.Chart._default_wrapper_classes(), strict=True)
    assert seen == [True] and converter.class_dict
    assert _text_encoded_chart().to_dict() == expected


def test_jupyter_chart_refusing_none_falls_back_to_altairs_renderer(bundle_cache, monkeypatch):
    altairs_init = alt.JupyterChart.__init__

    def refuse_none(self, chart, *args, **kwargs):
        if chart is None:
            raise TypeError("chart must be a Chart")
        altairs_init(self, chart, *args, **kwargs)

    monkeypatch.setattr(alt.JupyterChart, "__init__", refuse_none)
    assert speedups.widget_mimebundle(charts.claims_by_topic().to_dict()) is None
    data, _ = offline.render(charts.claims_by_topic().to_dict())
    assert WIDGET in data


def test_altairs_path_takes_only_public_steps(bundle_cache, monkeypatch):
    monkeypatch.setitem(sys.modules, "altair.vegalite.v6.display", None)  # importing it fails
    selection = _text_encoded_chart().add_params(alt.selection_point()).to_dict()
    assert offline.has_params(selection)
    data, _ = offline.render(selection)  # params always take Altair's path
    assert WIDGET in data
    monkeypatch.setattr(alt.JupyterChart, "__init__", _refusing_none(alt.JupyterChart.__init__))
    data, _ = offline.render(charts.timeline().to_dict())  # both changes at once
    assert WIDGET in data


def _refusing_none(init):
    def refuse_none(self, chart, *args, **kwargs):
        if chart is None:
            raise TypeError("chart must be a Chart")
        init(self, chart, *args, **kwargs)

    return refuse_none


def test_another_major_version_switches_the_speedups_off(bundle_cache, monkeypatch):
    monkeypatch.setattr(alt, "__version__", "7.0.0")
    assert not speedups.active()
    assert speedups.widget_mimebundle(charts.claims_by_topic().to_dict()) is None
    data, _ = offline.render(charts.claims_by_topic().to_dict())
    assert WIDGET in data
    assert charts.to_svg(charts.personnel_chart()).startswith("<svg")


@pytest.mark.slow  # a subprocess or server of its own
@pytest.mark.parametrize("switch", ["", "1"], ids=["speedups on", "speedups off"])
def test_charts_draw_in_a_fresh_process_with_the_speedups_on_or_off(switch, tmp_path):
    """Import time is where the switch matters most: Altair's import, its class table, its renderer."""
    code = """
import json, sys
from workbook import charts
from workbook.charts import offline
from altair.utils import schemapi
import jsonschema
drawn = {name: charts.to_svg(build()).startswith("<svg") for name, build in charts.BUILDERS.items()}
grammar_at_import = "rfc3987_syntax" in sys.modules
bundle, _ = offline.render(charts.spending_chart().to_dict())
checker = jsonschema.FormatChecker()
print(json.dumps({"drawn": drawn, "memo": getattr(schemapi._FromDict.__init__, "_workbook_cached", False),
                  "grammar_at_import": grammar_at_import, "widget": "application/vnd.jupyter.widget-view+json" in bundle,
                  "iri_bad": checker.conforms("http://exa mple.org/ä", "iri"),
                  "iri_good": checker.conforms("http://example.org/ä", "iri"),
                  "iri_ref": [checker.conforms("/a/b?c", "iri-reference"), checker.conforms("a b", "iri-reference")],
                  "registered_by": sorted({f.__module__ for f, _ in jsonschema.FormatChecker.checkers.values()}),
                  "real_module": "rfc3987_syntax" in sys.modules
                                 and "is_valid_syntax" in vars(sys.modules["rfc3987_syntax"])
                                 and hasattr(sys.modules["rfc3987_syntax"], "__file__")}))
"""
    env = {**__import__("os").environ, "WORKBOOK_NO_SPEEDUPS": switch, "WORKBOOK_CACHE": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert all(found["drawn"].values()) and set(found["drawn"]) == set(charts.BUILDERS)
    assert found["widget"]
    assert found["memo"] is (switch == "")
    if switch == "":
        assert not found["grammar_at_import"]  # the second of import time saved
    # jsonschema's "iri" checks kept where jsonschema has them: 4.25+ builds them on rfc3987-syntax;
    # constraints.txt pins 4.24, which checks no "iri" (README: "Pinned around upstream").
    has_iri = jsonschema_checks_iri()
    assert (found["iri_bad"], found["iri_good"]) == ((False, True) if has_iri else (True, True))
    if has_iri:
        assert found["iri_ref"] == [True, False]  # and its "iri-reference" check
        assert found["registered_by"] == ["jsonschema._format"]  # nothing written into its registry
        assert found["real_module"]  # the stand-in is gone once Altair is imported


def jsonschema_checks_iri() -> bool:
    """Whether jsonschema, imported alone in a fresh process, registers an "iri" format check."""
    code = "import jsonschema; print('iri' in jsonschema.FormatChecker.checkers)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip() == "True"


def test_iri_checks_are_registered_like_jsonschemas_own():
    jsonschema = pytest.importorskip("jsonschema")
    if not jsonschema_checks_iri():
        pytest.skip(
            "this jsonschema checks no 'iri' (constraints.txt pins 4.24: README, 'Pinned around upstream')"
        )
    for checker in (
        jsonschema.FormatChecker(),
        jsonschema.Draft7Validator.FORMAT_CHECKER,
        jsonschema.Draft202012Validator.FORMAT_CHECKER,
    ):
        assert {"iri", "iri-reference"} <= set(checker.checkers)
        assert checker.conforms("https://例え.jp/パス", "iri")
        assert not checker.conforms("not an iri at all ::", "iri")
        assert checker.conforms("../パス?q=1", "iri-reference")
        assert not checker.conforms("a b", "iri-reference")
    validator = jsonschema.Draft202012Validator({"format": "iri"}, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors("exa mple")) and not list(validator.iter_errors("http://example.org/"))


def test_the_vega_lite_version_is_the_one_altair_writes():
    written = charts.claims_by_topic().to_dict()["$schema"]  # .../vega-lite/v6.4.1.json
    assert f"/v{charts.static.VL_VERSION}." in written
    assert charts.to_svg(charts.claims_by_topic()) == charts.static.svg(charts.claims_by_topic().to_dict())
