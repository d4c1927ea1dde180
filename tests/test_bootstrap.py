"""bootstrap.py's launchers: a student's JupyterLab hides nbgrader, an instructor's keeps Formgrader.

Both start a real Jupyter server from the test environment on 127.0.0.1 and ask it for nbgrader's
pages; the student's gets the config folder that ``bootstrap.py lab`` puts on JUPYTER_CONFIG_PATH.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import bootstrap  # noqa: E402

pytest.importorskip("nbgrader")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0  # not listening yet


def _pages(tmp_path: Path, config_path: str | None) -> dict[str, int]:
    """Start jupyter server, ask for Formgrader and the assignment list, stop it."""
    port, token = _free_port(), secrets.token_hex(8)
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "run"),
        IPYTHONDIR=str(tmp_path / "ipy"),
    )
    if config_path:
        env["JUPYTER_CONFIG_PATH"] = config_path
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "server",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={tmp_path}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _status(f"{base}/api/status?token={token}") != 200:
            assert server.poll() is None, "the Jupyter server exited"
            assert time.monotonic() < deadline, "the Jupyter server did not start within 60 s"
            time.sleep(0.3)
        return {
            page: _status(f"{base}/{page}?token={token}") for page in ("formgrader", "assignments", "lab")
        }
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.slow  # a subprocess or server of its own
def test_student_launch_hides_nbgrader_and_instructor_keeps_formgrader(tmp_path, monkeypatch):
    monkeypatch.setattr(bootstrap, "VENV", tmp_path / "venv")
    folder = bootstrap.student_config()
    page_config = json.loads((folder / "labconfig" / "page_config.json").read_text())
    assert page_config["disabledExtensions"] == {"@jupyter/nbgrader": True}

    student = _pages(tmp_path / "student", str(folder))
    instructor = _pages(tmp_path / "instructor", None)
    assert student["lab"] == 200 and instructor["lab"] == 200
    assert student["formgrader"] == 404, "students must not get Formgrader"
    assert instructor["formgrader"] == 200, "instructors open Formgrader in the same environment"


def test_install_shows_a_count_not_a_line_per_package(capsys):
    listing = "; ".join(f"print(' + package{i}==1.0')" for i in range(103))
    bootstrap.install_quietly([sys.executable, "-c", f"print('Resolved 103 packages'); {listing}"])
    out = capsys.readouterr().out
    assert "103 packages installed" in out and "package7==" not in out
    with pytest.raises(SystemExit, match="failed"):
        bootstrap.install_quietly([sys.executable, "-c", "print('error: no index'); raise SystemExit(2)"])
    assert "error: no index" in capsys.readouterr().out  # on failure, everything is shown
