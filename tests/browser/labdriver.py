"""Drive a private JupyterLab in headless Chromium: the machinery behind the browser tests.

Three parts, used by ``conftest.py`` and ``test_notebooks_in_browser.py``:

- :class:`LabServer` starts ``jupyter lab`` on 127.0.0.1 (free port, random token) in a temporary
  root with Jupyter's and IPython's folders redirected into that temporary folder, and stops it
  (sessions deleted, ``/api/shutdown``, then signals; leftover kernels found by their connection
  file in our runtime folder are ended by pid).
- :class:`KernelTraffic` decodes the kernel websocket frames that the page sends and receives
  (JupyterLab's ``v1.kernel.websocket.jupyter.org`` protocol, or plain JSON). It sees every error
  the kernel reports, including errors raised in widget callbacks that JupyterLab only sends to
  its log console, and knows which Altair ``JupyterChart`` widgets the kernel displayed.
- :class:`NotebookPage` opens one notebook in a fresh browser context, records every request
  (anything not addressed to the local server is aborted and recorded), runs all cells through
  the Run menu, waits for the kernel to finish, inspects the rendered outputs, operates widgets
  and takes screenshots.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# ipykernel logs these when JupyterLab's widget manager probes a kernel that has not imported
# ipywidgets yet (the "jupyter.widget.control" comm): noise, never shown to a student.
COMM_NOISE = re.compile(r"^\s*No such comm( target registered)?: ")

# Settings written into the temporary JUPYTER_CONFIG_DIR (labconfig/default_setting_overrides.json),
# never into the venv: no news toast and no update check (both would reach the internet).
LAB_SETTING_OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


# ----------------------------------------------------------------------------------------------
# Configuration (environment variables are described in conftest.py and README.md)
# ----------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium (apt-get install chromium); a browser is never downloaded. WORKBOOK_CHROMIUM
# may name another installed Chromium binary.
CHROMIUM = "/usr/bin/chromium"


def chromium_path() -> str:
    return os.environ.get("WORKBOOK_CHROMIUM") or CHROMIUM


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces for the offline check: no name but the local server resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]

# What the terminal summary tells at the end (see pytest_terminal_summary).
REPORT: dict = {"timings": {}, "cleanup": [], "started": None, "server_start": None}


def notebooks_dir() -> Path:
    return Path(os.environ.get("WORKBOOK_BROWSER_NOTEBOOKS") or ROOT / "notebooks").expanduser().resolve()


def notebook_files() -> list[Path]:
    folder = notebooks_dir()
    return sorted(folder.glob("*.ipynb")) if folder.is_dir() else []


def artifacts_dir() -> Path:
    return (
        Path(os.environ.get("WORKBOOK_ARTIFACTS") or ROOT / "test-artifacts" / "browser")
        .expanduser()
        .resolve()
    )


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return f"no Chromium at {path} (Debian: apt-get install chromium; a browser is never downloaded)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"Python Playwright is not installed ({error}); install the [test] extras"
    return None


# ----------------------------------------------------------------------------------------------
# The server
# ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """A private ``jupyter lab`` serving ``root`` (which holds the copied ``notebooks/``)."""

    def __init__(self, base: Path, notebooks: Path, python: str = sys.executable):
        self.base = base
        self.root = base / "root"
        self.jupyter_dirs = {
            "JUPYTER_CONFIG_DIR": base / "jupyter-config",
            "JUPYTER_DATA_DIR": base / "jupyter-data",
            "JUPYTER_RUNTIME_DIR": base / "jupyter-runtime",
            "IPYTHONDIR": base / "ipython",
        }
        self.python = python
        self.notebooks = notebooks
        self.token = secrets.token_hex(24)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = base / "jupyter-lab.log"
        self.started_sessions: set[str] = set()

    # -- paths and urls ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({k: str(v) for k, v in self.jupyter_dirs.items()})
        # Never let a user-level or machine-level JUPYTER_PATH/JUPYTER_CONFIG_PATH change what
        # the lab loads: extensions come from sys-prefix (the venv), settings from our config dir.
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["WORKBOOK_PROGRESS"] = str(self.base / "progress.json")  # the self-checks' record
        return env

    def prepare(self) -> None:
        import shutil

        for folder in self.jupyter_dirs.values():
            folder.mkdir(parents=True, exist_ok=True)
        labconfig = self.jupyter_dirs["JUPYTER_CONFIG_DIR"] / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "default_setting_overrides.json").write_text(
            json.dumps(LAB_SETTING_OVERRIDES, indent=2), encoding="utf-8"
        )
        # The student's kernels load the workbook at start (what `workbook setup` writes), here in
        # this server's own IPython folder.
        from workbook import kernel

        kernel.install(ipython_dir=self.jupyter_dirs["IPYTHONDIR"])
        target = self.root / "notebooks"
        shutil.copytree(
            self.notebooks, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )

    # -- start/stop -------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        self.prepare()
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between probing and binding
            self.port = free_port()
            command = [
                self.python,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--ServerApp.open_browser=False",
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.append("--allow-root")
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                command,
                cwd=self.root,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            atexit.register(self._emergency_stop)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_error = f"jupyter lab exited with {self.proc.returncode}"
                    break
                try:
                    self.api("GET", "/api/status", timeout=2)
                    return
                except (OSError, urllib.error.URLError):
                    time.sleep(0.2)
            else:
                last_error = f"jupyter lab did not answer /api/status within {timeout:.0f}s"
                self.stop()
                break
        raise RuntimeError(f"{last_error}; log: {self.log_path}\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def api(self, method: str, path: str, body: object | None = None, timeout: float = 10) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def sessions(self) -> list[dict]:
        return list(self.api("GET", "/api/sessions") or [])

    def delete_session(self, session_id: str) -> None:
        try:
            self.api("DELETE", f"/api/sessions/{session_id}", timeout=30)
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise

    def delete_sessions_for(self, path: str) -> list[str]:
        """Delete the kernel sessions opened on ``path`` (relative to the root); their ids."""
        deleted = []
        for session in self.sessions():
            if session.get("path") == path:
                self.delete_session(session["id"])
                deleted.append(session["id"])
        return deleted

    def stop(self) -> list[str]:
        """Stop everything this server started; returns notes on anything that needed force."""
        notes: list[str] = []
        if self.proc is None:
            return notes
        if self.proc.poll() is None:
            try:
                for session in self.sessions():
                    self.delete_session(session["id"])
                    notes.append(f"session {session['id']} ({session.get('path')}) was still open")
            except (OSError, urllib.error.URLError):
                pass
            try:
                self.api("POST", "/api/shutdown", timeout=10)
            except (OSError, urllib.error.URLError):
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                notes.append("jupyter lab ignored /api/shutdown; sent SIGTERM")
                self._signal_group(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    notes.append("jupyter lab ignored SIGTERM; sent SIGKILL")
                    self._signal_group(signal.SIGKILL)
                    self.proc.wait(timeout=10)
        # Kernels run in their own process session, so they are found by the connection file in
        # our runtime folder (only kernels this server started have one there).
        for pid in self.leftover_pids():
            notes.append(f"process {pid} (kernel of the test server) was still running; killed")
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return notes

    def _emergency_stop(self) -> None:
        """Last resort at interpreter exit, if the fixture's teardown never ran."""
        if self.proc is not None and self.proc.poll() is None:
            self._signal_group(signal.SIGKILL)
        for pid in self.leftover_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def leftover_pids(self) -> list[int]:
        marker = str(self.base).encode()
        pids = []
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline and int(entry.name) != os.getpid():
                pids.append(int(entry.name))
        return pids

    def setting_defaults(self, plugin: str) -> dict:
        """The defaults the lab serves for one plugin's settings (overrides are applied to them)."""
        schema = (self.api("GET", f"/lab/api/settings/{plugin}") or {}).get("schema") or {}
        return {name: spec.get("default") for name, spec in (schema.get("properties") or {}).items()}

    def labextensions(self) -> list[str]:
        """Names of the prebuilt extensions the lab page will load (from its page config)."""
        request = urllib.request.Request(self.url + f"/lab?token={self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            html = response.read().decode()
        match = re.search(
            r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S
        )
        if not match:
            return []
        config = json.loads(match.group(1))
        return [ext["name"] for ext in config.get("federated_extensions", [])]


# ----------------------------------------------------------------------------------------------
# Kernel traffic
# ----------------------------------------------------------------------------------------------


def decode_frame(payload: str | bytes) -> tuple[str | None, dict] | None:
    """(channel, message) from one kernel websocket frame, or None if it isn't a message."""
    if isinstance(payload, str):
        try:
            msg = json.loads(payload)
        except ValueError:
            return None
        return msg.get("channel"), msg
    data = bytes(payload)
    try:
        count = int.from_bytes(data[:8], "little")
        if not 3 <= count <= 64:
            return None
        offsets = [int.from_bytes(data[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(count)]
        channel = data[offsets[0] : offsets[1]].decode()
        parts = [data[offsets[i] : offsets[i + 1]] for i in range(1, count - 1)]
        header, parent, metadata, content = (json.loads(p) if p else {} for p in parts[:4])
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return channel, {"header": header, "parent_header": parent, "metadata": metadata, "content": content}


def refs_in(value: object) -> set[str]:
    """Widget model ids referenced by a widget state ("IPY_MODEL_<id>" strings)."""
    found: set[str] = set()
    if isinstance(value, str):
        if value.startswith("IPY_MODEL_"):
            found.add(value[len("IPY_MODEL_") :])
    elif isinstance(value, dict):
        for item in value.values():
            found |= refs_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= refs_in(item)
    return found


@dataclass
class WidgetModel:
    name: str = ""
    module: str = ""
    is_chart: bool = False
    has_spec: bool = False
    refs: set[str] = field(default_factory=set)
    capture_msg_id: str = ""  # an Output widget's current capture (``with out:``)
    captured: set[str] = field(default_factory=set)  # widgets displayed inside this Output widget
    closed: bool = False


@dataclass
class KernelError:
    where: str
    ename: str
    evalue: str
    traceback: str

    def __str__(self) -> str:
        return f"{self.where}: {self.ename}: {self.evalue}"


class KernelTraffic:
    """What the page and its kernel said to each other, decoded."""

    def __init__(self) -> None:
        self.frames = 0
        self.undecoded = 0
        self.kernel_ready = False
        self.code: dict[str, str] = {}  # execute_request msg_id -> code
        self.counts: dict[str, int] = {}  # execute_request msg_id -> execution count
        self.replied: dict[str, str] = {}  # execute_request msg_id -> reply status
        self.frontend_comm_msgs: set[str] = set()
        self.pictures: dict[str, str] = {}  # chart model id -> the last drawing the page sent back
        self.errors: list[KernelError] = []
        self.stderr: list[tuple[str, str]] = []
        self.models: dict[str, WidgetModel] = {}
        self.roots: dict[str, tuple[str, str]] = {}  # key -> (parent msg_id, model_id)
        self.last_status = ""
        self.clock: dict[str, dict[str, float]] = {}  # execute_request msg_id -> sent/started/done times

    # -- frames -----------------------------------------------------------------------------
    def sent(self, payload: str | bytes) -> None:
        decoded = decode_frame(payload)
        if decoded is None:
            return
        channel, msg = decoded
        header = msg.get("header", {})
        if header.get("msg_type") == "execute_request":
            self.code[header.get("msg_id", "")] = msg.get("content", {}).get("code", "")
            self.clock[header.get("msg_id", "")] = {"sent": time.monotonic()}
        elif header.get("msg_type") == "comm_msg":
            self.frontend_comm_msgs.add(header.get("msg_id", ""))
            content = msg.get("content", {}) or {}
            data = content.get("data", {}) or {}
            picture = (data.get("content") or {}).get("picture") if data.get("method") == "custom" else None
            if isinstance(picture, str):
                self.pictures[content.get("comm_id", "")] = picture

    def received(self, payload: str | bytes) -> None:
        self.frames += 1
        decoded = decode_frame(payload)
        if decoded is None:
            self.undecoded += 1
            return
        channel, msg = decoded
        msg_type = msg.get("header", {}).get("msg_type", "")
        parent = msg.get("parent_header", {}) or {}
        parent_id = parent.get("msg_id", "")
        content = msg.get("content", {}) or {}
        if msg_type == "kernel_info_reply":
            self.kernel_ready = True
        elif msg_type == "execute_input" and parent_id in self.clock:
            self.clock[parent_id]["started"] = time.monotonic()
            self.counts[parent_id] = content.get("execution_count")
        elif msg_type == "execute_reply":
            self.replied[parent_id] = content.get("status", "")
            if parent_id in self.clock:
                self.clock[parent_id]["done"] = time.monotonic()
        elif msg_type == "status":
            self.last_status = content.get("execution_state", "")
        elif msg_type == "error":
            self.errors.append(
                KernelError(
                    self.where(parent_id),
                    content.get("ename", ""),
                    content.get("evalue", ""),
                    ANSI.sub("", "\n".join(content.get("traceback", []))),
                )
            )
        elif msg_type == "stream" and content.get("name") == "stderr":
            text = content.get("text", "")
            if not COMM_NOISE.match(text):
                self.stderr.append((self.where(parent_id), text))
        elif msg_type in ("display_data", "execute_result", "update_display_data"):
            self._display(msg_type, parent_id, content)
        elif msg_type == "clear_output":
            capturing = self._capturing(parent_id)
            if capturing is not None:
                capturing.captured.clear()
            elif parent_id in self.code:
                for key in [k for k, (p, _m) in self.roots.items() if p == parent_id]:
                    del self.roots[key]
        elif msg_type == "comm_open" and content.get("target_name") == "jupyter.widget":
            state = (content.get("data") or {}).get("state") or {}
            model = self.models.setdefault(content.get("comm_id", ""), WidgetModel())
            model.name = state.get("_model_name", "")
            model.module = state.get("_model_module", "")
            model.is_chart = "spec" in state and "_vl_selections" in state
            self._update(model, state)
        elif msg_type == "comm_msg":
            data = content.get("data") or {}
            model = self.models.get(content.get("comm_id", ""))
            if model is not None and data.get("method") in ("update", "echo_update"):
                self._update(model, data.get("state") or {})
        elif msg_type == "comm_close":
            model = self.models.get(content.get("comm_id", ""))
            if model is not None:
                model.closed = True

    # -- helpers ----------------------------------------------------------------------------
    def where(self, parent_id: str) -> str:
        if parent_id in self.code:
            lines = [line for line in self.code[parent_id].splitlines() if line.strip()]
            first = lines[0] if lines else ""
            more = " …" if len(lines) > 1 else ""
            return f"cell `{first[:90]}{more}`"
        if parent_id in self.frontend_comm_msgs:
            return "widget callback (after a change in the browser)"
        return "kernel"

    def _update(self, model: WidgetModel, state: dict) -> None:
        if model.is_chart and "spec" in state:
            model.has_spec = state["spec"] is not None
        if model.name == "OutputModel" and "msg_id" in state:
            model.capture_msg_id = state["msg_id"] or ""
        refs = refs_in({k: v for k, v in state.items() if k not in ("layout", "style")})
        if refs or any(k in state for k in ("children", "outputs")):
            model.refs = refs

    def _capturing(self, parent_id: str) -> WidgetModel | None:
        """The Output widget that captures what ``parent_id`` displays (``with out:``), if any."""
        for model in self.models.values():
            if model.name == "OutputModel" and parent_id and model.capture_msg_id == parent_id:
                return model
        return None

    def _display(self, msg_type: str, parent_id: str, content: dict) -> None:
        view = (content.get("data") or {}).get(WIDGET_VIEW)
        display_id = (content.get("transient") or {}).get("display_id")
        if msg_type == "update_display_data":
            if display_id and display_id in self.roots:
                if view:
                    self.roots[display_id] = (self.roots[display_id][0], view.get("model_id", ""))
                else:
                    del self.roots[display_id]
            return
        if not view:
            return
        capturing = self._capturing(parent_id)
        if capturing is not None:
            capturing.captured.add(view.get("model_id", ""))
            return
        if parent_id not in self.code:
            return  # shown nowhere in the notebook (e.g. displayed by a callback without an Output)
        key = display_id or f"{parent_id}#{len(self.roots)}"
        self.roots[key] = (parent_id, view.get("model_id", ""))

    # -- questions the tests ask -------------------------------------------------------------
    def all_replied(self) -> bool:
        return bool(self.code) and all(msg_id in self.replied for msg_id in self.code)

    def cell_times(self) -> list[tuple[float, str]]:
        """(seconds the kernel spent, where) for each executed cell, slowest first."""
        times = []
        for msg_id, clock in self.clock.items():
            if "started" in clock and "done" in clock:
                times.append((clock["done"] - clock["started"], self.where(msg_id)))
        return sorted(times, reverse=True)

    def run_span(self) -> tuple[float, float] | None:
        """(first cell sent -> first cell started, first started -> last done) in seconds."""
        sent = [c["sent"] for c in self.clock.values()]
        started = [c["started"] for c in self.clock.values() if "started" in c]
        done = [c["done"] for c in self.clock.values() if "done" in c]
        if not (sent and started and done):
            return None
        return min(started) - min(sent), max(done) - min(started)

    def _reachable(self, model_ids) -> set[str]:
        seen: set[str] = set()
        stack = list(model_ids)
        while stack:
            model_id = stack.pop()
            if model_id in seen:
                continue
            seen.add(model_id)
            model = self.models.get(model_id)
            if model is not None:
                stack.extend(model.refs | model.captured)
        return seen

    def _is_live_chart(self, model_id: str) -> bool:
        model = self.models.get(model_id)
        return model is not None and model.is_chart and model.has_spec and not model.closed

    def displayed_charts(self) -> list[str]:
        """Altair JupyterChart models (with a spec) reachable from what the cells displayed."""
        seen = self._reachable(model_id for _parent, model_id in self.roots.values())
        return sorted(m for m in seen if self._is_live_chart(m))

    def charts_by_cell(self) -> dict[int, int]:
        """{execution count of a cell: how many Altair charts it displayed (widgets included)}."""
        by_cell: dict[int, set[str]] = {}
        for parent_id, model_id in self.roots.values():
            count = self.counts.get(parent_id)
            if count is not None:
                by_cell.setdefault(count, set()).update(self._reachable([model_id]))
        result = {n: sum(1 for m in models if self._is_live_chart(m)) for n, models in by_cell.items()}
        return {n: k for n, k in sorted(result.items()) if k}


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

JS_RUN_STATE = """(panelSel) => {
  const panel = document.querySelector(panelSel);
  if (!panel) return {panel: false};
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const cells = [...panel.querySelectorAll('.jp-CodeCell')];
  const prompts = cells.map(c => (c.querySelector('.jp-InputPrompt') || {textContent: ''}).textContent.trim());
  // An empty code cell is never sent to the kernel and keeps its blank prompt: not "not run".
  const hasCode = cells.map(c => ((c.querySelector('.cm-content') || {textContent: ''}).textContent || '').trim() !== '');
  return {panel: true, status: ind ? ind.getAttribute('data-status') : null,
          running: prompts.filter(p => p.includes('[*]')).length,
          notRun: prompts.filter((p, i) => hasCode[i] && (/^\\[\\s*\\]:?$/.test(p) || p === '')).length,
          codeCells: prompts.length};
}"""

JS_OUTPUT_STATE = """(panelSel) => {
  const panel = document.querySelector(panelSel);
  const text = e => (e.textContent || '').replace(/\\s+/g, ' ').trim();
  const cells = [...panel.querySelectorAll('.jp-Cell')];
  const result = {loading: [], widgetErrors: [], stderr: [], jsErrors: [], charts: [], widgetViews: 0};
  cells.forEach((cell, index) => {
    if (!cell.classList.contains('jp-CodeCell')) return;
    const prompt = text(cell.querySelector('.jp-InputPrompt') || cell);
    const match = /\\[(\\d+)\\]/.exec(prompt);
    const count = match ? Number(match[1]) : null;
    const editor = cell.querySelector('.jp-InputArea-editor .cm-line');
    const where = `cell ${index + 1} [${count === null ? ' ' : count}] \\`${editor ? text(editor).slice(0, 70) : ''}\\``;
    for (const o of cell.querySelectorAll('.jp-OutputArea-output')) {
      const t = text(o);
      if (/^Loading widget/.test(t)) result.loading.push(where);
      if (/Error displaying widget/.test(t)) result.widgetErrors.push(`${where}: ${t.slice(0, 200)}`);
      if (o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr') result.stderr.push(`${where}: ${t.slice(0, 300)}`);
    }
    const jsError = e => /^JavaScript Error:/.test(text(e));
    for (const e of cell.querySelectorAll('.jp-OutputArea-output div')) {
      // Altair's JupyterChart replaces the chart by a red "JavaScript Error: ..." when Vega throws.
      if (jsError(e) && ![...e.querySelectorAll('div')].some(jsError)) {
        const first = e.querySelector('p') || e;
        result.jsErrors.push({count, where, error: text(first).slice(0, 300)});
      }
    }
    result.widgetViews += cell.querySelectorAll('.jupyter-widgets').length;
    cell.querySelectorAll('.vega-embed').forEach(v => {
      const g = v.querySelector('svg.marks, canvas');
      const r = g ? g.getBoundingClientRect() : {width: 0, height: 0};
      const marks = g && g.tagName.toLowerCase() === 'svg' ? g.querySelectorAll('path, rect, line, text, circle').length : (g ? 1 : 0);
      const err = v.querySelector('.error');
      const labelled = v.querySelector('[aria-label]');
      const title = v.querySelector('svg.marks .role-title-text');
      result.charts.push({index: result.charts.length, count, where, kind: g ? g.tagName.toLowerCase() : null,
        width: r.width, height: r.height, marks, error: err ? text(err).slice(0, 300) : '',
        label: labelled ? (labelled.getAttribute('aria-label') || '').slice(0, 120) : '',
        title: title ? text(title).slice(0, 120) : ''});
    });
  });
  return result;
}"""

# What a widget drives: the charts' drawings and the HTML/Output widgets' contents in the control's
# cell and the next code cell (the controls themselves are left out: their readouts always change).
JS_SNAPSHOT = """(el) => {
  const cell = el.closest('.jp-Cell');
  const region = [cell];
  let next = cell.nextElementSibling;
  while (next && !next.classList.contains('jp-CodeCell')) next = next.nextElementSibling;
  if (next) region.push(next);
  const charts = [], texts = [];
  for (const c of region) {
    for (const v of c.querySelectorAll('.vega-embed')) {
      const g = v.querySelector('svg.marks, canvas');
      charts.push(!g ? (v.textContent || '') : g.tagName.toLowerCase() === 'canvas' ? g.toDataURL() : g.outerHTML);
    }
    for (const h of c.querySelectorAll('.widget-html-content, .jupyter-widgets-output-area, .jp-OutputArea-output[data-mime-type]')) {
      if (!h.closest('.vega-embed')) texts.push(h.innerHTML);
    }
  }
  return {charts, texts};
}"""


class NotebookPage:
    """One notebook open in its own browser context."""

    def __init__(self, server: LabServer, browser, notebook: str, artifacts: Path, viewport=(1440, 900)):
        self.server = server
        self.notebook = notebook  # path relative to the server root, e.g. notebooks/01_x.ipynb
        self.stem = Path(notebook).stem
        self.artifacts = artifacts
        self.traffic = KernelTraffic()
        self.requests: list[str] = []
        self.foreign: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.timings: dict[str, float] = {}
        self.changes = 0  # widgets operated so far (a failure screenshot is reused until this changes)
        self._failure_shots: dict[int, list[Path]] = {}
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            service_workers="block",  # so every request goes through our route handler
        )
        self.context.route("**/*", self._route)
        self.context.on("request", lambda request: self.requests.append(f"{request.method} {request.url}"))
        self.page = self.context.new_page()
        self.page.on("websocket", self._websocket)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)[:500]))

    # -- recording --------------------------------------------------------------------------
    def _local(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):  # never leave the browser
            return True
        return (
            parts.scheme in ("http", "https", "ws", "wss") and parts.netloc == f"127.0.0.1:{self.server.port}"
        )

    def _route(self, route) -> None:
        url = route.request.url
        if self._local(url):
            route.continue_()
        else:
            self.foreign.append(f"{route.request.method} {url}")
            route.abort("blockedbyclient")

    def _websocket(self, ws) -> None:
        self.requests.append(f"WEBSOCKET {ws.url}")
        if not self._local(ws.url):
            self.foreign.append(f"WEBSOCKET {ws.url}")
        if "/api/kernels/" in ws.url:
            ws.on("framesent", self.traffic.sent)
            ws.on("framereceived", self.traffic.received)

    def _console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text[:500])

    # -- driving ----------------------------------------------------------------------------
    def pump(self, ms: int = 200) -> None:
        """Let the browser work and deliver its events (websocket frames) to Python."""
        self.page.wait_for_timeout(ms)

    def wait_until(self, predicate, timeout: float, what: str, interval_ms: int = 200):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
            self.pump(interval_ms)

    def open(self, timeout: float = 90.0) -> None:
        start = time.monotonic()
        path = urllib.parse.quote(self.notebook)
        self.page.goto(
            f"{self.server.url}/lab/tree/{path}?reset&token={self.server.token}",
            wait_until="domcontentloaded",
        )
        self.page.wait_for_selector(f"{PANEL} .jp-Notebook", timeout=timeout * 1000)
        # The indicator says "idle" before the kernel exists ("No Kernel | Initializing"), so also
        # wait for the kernel's own kernel_info_reply on the websocket.
        try:
            self.wait_until(
                lambda: self.traffic.kernel_ready and self.run_state().get("status") == "idle",
                timeout,
                "the notebook's kernel to start and go idle",
            )
        except TimeoutError as error:
            dialog = self.page.locator(".jp-Dialog")
            if dialog.count():  # e.g. "Select Kernel" when the notebook's kernelspec is unknown
                raise TimeoutError(
                    f"{error}; a dialog is open: {dialog.first.inner_text()[:300]!r}"
                ) from None
            raise
        self.timings["open"] = time.monotonic() - start

    def run_state(self) -> dict:
        return self.page.evaluate(JS_RUN_STATE, PANEL)

    def run_all(self, timeout: float = 300.0) -> None:
        """Run > Run All Cells, once, as a student would, then wait until every cell has finished.

        ``open`` has waited for the kernel's own kernel_info_reply: Run All clicked while JupyterLab
        is still starting the kernel is dropped by Lab (see README, "Run All right after a kernel
        starts"), which is what a student gets told by the classroom's kernel-initializing notice.
        """
        start = time.monotonic()
        self.page.locator(
            ".lm-MenuBar-item .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")
        ).first.click()
        self.page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
        try:
            self.wait_until(lambda: bool(self.traffic.code), 60, "Run All to send cells to the kernel")
        except TimeoutError as error:
            toasts = self.page.evaluate(
                "() => [...document.querySelectorAll('.Toastify__toast')].map(e => e.textContent.slice(0, 200))"
            )
            raise TimeoutError(
                f"{error}; kernel ready: {self.traffic.kernel_ready}; notices: {toasts}"
            ) from None
        self.wait_idle(timeout, start)
        self.timings["run"] = time.monotonic() - start

    def wait_idle(self, timeout: float, start: float | None = None) -> None:
        """Kernel idle, every sent cell answered, no '[*]' prompt left: twice in a row, 0.5 s apart."""
        start = time.monotonic() if start is None else start
        stable = 0
        deadline = start + timeout
        while True:
            state = self.run_state()
            done = (
                state.get("status") == "idle"
                and state.get("running") == 0
                and self.traffic.all_replied()
                and self.traffic.last_status == "idle"
            )
            stable = stable + 1 if done else 0
            if stable >= 2:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"cells still running after {timeout:.0f}s (indicator {state.get('status')}, "
                    f"{state.get('running')} cell(s) at [*], {len(self.traffic.replied)}/{len(self.traffic.code)} answered)"
                )
            self.pump(250)

    def wait_rendered(self, timeout: float = 30.0) -> float:
        """Give widget views and Vega (which paints asynchronously) time to finish drawing."""
        start = time.monotonic()
        expected = self.traffic.charts_by_cell()

        def settled() -> bool:
            state = self.output_state(scroll=False)
            if state["loading"] or any(not c["kind"] and not c["error"] for c in state["charts"]):
                return False
            return not self.missing_charts(state, expected)

        try:
            self.wait_until(settled, timeout, "charts and widgets to draw", interval_ms=300)
        except TimeoutError:
            pass  # the checks report what is missing
        self.pump(300)
        return time.monotonic() - start

    def missing_charts(self, state: dict, expected: dict[int, int] | None = None) -> list[str]:
        """Cells that displayed more Altair charts than the page shows drawn or failed."""
        expected = self.traffic.charts_by_cell() if expected is None else expected
        problems = []
        for count, wanted in expected.items():
            shown = [c for c in state["charts"] if c["count"] == count]
            failed = [e for e in state["jsErrors"] if e["count"] == count]
            if len(shown) + len(failed) < wanted:
                sent = [m for m, n in self.traffic.counts.items() if n == count]
                where = f"[{count}] " + (self.traffic.where(sent[0]) if sent else "")
                problems.append(
                    f"{where}: the kernel displayed {wanted} Altair chart(s), the page shows {len(shown)}"
                )
        return problems

    def output_state(self, scroll: bool = True) -> dict:
        if scroll:
            # Cells outside the viewport are skipped by the browser (content-visibility): bring
            # each chart into view before measuring it.
            for chart in self.page.locator(f"{PANEL} .vega-embed").all():
                try:
                    chart.scroll_into_view_if_needed(timeout=5000)
                except Exception:  # noqa: BLE001 - measured (and reported) below anyway
                    pass
        return self.page.evaluate(JS_OUTPUT_STATE, PANEL)

    # -- widgets ----------------------------------------------------------------------------
    def snapshot(self, element) -> dict:
        return element.evaluate(JS_SNAPSHOT)

    # -- screenshots ------------------------------------------------------------------------
    def screenshot(self, label: str = "") -> list[Path]:
        """Screenshots of the whole notebook (scrolled in viewport-high slices if it is long)."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        name = self.stem + (f"--{label}" if label else "")
        for old in self.artifacts.glob(f"{name}.png"):
            old.unlink()
        for old in self.artifacts.glob(f"{name}-part*.png"):
            old.unlink()
        viewport = self.page.viewport_size
        paths: list[Path] = []
        try:
            scroller = self.page.locator(f"{PANEL} .jp-WindowedPanel-outer").first
            # The notebook leaves empty room below its last cell: measure down to that cell only.
            measure = """e => {
                const cells = e.querySelectorAll('.jp-Cell');
                const last = cells[cells.length - 1];
                const bottom = last ? last.getBoundingClientRect().bottom - e.getBoundingClientRect().top + e.scrollTop : e.scrollHeight;
                return {height: Math.ceil(bottom) + 16, client: e.clientHeight};
            }"""
            metrics = scroller.evaluate(measure)
            chrome = viewport["height"] - metrics["client"]
            tall = max(viewport["height"], min(metrics["height"] + chrome, 6000))
            self.page.set_viewport_size({"width": viewport["width"], "height": tall})
            self.pump(400)
            metrics = scroller.evaluate(measure)
            last = max(metrics["height"] - metrics["client"], 0)
            step = max(metrics["client"] - 40, 200)
            offsets = list(range(0, last + 1, step))
            if offsets[-1] < last:
                offsets.append(last)
            for number, offset in enumerate(offsets[:12], start=1):
                scroller.evaluate("(e, y) => { e.scrollTop = y; }", offset)
                self.pump(300)
                path = self.artifacts / (f"{name}.png" if len(offsets) == 1 else f"{name}-part{number}.png")
                self.page.screenshot(path=str(path))
                paths.append(path)
        except Exception:  # noqa: BLE001 - a failure screenshot must not hide the real failure
            path = self.artifacts / f"{name}.png"
            self.page.screenshot(path=str(path))
            paths.append(path)
        finally:
            try:
                self.page.set_viewport_size(viewport)
            except Exception:  # noqa: BLE001
                pass
        return paths

    def failure_screenshot(self, test_name: str) -> list[Path]:
        """A screenshot for a failed test; tests failing on the same state share one."""
        if self.changes not in self._failure_shots:
            self._failure_shots[self.changes] = self.screenshot(label=f"FAILED-{test_name}")
        return self._failure_shots[self.changes]

    def write_log(self) -> Path:
        """Everything recorded for this notebook, for a person reading the artifacts."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{self.stem}.log.txt"
        lines = (
            [
                f"notebook: {self.notebook}",
                f"timings (s): {json.dumps({k: round(v, 1) for k, v in self.timings.items()})}",
                f"kernel frames: {self.traffic.frames} (undecoded {self.traffic.undecoded})",
                f"Altair charts displayed by the kernel: {len(self.traffic.displayed_charts())}",
                f"kernel: first cell waited / all cells took (s): {self.traffic.run_span()}",
                "slowest cells (s):",
            ]
            + [f"  {t:5.2f}  {w}" for t, w in self.traffic.cell_times()[:5]]
            + ["", f"kernel errors ({len(self.traffic.errors)}):"]
        )
        lines += [f"  {e}\n{e.traceback}" for e in self.traffic.errors]
        lines += ["", f"stderr ({len(self.traffic.stderr)}):"] + [
            f"  {w}: {t.strip()}" for w, t in self.traffic.stderr
        ]
        lines += ["", f"console errors ({len(self.console_errors)}):"] + [
            f"  {t}" for t in self.console_errors
        ]
        lines += ["", f"page errors ({len(self.page_errors)}):"] + [f"  {t}" for t in self.page_errors]
        lines += ["", f"requests to other hosts, aborted ({len(self.foreign)}):"] + [
            f"  {r}" for r in self.foreign
        ]
        lines += ["", f"all requests ({len(self.requests)}):"] + [f"  {r}" for r in self.requests]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def close(self) -> list[str]:
        """Close the browser context and delete the kernel session(s) it opened."""
        try:
            self.context.close()
        finally:
            deleted = self.server.delete_sessions_for(self.notebook)
        return deleted


# -- a kernel held still ----------------------------------------------------------------------
def kernel_pids(server: LabServer, notebook: str) -> list[int]:
    """The processes of the kernels this server runs for ``notebook`` (found by their connection files)."""
    ids = [s["kernel"]["id"] for s in server.sessions() if s.get("path") == notebook and s.get("kernel")]
    runtime = str(server.jupyter_dirs["JUPYTER_RUNTIME_DIR"]).encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if runtime in cmdline and any(f"kernel-{i}.json".encode() in cmdline for i in ids):
            found.append(int(entry.name))
    return found


@contextlib.contextmanager
def kernel_paused(server: LabServer, notebook: str):
    """The notebook's kernel stopped (SIGSTOP) inside the block, so nothing the page does meanwhile can
    lean on it; resumed (SIGCONT) on the way out, whatever happened.  Messages sent meanwhile wait in
    its sockets and are answered after."""
    pids = kernel_pids(server, notebook)
    if not pids:
        raise RuntimeError(f"no kernel process found for {notebook} (sessions: {server.sessions()})")
    stopped = []
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield pids
    finally:
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
