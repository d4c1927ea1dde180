"""A small client for the classroom's JupyterHub, as a student or instructor uses it.

Logs in through the hub's login form (as a browser does), then talks to the hub's REST API and to
the user's own server behind the proxy: contents, kernels (code run over the kernel websocket),
nbgitpuller's pull and nbgrader's assignment list.  Only ever talks to the given loopback URL.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlparse

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubError(AssertionError):
    """The hub or a user's server answered something unexpected."""


class HubUser:
    """One person's browser-less session on the hub."""

    def __init__(self, base_url: str, name: str, password: str, timeout: float = 60):
        if urlparse(base_url).hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(f"tests talk to loopback only, not {base_url}")
        self.base = base_url.rstrip("/")
        self.name = name
        self.password = password
        self.timeout = timeout
        self.http = requests.Session()
        self.token: str | None = None
        self.last_run: dict[str, float] = {}  # seconds of the last run(): kernel_start, cells

    # ------------------------------------------------------------------ hub
    def login(self) -> requests.Response:
        """POST the login form with its _xsrf field; returns the hub's answer (302 when accepted).

        Starts a fresh browser session (cookies) each time, as a new browser would.
        """
        self.http = requests.Session()
        page = self.http.get(f"{self.base}/hub/login", timeout=self.timeout)
        page.raise_for_status()
        found = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
        xsrf = found.group(1) if found else self.http.cookies.get("_xsrf", "")
        return self.http.post(
            f"{self.base}/hub/login?next=",
            timeout=self.timeout,
            data={"username": self.name, "password": self.password, "_xsrf": xsrf},
            allow_redirects=False,
        )

    def make_token(self) -> str:
        """An API token of this user's own, asked for with the login cookie (as JupyterLab does)."""
        xsrf = next((c.value for c in self.http.cookies if c.name == "_xsrf"), "")
        answer = self.http.post(
            f"{self.base}/hub/api/users/{self.name}/tokens",
            timeout=self.timeout,
            headers={"X-XSRFToken": xsrf or ""},
            json={"note": "classroom test", "expires_in": 3600},
        )
        if answer.status_code != 201:
            raise HubError(f"{self.name}: token request answered {answer.status_code}: {answer.text[:300]}")
        self.token = answer.json()["token"]
        return self.token

    def hub_api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(
            method, f"{self.base}/hub/api{path}", headers=headers, timeout=self.timeout, **kw
        )

    def start_server(self) -> None:
        answer = self.hub_api("POST", f"/users/{self.name}/server")
        if answer.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"{self.name}: spawn answered {answer.status_code}: {answer.text[:300]}")

    def wait_ready(self, timeout: float = 150) -> float:
        """Seconds until the hub reports this user's server ready."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            model = self.hub_api("GET", f"/users/{self.name}").json()
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                return time.monotonic() - start
            if not server.get("pending") and not server and time.monotonic() - start > 5:
                raise HubError(f"{self.name}: the server stopped while starting: {model}")
            time.sleep(0.3)
        raise HubError(f"{self.name}: server not ready after {timeout:.0f} s")

    # ------------------------------------------------------------------ the user's own server
    @property
    def server(self) -> str:
        return f"{self.base}/user/{self.name}"

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(
            f"{self.server}{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=kw.pop("timeout", self.timeout),
            **kw,
        )

    def post(self, path: str, **kw) -> requests.Response:
        return requests.post(
            f"{self.server}{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=kw.pop("timeout", self.timeout),
            **kw,
        )

    def read_file(self, path: str) -> str:
        answer = self.get(f"/api/contents/{path}", params={"content": "1", "type": "file", "format": "text"})
        if answer.status_code != 200:
            raise HubError(f"{self.name}: reading {path} answered {answer.status_code}")
        return answer.json()["content"]

    def read_notebook(self, path: str) -> dict:
        answer = self.get(f"/api/contents/{path}", params={"content": "1"})
        if answer.status_code != 200:
            raise HubError(f"{self.name}: reading {path} answered {answer.status_code}")
        return answer.json()["content"]

    def save_notebook(self, path: str, nb: dict) -> None:
        answer = requests.put(
            f"{self.server}/api/contents/{path}",
            timeout=self.timeout,
            headers={"Authorization": f"token {self.token}"},
            json={"type": "notebook", "format": "json", "content": nb},
        )
        if answer.status_code not in (200, 201):
            raise HubError(f"{self.name}: saving {path} answered {answer.status_code}: {answer.text[:300]}")

    def exists(self, path: str) -> bool:
        return self.get(f"/api/contents/{path}", params={"content": "0"}).status_code == 200

    def git_pull(self, repo: str, branch: str, targetpath: str, timeout: float = 120) -> list[dict]:
        """nbgitpuller's pull, as its progress page runs it (an event stream); returns the events."""
        query = urlencode({"repo": repo, "branch": branch, "targetpath": targetpath})
        events = []
        with self.get(f"/git-pull/api?{query}", stream=True, timeout=timeout) as answer:
            if answer.status_code != 200:
                raise HubError(f"{self.name}: git-pull answered {answer.status_code}")
            for line in answer.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1].get("phase") in ("finished", "error"):
                        break
        if not events or events[-1].get("phase") != "finished":
            raise HubError(f"{self.name}: git-pull did not finish: {events[-3:]}")
        return events

    def nbgrader(self, action: str, course_id: str, assignment_id: str) -> dict:
        """nbgrader's assignment list action (fetch, submit, fetch_feedback), as its Lab panel calls it."""
        answer = self.post(
            f"/assignments/{action}",
            timeout=120,
            data={"course_id": course_id, "assignment_id": assignment_id},
        )
        if answer.status_code != 200:
            raise HubError(
                f"{self.name}: nbgrader {action} answered {answer.status_code}: {answer.text[:300]}"
            )
        result = answer.json()
        if not result.get("success"):
            raise HubError(f"{self.name}: nbgrader {action} failed: {result.get('value')}")
        return result

    def run(self, cells: list[str], timeout: float = 120, keep_kernel: bool = False) -> list[dict]:
        """Run code cells in a new kernel on the user's server; one result per cell.

        Each result: {"stdout": text, "error": "Name: message" or None}.  The kernel is deleted
        after, unless keep_kernel (then the caller deletes it, e.g. after measuring its memory).
        """
        started = time.monotonic()
        answer = self.post("/api/kernels", json={"name": "python3"})
        if answer.status_code != 201:
            raise HubError(f"{self.name}: kernel start answered {answer.status_code}: {answer.text[:300]}")
        kernel_id = answer.json()["id"]
        self.last_run = {"kernel_start": time.monotonic() - started}
        try:
            # In a thread of its own: the test process may already be running an event loop.
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=1) as own_thread:
                job = own_thread.submit(
                    asyncio.run, asyncio.wait_for(self._run(kernel_id, cells, timeout), timeout)
                )
                results = job.result()
            self.last_run["cells"] = time.monotonic() - started
            return results
        finally:
            if not keep_kernel:
                requests.delete(
                    f"{self.server}/api/kernels/{kernel_id}",
                    timeout=self.timeout,
                    headers={"Authorization": f"token {self.token}"},
                )

    async def _run(self, kernel_id: str, cells: list[str], timeout: float) -> list[dict]:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = self.server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        # The server answers the websocket once the kernel has replied to kernel_info (its start,
        # with the workbook's extension): on a loaded machine that takes longer than tornado's
        # default 20 s, and JupyterLab waits; so does this client, up to the run's own timeout.
        request = HTTPRequest(
            url,
            headers={"Authorization": f"token {self.token}"},
            connect_timeout=timeout,
            request_timeout=timeout,
        )
        conn = await websocket_connect(request)
        session = uuid.uuid4().hex
        results = []
        try:
            for code in cells:
                msg_id = uuid.uuid4().hex
                conn.write_message(
                    json.dumps(
                        {
                            "header": {
                                "msg_id": msg_id,
                                "username": self.name,
                                "session": session,
                                "msg_type": "execute_request",
                                "version": "5.3",
                            },
                            "parent_header": {},
                            "metadata": {},
                            "channel": "shell",
                            "buffers": [],
                            "content": {
                                "code": code,
                                "silent": False,
                                "store_history": True,
                                "user_expressions": {},
                                "allow_stdin": False,
                                "stop_on_error": True,
                            },
                        }
                    )
                )
                result = {"stdout": "", "error": None}
                replied = idle = False
                while not (replied and idle):
                    raw = await conn.read_message()
                    if raw is None:
                        raise HubError(f"{self.name}: the kernel connection closed")
                    if isinstance(raw, bytes):
                        continue
                    msg = json.loads(raw)
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind = msg["header"]["msg_type"]
                    if kind == "stream" and msg["content"]["name"] == "stdout":
                        result["stdout"] += msg["content"]["text"]
                    elif kind == "error":
                        result["error"] = f"{msg['content']['ename']}: {msg['content']['evalue']}"
                    elif kind == "execute_reply":
                        replied = True
                        if msg["content"].get("status") != "ok" and not result["error"]:
                            result["error"] = f"execute_reply status {msg['content'].get('status')}"
                    elif kind == "status" and msg["content"]["execution_state"] == "idle":
                        idle = True
                results.append(result)
        finally:
            conn.close()
        return results
