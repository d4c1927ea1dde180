"""The offline bundle's cache: a damaged, foreign or planted file is never used, but rebuilt and replaced.

Altair's own bundle build (~1 s) is replaced here by a stand-in that counts the builds, so each
fault costs milliseconds; tests/test_charts.py builds the real bundle once.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from workbook.charts import alt, offline

BUNDLE = "/* stand-in for vl-convert's bundle */ export default { render() {} };\n" * 200


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """(cache file path, list of builds, load()) with a fresh cache folder and a counting builder."""
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("WORKBOOK_NO_SPEEDUPS", raising=False)
    chart_class = alt.JupyterChart
    monkeypatch.setattr(chart_class, "_is_offline", False, raising=False)
    monkeypatch.setattr(chart_class, "_esm", "", raising=False)
    builds = []
    vouched = hashlib.sha256(BUNDLE.encode()).hexdigest()
    monkeypatch.setattr(offline, "shipped_hash", lambda path: vouched)

    def enable_offline(offline=True):
        builds.append(offline)
        chart_class._esm, chart_class._is_offline = BUNDLE, True

    monkeypatch.setattr(chart_class, "enable_offline", staticmethod(enable_offline))

    def load() -> str:
        """What a new kernel gets: the bundle JupyterChart ends up with."""
        chart_class._is_offline, chart_class._esm = False, "stale"
        offline.offline_bundle()
        assert chart_class._is_offline
        return chart_class._esm

    return offline.cache_path(), builds, load


def _left_over(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_built_once_then_read_back(cache):
    path, builds, load = cache
    assert load() == BUNDLE and len(builds) == 1
    assert path.read_bytes().startswith(b"// sha256=")
    assert load() == BUNDLE and load() == BUNDLE
    assert len(builds) == 1 and _left_over(path.parent) == []


@pytest.mark.parametrize(
    "damage", ["truncated", "one byte changed", "not utf-8", "empty", "no header", "header only"]
)
def test_a_damaged_file_is_rebuilt_and_replaced(cache, damage):
    path, builds, load = cache
    load()
    good = path.read_bytes()
    bad = {
        "truncated": good[: len(good) // 2],
        "one byte changed": good[:-10] + b"X" + good[-9:],
        "not utf-8": b"\xff\xfe\x00" + good,
        "empty": b"",
        "no header": BUNDLE.encode(),  # what earlier versions wrote
        "header only": good.partition(b"\n")[0],
    }[damage]
    path.write_bytes(bad)
    assert load() == BUNDLE and len(builds) == 2
    assert path.read_bytes() == good  # repaired for the next kernel
    assert load() == BUNDLE and len(builds) == 2


def test_a_valid_looking_file_with_foreign_content_is_not_used(cache):
    path, builds, load = cache
    load()
    evil = b"alert('not ours');"
    header = path.read_bytes().partition(b"\n")[0]  # the real bundle's hash
    path.write_bytes(header + b"\n" + evil)
    assert load() == BUNDLE and len(builds) == 2


def test_a_planted_link_is_never_followed(cache, tmp_path):
    path, builds, load = cache
    load()
    victim = tmp_path / "victim.js"
    victim.write_bytes(path.read_bytes())  # even a perfect copy behind a link
    path.unlink()
    path.symlink_to(victim)
    assert load() == BUNDLE and len(builds) == 2  # not read through the link
    assert not path.is_symlink() and path.is_file()  # the link itself was replaced
    assert offline.read_cached(path) == BUNDLE
    victim.write_text("secret")
    path.unlink()
    path.symlink_to(victim)
    load()
    assert victim.read_text() == "secret"  # never written through


def test_a_link_at_the_old_predictable_temp_name_is_not_written_through(cache, tmp_path):
    path, builds, load = cache
    path.parent.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (path.parent / f"{path.name}.{os.getpid()}.tmp").symlink_to(victim)
    assert load() == BUNDLE
    assert victim.read_text() == "keep me"


def test_a_folder_at_the_cache_path_leaves_no_temp_file(cache):
    path, builds, load = cache
    path.mkdir(parents=True)
    (path / "something.txt").write_text("not ours to delete")
    for _ in range(3):
        assert load() == BUNDLE
    assert len(builds) == 3 and _left_over(path.parent) == []
    assert (path / "something.txt").read_text() == "not ours to delete"


def test_an_empty_folder_at_the_cache_path_is_replaced(cache):
    path, builds, load = cache
    path.mkdir(parents=True)
    assert load() == BUNDLE
    assert path.is_file() and load() == BUNDLE and len(builds) == 1


def test_a_pipe_at_the_cache_path_does_not_hang(cache):
    path, builds, load = cache
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    assert offline.read_cached(path) is None
    assert load() == BUNDLE and path.is_file()


def test_an_unwritable_cache_still_draws(cache, monkeypatch, tmp_path):
    path, builds, load = cache
    blocker = tmp_path / "a file, not a folder"
    blocker.write_text("")
    monkeypatch.setenv("WORKBOOK_CACHE", str(blocker / "cache"))
    assert load() == BUNDLE and load() == BUNDLE and len(builds) == 2


def test_switched_off_speedups_use_altairs_own_build(cache, monkeypatch):
    path, builds, load = cache
    monkeypatch.setenv("WORKBOOK_NO_SPEEDUPS", "1")
    assert load() == BUNDLE and load() == BUNDLE
    assert len(builds) == 2 and not path.exists()


def test_a_planted_file_with_a_self_consistent_hash_is_not_used(cache):
    path, builds, load = cache
    load()
    body = b"/* planted */ export default { render() { fetch('https://evil.example') } };"
    path.write_bytes(b"// sha256=" + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    assert load() == BUNDLE and len(builds) == 2
    assert b"planted" not in path.read_bytes()


def test_without_a_shipped_hash_nothing_is_cached(cache, monkeypatch):
    path, builds, load = cache
    monkeypatch.setattr(offline, "shipped_hash", lambda path: None)
    load()
    load()
    assert len(builds) == 2 and not path.exists()


@pytest.mark.slow
def test_the_shipped_hash_is_the_real_bundles(tmp_path, monkeypatch):
    """Fails after an Altair or vl-convert upgrade: run ``python -m workbook.charts.offline``."""
    monkeypatch.setattr(alt.JupyterChart, "_is_offline", False, raising=False)
    alt.JupyterChart.enable_offline(True)
    built = hashlib.sha256(alt.JupyterChart._esm.encode("utf-8")).hexdigest()
    assert offline.shipped_hash(offline.cache_path()) == built
