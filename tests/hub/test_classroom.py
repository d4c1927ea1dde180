"""The classroom, end to end, with real Linux accounts (root only; loopback only; bounded in time).

`classroom/install.sh` installs the classroom into a scratch layout (the venv is cached between runs in
$WORKBOOK_HUB_PREFIX, default /opt/alliance-classroom-test), `classroom/add-user` creates one
instructor and five students, `classroom/start` starts JupyterHub.  Then, as a course would:

1. everyone logs in through the hub's login form (PAM, the accounts' own passwords);
2. every student opens the nbgitpuller link: one in Chromium (login → server → pull → JupyterLab opens
   notebook 02, Run All), the others through the same endpoint the link's page uses; every student's
   notebook 02 runs without an error;
3. the instructor releases ex02 from their own server; students fetch it, answer (some right, some
   wrong), submit; the instructor collects; `classroom/grade` grades; the instructor releases feedback;
   students fetch it.  The grades are what each student's answers are worth;
4. students cannot read each other's homes, the exchange's inbox or the course folder;
5. an update of the material is published and pulled again: a student's edited notebook is unchanged,
   the update is there.

Every process and account it created is stopped and removed at the end, even on failure.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
from hubclient import HubUser, free_port

ROOT = Path(__file__).resolve().parents[2]
CLASSROOM = ROOT / "classroom"
PREFIX = os.environ.get("WORKBOOK_HUB_PREFIX", "/opt/alliance-classroom-test")
EXERCISE = "ex02_one_percent"
COURSE_ID = "alliance-workbook"
NOTEBOOK = "02_one_percent.ipynb"
TARGET = "alliance-workbook"  # where nbgitpuller puts the material in each home

#: What each student answers: question -> "right" | "wrong"; a missing question is left blank.
PLANS = {
    "s1": {"q1": "right", "q2": "right", "q3": "right", "q4": "right"},
    "s2": {"q1": "right"},
    "s3": {"q1": "right", "q2": "wrong", "q3": "right", "q4": "right"},
    "s4": {},
    "s5": {"q1": "wrong", "q2": "right", "q3": "wrong", "q4": "right"},
}
#: A wrong answer: the model answer, then its result nudged (same type, another value), so the
#: graders' checks find a well-formed but wrong answer and later questions still have what they use.
WRONG_TAIL = """
def _nudged(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + " (or not)"
    if isinstance(value, list):
        return value[:-1] if value else [0]
    return None
{name} = _nudged({name})
"""


def wrong_answer(solution: str) -> str:
    names = re.findall(r"^([A-Za-z_]\w*)\s*=", solution, flags=re.M)
    assert names, f"cannot tell which variable this model answer fills in: {solution!r}"
    return solution + "\n" + WRONG_TAIL.format(name=names[-1])


BROWSER_STUDENT = "s1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# ------------------------------------------------------------------------------------ helpers


def cell_text(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def source_answers() -> tuple[dict[str, str], dict[str, float]]:
    """From the instructor's notebook: the solution code per question, the points per question."""
    nb = json.loads((ROOT / "exercises" / "source" / EXERCISE / f"{EXERCISE}.ipynb").read_text())
    solutions, points = {}, {}
    for cell in nb["cells"]:
        gid = grade_id(cell) or ""
        found = re.fullmatch(r"ex02-(q\d)-(answer|tests)", gid)
        if not found:
            continue
        question, kind = found.groups()
        if kind == "answer":
            text = cell_text(cell)
            solutions[question] = (
                text.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0].strip()
            )
        else:
            points[question] = float(cell["metadata"]["nbgrader"]["points"])
    return solutions, points


def artifacts() -> Path:
    """Where the browser student's screenshot goes (ignored by git)."""
    folder = Path(os.environ.get("WORKBOOK_ARTIFACTS", ROOT / "test-artifacts")) / "hub"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def hidden_lines() -> list[str]:
    """The lines only the exercise's hidden tests have (none shown to students), long enough to tell."""
    nb = json.loads((ROOT / "exercises" / "source" / EXERCISE / f"{EXERCISE}.ipynb").read_text())
    hidden, public = set(), set()
    for cell in nb["cells"]:
        text = cell_text(cell)
        for region in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", text, flags=re.S):
            hidden |= {line.strip() for line in region.splitlines() if len(line.strip()) >= 20}
        outside = re.sub(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS", "", text, flags=re.S)
        public |= {line.strip() for line in outside.splitlines()}
    lines = sorted(hidden - public)
    assert lines, "the exercise has no hidden tests to look for"
    return lines


def run(
    command: list[str], env: dict, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-4000:]}")
    return done


def processes_of(uids: set[int]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    found.append(int(entry.name))
            except FileNotFoundError:
                pass
    return found


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass
    return found


def pam_works(user: str, password: str, python: str) -> bool:
    probe = (
        "import sys, pamela\ntry:\n    pamela.authenticate(sys.argv[1], sys.argv[2], service='login')\n"
        "except Exception:\n    sys.exit(1)"
    )
    return subprocess.run([python, "-c", probe, user, password], timeout=60).returncode == 0


def instructor_shell(teacher: HubUser, *commands: str) -> str:
    """Run shell commands in the course folder from the instructor's own server (a kernel there)."""
    code = (
        "import os, subprocess\n"
        f"for cmd in {list(commands)!r}:\n"
        "    done = subprocess.run(cmd, shell=True, cwd=os.environ['CLASSROOM_COURSE'], text=True,\n"
        "                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)\n"
        "    print(f'$ {cmd} -> {done.returncode}')\n"
        "    print(done.stdout[-3000:])\n"
        "    if done.returncode:\n"
        "        raise SystemExit(f'{cmd} failed')\n"
    )
    result = teacher.run([code], timeout=240)[0]
    assert result["error"] is None, f"instructor's commands failed: {result['error']}\n{result['stdout']}"
    return result["stdout"]


# ------------------------------------------------------------------------------------ the classroom


@pytest.fixture(scope="module")
def classroom(hub_prerequisites):
    """Install, add accounts, start; yields what the tests need; stops and removes everything."""
    tag = "wbt" + secrets.token_hex(3)
    base = Path(tempfile.mkdtemp(prefix=f"{tag}-", dir="/tmp"))
    base.chmod(0o755)  # users' servers must reach the exchange and content repo below it
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("CLASSROOM_")]:
        del env[key]
    env.update(
        CLASSROOM_PREFIX=PREFIX,
        CLASSROOM_ETC=str(base / "etc"),
        CLASSROOM_SRV=str(base / "srv"),
        CLASSROOM_EXCHANGE=str(base / "exchange"),
        CLASSROOM_STUDENTS=f"{tag}-students",
        CLASSROOM_INSTRUCTORS=f"{tag}-teachers",
        CLASSROOM_BIND_URL=f"http://127.0.0.1:{free_port()}",
        CLASSROOM_HUB_PORT=str(free_port()),
        CLASSROOM_PROXY_API_PORT=str(free_port()),
        CLASSROOM_COURSE_ID=COURSE_ID,
        CLASSROOM_IDLE_MINUTES="60",
        CLASSROOM_AUTH=os.environ.get("WORKBOOK_HUB_AUTH", "pam"),
        CLASSROOM_CGROUP=f"{tag}-classroom",  # the students' cgroups (issue 19)
        CLASSROOM_PIDS_LIMIT="256",
    )
    names = {"teacher": f"{tag}-teach", **{key: f"{tag}-{key}" for key in PLANS}, "outsider": f"{tag}-out"}
    passwords = {name: secrets.token_urlsafe(12) for name in names.values()}
    timings = {}
    started = time.monotonic()
    created: list[str] = []
    state = SimpleNamespace(
        env=env,
        base=base,
        tag=tag,
        names=names,
        passwords=passwords,
        timings=timings,
        users={},
        url=env["CLASSROOM_BIND_URL"],
        srv=base / "srv",
        exchange=base / "exchange",
        failed=[],
    )
    try:
        t = time.monotonic()
        run(["bash", str(CLASSROOM / "install.sh"), "--no-apt", "--no-start"], env, timeout=900)
        timings["install"] = time.monotonic() - t
        state.course = state.srv / "course"
        state.content = state.srv / "content.git"

        t = time.monotonic()
        roster = "".join(f"{names[k]}:{passwords[names[k]]}\n" for k in PLANS)
        created += [names[k] for k in PLANS]
        subprocess.run(
            ["bash", str(CLASSROOM / "add-user"), "--passwords"],
            input=roster,
            env=env,
            text=True,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )
        created.append(names["teacher"])
        subprocess.run(
            ["bash", str(CLASSROOM / "add-user"), "--instructor", "--passwords"],
            input=f"{names['teacher']}:{passwords[names['teacher']]}\n",
            env=env,
            text=True,
            check=True,
            timeout=60,
            stdout=subprocess.DEVNULL,
        )
        # An account that exists but is in neither group: it must not get in.
        created.append(names["outsider"])
        subprocess.run(["useradd", "-m", names["outsider"]], check=True, timeout=60)
        subprocess.run(
            ["chpasswd"],
            input=f"{names['outsider']}:{passwords[names['outsider']]}\n",
            text=True,
            check=True,
            timeout=60,
        )
        timings["accounts"] = time.monotonic() - t
        python = f"{PREFIX}/venv/bin/python"
        if env["CLASSROOM_AUTH"] == "pam" and not pam_works(names["s1"], passwords[names["s1"]], python):
            env["CLASSROOM_AUTH"] = "test"  # no usable PAM here: the same group rules, any password
        state.auth = env["CLASSROOM_AUTH"]

        t = time.monotonic()
        run(["bash", str(CLASSROOM / "start")], env, timeout=180)
        timings["hub start"] = time.monotonic() - t
        yield state
    finally:
        problems = []
        t = time.monotonic()
        stopped = subprocess.run(
            ["bash", str(CLASSROOM / "stop"), "--all"],  # every server too (plain stop keeps them)
            env=env,
            text=True,
            timeout=120,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        if stopped.returncode != 0:
            problems.append(f"classroom/stop exited {stopped.returncode}: {stopped.stdout[-500:]}")
        timings["hub stop"] = time.monotonic() - t
        hub_log = state.srv / "state" / "jupyterhub.log"
        if hub_log.is_file():
            shutil.copy(hub_log, artifacts() / "jupyterhub.log")
        uids = set()
        for name in created:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        leftovers = (
            processes_of(uids)
            + processes_mentioning(str(base))
            + processes_mentioning(env["CLASSROOM_BIND_URL"].rsplit(":", 1)[1] + " --api-ip")
        )
        for pid in set(leftovers):
            problems.append(f"process {pid} still running after classroom/stop: killed")
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        if created:
            subprocess.run(
                ["bash", str(CLASSROOM / "remove-user"), *created],
                env=env,
                timeout=120,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        for name in created:
            if subprocess.run(["id", name], capture_output=True).returncode == 0:
                problems.append(f"account {name} still exists: userdel -r")
                subprocess.run(["userdel", "-r", name], capture_output=True)
        for group in (env["CLASSROOM_STUDENTS"], env["CLASSROOM_INSTRUCTORS"]):
            subprocess.run(["groupdel", group], capture_output=True)
        for controller in ("memory", "cpu", "pids"):  # the students' cgroups' folder (emptied by remove-user)
            try:
                _cgroup(state, controller, "").rmdir()
            except (OSError, StopIteration):
                pass
        shutil.rmtree(base, ignore_errors=True)
        timings["total"] = time.monotonic() - started
        print("\nclassroom test timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        assert not problems, "cleanup: " + "; ".join(problems)


def student_keys():
    return list(PLANS)


def link(state, urlpath: str) -> str:
    """The nbgitpuller link an instructor hands out (through the hub, for whoever clicks it)."""
    from urllib.parse import urlencode

    query = urlencode(
        {"repo": f"file://{state.content}", "branch": "main", "targetpath": TARGET, "urlpath": urlpath}
    )
    return f"/hub/user-redirect/git-pull?{query}"


def need(state, *steps):
    missing = [s for s in steps if s in state.failed]
    if missing:
        pytest.skip(f"an earlier step failed: {', '.join(missing)}")


# ------------------------------------------------------------------------------------ the tests


def test_only_the_groups_get_in_and_only_instructors_are_admins(classroom):
    state = classroom
    if state.auth == "pam":
        wrong = HubUser(state.url, state.names["s2"], "not-the-password").login()
        assert wrong.status_code == 403, "a wrong password must be refused"
    outsider = HubUser(state.url, state.names["outsider"], state.passwords[state.names["outsider"]]).login()
    assert outsider.status_code == 403, "an account outside the classroom's groups must be refused"

    def login(key):
        user = HubUser(state.url, state.names[key], state.passwords[state.names[key]])
        t = time.monotonic()
        answer = user.login()
        assert answer.status_code == 302, f"{key}: login answered {answer.status_code}"
        user.make_token()
        user.start_server()
        user.wait_ready()
        return key, user, time.monotonic() - t

    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            for key, user, seconds in pool.map(login, ["teacher", *student_keys()]):
                state.users[key] = user
                state.timings[f"login+server {key}"] = seconds
    except BaseException:
        state.failed.append("login")
        raise
    teacher = state.users["teacher"]
    assert teacher.hub_api("GET", "/user").json()["admin"] is True
    for key in student_keys():
        assert state.users[key].hub_api("GET", "/user").json()["admin"] is False
        assert state.users[key].hub_api("GET", "/users").status_code == 403, "a student listed the users"
    # Every server runs as its own account (not root), from the classroom's venv.
    for key, user in state.users.items():
        uid = pwd.getpwnam(user.name).pw_uid
        servers = [
            pid
            for pid in processes_of({uid})
            if b"jupyterhub-singleuser" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert servers, f"{key}: no jupyterhub-singleuser process runs as {user.name}"
    # Students see nbgrader's assignment list but not the instructor's formgrader.
    assert teacher.get("/formgrader").status_code == 200
    assert state.users["s2"].get("/formgrader").status_code == 404
    assert state.users["s2"].get("/assignments", params={"course_id": COURSE_ID}).status_code == 200


def test_students_open_the_nbgitpuller_link_and_run_notebook_02(classroom):
    state = classroom
    need(state, "login")
    try:
        _pull_and_run(state)
    except BaseException:
        state.failed.append("pull")
        raise


def _pull_and_run(state):
    from playwright.sync_api import sync_playwright

    # The API students: the link itself (through the hub) answers with nbgitpuller's page for their
    # own server; then the pull that the page runs, then notebook 02 in a kernel on their server.
    def api_student(key):
        user = state.users[key]
        user.login()  # the browser session's cookie, for the link
        page = user.http.get(state.url + link(state, f"lab/tree/{TARGET}/{NOTEBOOK}"), timeout=60)
        assert page.status_code == 200 and f"/user/{user.name}/git-pull" in page.url, (key, page.url)
        user.git_pull(f"file://{state.content}", "main", TARGET)
        nb = user.read_notebook(f"{TARGET}/{NOTEBOOK}")
        cells = [cell_text(c) for c in nb["cells"] if c["cell_type"] == "code"]
        t = time.monotonic()
        results = user.run(cells, timeout=180)
        state.timings[f"notebook 02 {key}"] = time.monotonic() - t
        errors = [(i, r["error"]) for i, r in enumerate(results) if r["error"]]
        assert not errors, f"{key}: notebook 02 raised {errors}"
        return len(cells)

    others = [k for k in student_keys() if k != BROWSER_STUDENT]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(api_student, k) for k in others]
        # Playwright's sync API in a thread of its own: the test process may be running an event loop.
        with ThreadPoolExecutor(max_workers=1) as own_thread:
            browser_seconds = own_thread.submit(_browser_student, state, sync_playwright).result()
        counts = [f.result() for f in futures]
    state.timings["browser student"] = browser_seconds
    assert all(n == counts[0] and n > 10 for n in counts)
    # The browser student's saved notebook: every code cell ran, none raised.
    user = state.users[BROWSER_STUDENT]
    nb = user.read_notebook(f"{TARGET}/{NOTEBOOK}")
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), "Run All in JupyterLab left cells unrun"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"notebook 02 in the browser raised: {[(e['ename'], e['evalue']) for e in errors]}"
    charts = [c for c in code if "spending_chart" in cell_text(c)]
    assert charts and any(
        "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in charts[0]["outputs"]
    ), "the chart cell shows no live chart"


def _browser_student(state, sync_playwright) -> float:
    """Log in with the link as `next`, as a student clicking it would; Run All; save."""
    user = state.users[BROWSER_STUDENT]
    outside = []
    t = time.monotonic()
    home = state.base / "chromium-home"
    home.mkdir(exist_ok=True)
    env = dict(
        os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache")
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, env=env)
        page = None
        journal: list[str] = []
        kernel_ready = False

        def frame(text) -> None:
            nonlocal kernel_ready
            journal.append("ws<- " + str(text)[:160])
            kernel_ready = kernel_ready or "kernel_info_reply" in str(text)[:2000]

        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

            def guard(route):
                if route.request.url.startswith(state.url) or route.request.url.startswith("data:"):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.on("console", lambda m: journal.append(f"console {m.type}: {m.text}"))
            page.on(
                "websocket",
                lambda ws: (
                    journal.append(f"websocket {ws.url}"),
                    ws.on("framereceived", frame),
                    ws.on("framesent", lambda f: journal.append("ws-> " + str(f)[:160])),
                    ws.on("close", lambda _ws: journal.append(f"websocket closed {ws.url}")),
                ),
            )
            page.set_default_timeout(120_000)
            from urllib.parse import quote

            page.goto(f"{state.url}/hub/login?next={quote(link(state, f'lab/tree/{TARGET}/{NOTEBOOK}'))}")
            page.fill("#username_input", user.name)
            page.fill("#password_input", user.password)
            page.click("#login_submit")
            # nbgitpuller's page pulls, then sends the browser to the notebook in JupyterLab.
            page.wait_for_url(
                re.compile(rf"/user/{re.escape(user.name)}/lab/tree/{TARGET}/"), timeout=150_000
            )
            panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
            # The kernel is ready when it has answered Lab's kernel_info_request on its websocket (the
            # execution indicator says "idle" before a kernel exists). A Run All clicked before that is
            # refused by Lab with the "kernel is still initializing" notice the classroom turns on
            # (README: "Run All right after a kernel starts"): click once, when a student could.
            deadline = time.monotonic() + 120
            while not kernel_ready:
                assert time.monotonic() < deadline, "the notebook's kernel never answered kernel_info"
                page.wait_for_timeout(200)
            page.wait_for_selector(f"{panel} .jp-Notebook-ExecutionIndicator[data-status='idle']")
            page.click("li.lm-MenuBar-item:has-text('Run')")
            page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
            # Done when the saved notebook has every code cell run. (Lab renders only the cells in
            # view, so the page's prompts cannot tell; the file on the server can.)
            deadline = time.monotonic() + float(os.environ.get("WORKBOOK_HUB_RUN_TIMEOUT", "180"))
            code, unread = [], ""
            while True:
                page.keyboard.press("Control+s")
                page.wait_for_timeout(2000)
                # Read what the server has; a read that meets the save half-way answers 400: read again.
                answer = user.get(f"/api/contents/{TARGET}/{NOTEBOOK}", params={"content": "1"})
                if answer.status_code == 200:
                    code = [c for c in answer.json()["content"]["cells"] if c["cell_type"] == "code"]
                    if code and all(c.get("execution_count") for c in code):
                        break
                else:
                    unread = f"; last read answered {answer.status_code}: {answer.text[:200]}"
                if time.monotonic() > deadline:
                    notices = page.evaluate(
                        "() => [...document.querySelectorAll('.Toastify__toast')].map(e => e.textContent)"
                    )
                    raise AssertionError(
                        f"one Run All in JupyterLab ran {sum(bool(c.get('execution_count')) for c in code)}"
                        f" of {len(code)} code cells (notices: {notices}{unread})"
                    )
            page.wait_for_selector(f"{panel} .jp-Notebook-ExecutionIndicator[data-status='idle']")
            # Lab keeps the kernel: shut it down as a student closing the tab would not.
            for session in user.get("/api/sessions").json():
                user.http  # noqa: B018 (keep the session object alive)
                import requests

                requests.delete(
                    f"{user.server}/api/sessions/{session['id']}",
                    timeout=30,
                    headers={"Authorization": f"token {user.token}"},
                )
        finally:
            try:
                if page is not None:
                    (artifacts() / "browser-student.log").write_text("\n".join(journal[-400:]))
                    page.screenshot(path=str(artifacts() / "browser-student.png"))
            finally:
                browser.close()
    assert not outside, f"the browser tried to reach other hosts: {outside[:5]}"
    return time.monotonic() - t


def test_exercise_release_fetch_submit_collect_grade_feedback(classroom):
    state = classroom
    need(state, "login")
    try:
        _exercise_round_trip(state)
    except BaseException:
        state.failed.append("exercise")
        raise


def _answered(nb: dict, plan: dict, solutions: dict) -> dict:
    for cell in nb["cells"]:
        found = re.fullmatch(r"ex02-(q\d)-answer", grade_id(cell) or "")
        if found and found.group(1) in plan:
            question = found.group(1)
            cell["source"] = (
                solutions[question] if plan[question] == "right" else wrong_answer(solutions[question])
            )
    return nb


def _exercise_round_trip(state):
    teacher = state.users["teacher"]
    solutions, points = source_answers()
    assert set(points) == set(solutions) >= {q for plan in PLANS.values() for q in plan}, (
        "the exercise's questions changed: update PLANS"
    )
    t = time.monotonic()
    instructor_shell(
        teacher,
        f"workbook release {EXERCISE} --course . --no-validate",
        f"nbgrader release_assignment {EXERCISE}",
    )
    state.timings["release"] = time.monotonic() - t

    def student(key):
        user = state.users[key]
        listed = user.get("/assignments", params={"course_id": COURSE_ID}).json()["value"]
        assert any(a["assignment_id"] == EXERCISE and a["status"] == "released" for a in listed), listed
        user.nbgrader("fetch", COURSE_ID, EXERCISE)
        path = f"{EXERCISE}/{EXERCISE}.ipynb"
        fetched = user.read_notebook(path)
        text = json.dumps(fetched)
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, "the release holds solutions"
        user.save_notebook(path, _answered(fetched, PLANS[key], solutions))
        user.nbgrader("submit", COURSE_ID, EXERCISE)

    t = time.monotonic()
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(student, student_keys()))
    state.timings["fetch+answer+submit (5)"] = time.monotonic() - t

    t = time.monotonic()
    instructor_shell(teacher, f"nbgrader collect {EXERCISE}")
    collected = sorted(p.name for p in (state.course / "submitted").iterdir())
    assert collected == sorted(state.names[k] for k in student_keys()), collected
    graded = run(
        ["bash", str(CLASSROOM / "grade"), EXERCISE, "--timeout", "60"], state.env, timeout=600, check=False
    )
    state.grade_output = graded.stdout
    assert graded.returncode == 0, f"classroom/grade exited {graded.returncode}:\n{graded.stdout[-4000:]}"
    instructor_shell(teacher, f"nbgrader release_feedback {EXERCISE}")
    state.timings["collect+grade+release feedback"] = time.monotonic() - t

    with open(state.course / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == EXERCISE}
    for key, plan in PLANS.items():
        name = state.names[key]
        expected = sum(points[q] for q, how in plan.items() if how == "right")
        assert name in rows, f"{key}: no grade for {name} (rows: {sorted(rows)})"
        assert float(rows[name]["score"]) == pytest.approx(expected), (
            f"{key} answered {plan}: expected {expected} points, graded {rows[name]['score']}"
        )
    # Feedback: each student fetches their own, which shows their score and no hidden test.
    for key in student_keys():
        user = state.users[key]
        user.nbgrader("fetch_feedback", COURSE_ID, EXERCISE)
        folders = user.get(f"/api/contents/{EXERCISE}/feedback").json()["content"]
        assert folders, f"{key}: no feedback fetched"
        html = user.read_file(f"{folders[0]['path']}/{EXERCISE}.html")
        score = float(rows[state.names[key]]["score"])
        assert re.search(rf"Score:\s*{score:g}(\.0+)?\s*/\s*12", html.replace("\n", " ")), (
            f"{key}: the feedback does not show the score {score}"
        )
        text = unescape(re.sub(r"<[^>]+>", "", html))  # what the page shows, highlighting undone
        shown = [line for line in hidden_lines() if line in text]
        assert "HIDDEN TESTS" not in html and not shown, f"{key}: feedback shows hidden tests: {shown[:3]}"


def test_students_cannot_read_each_other(classroom):
    state = classroom
    need(state, "login", "pull")
    other = pwd.getpwnam(state.names["s1"]).pw_dir
    exchange = state.exchange / COURSE_ID
    probes = {
        "another student's home": f"os.listdir({other!r})",
        "another student's notebook": f"open({other + '/' + TARGET + '/' + NOTEBOOK!r}).read()",
        "the exchange's inbox (submissions)": f"os.listdir({str(exchange / 'inbound')!r})",
        "the exchange's feedback folder": f"os.listdir({str(exchange / 'feedback')!r})",
        "the course folder (solutions, gradebook)": f"os.listdir({str(state.course)!r})",
        "the instructor's source notebook": f"open({str(state.course / 'source' / EXERCISE / (EXERCISE + '.ipynb'))!r}).read()",
        "writing into the released exercise": f"open({str(exchange / 'outbound' / EXERCISE / 'x.ipynb')!r}, 'w')",
        "writing into the content repository": f"open({str(state.content / 'HEAD')!r}, 'a')",
    }
    code = ["import os, json\nout = {}"] + [
        f"try:\n    {expr}\n    out[{what!r}] = 'allowed'\nexcept PermissionError:\n    out[{what!r}] = 'denied'\n"
        f"except FileNotFoundError:\n    out[{what!r}] = 'not found'"
        for what, expr in probes.items()
    ]
    code.append("print(json.dumps(out))")
    result = state.users["s2"].run(code)
    assert all(r["error"] is None for r in result), result
    seen = json.loads(result[-1]["stdout"])
    assert seen == {what: "denied" for what in probes}, seen
    # The same from the owner's side: s1 reads their own notebook.
    assert state.users["s1"].exists(f"{TARGET}/{NOTEBOOK}")


def test_an_update_is_pulled_and_keeps_the_students_edits(classroom):
    state = classroom
    need(state, "login", "pull")
    user = state.users[BROWSER_STUDENT]
    path = f"{TARGET}/{NOTEBOOK}"
    # The student's own edit on top of the run they saved in JupyterLab: a note of their own.
    nb = user.read_notebook(path)
    nb["cells"].append(
        {"cell_type": "markdown", "metadata": {}, "source": "My own note: check the GNP basis."}
    )
    user.save_notebook(path, nb)
    before = user.read_file(path)
    untouched = state.users["s2"]
    # The update: notebook 01 gets a new first cell, and a new file appears.
    material = state.base / "update"
    subprocess.run(["git", "clone", "-q", str(state.content), str(material)], check=True, timeout=60)
    shutil.rmtree(material / ".git")
    first = json.loads((material / "01_four_phases.ipynb").read_text())
    first["cells"].insert(
        0, {"cell_type": "markdown", "metadata": {}, "source": "Update: week 3 reading list."}
    )
    (material / "01_four_phases.ipynb").write_text(json.dumps(first, indent=1))
    (material / "NEWS.md").write_text("Week 3: notebook 01 has a reading list.\n")
    run(["bash", str(CLASSROOM / "publish"), "--from", str(material), "-m", "week 3"], state.env, timeout=120)

    for student in (user, untouched):
        student.git_pull(f"file://{state.content}", "main", TARGET)
        assert "Update: week 3 reading list." in student.read_file(f"{TARGET}/01_four_phases.ipynb")
        assert "notebook 01 has a reading list" in student.read_file(f"{TARGET}/NEWS.md")
    assert user.read_file(path) == before, "the pull changed the student's edited notebook"
    assert "My own note" in user.read_file(path)


# ------------------------------------------------------------------------------------ hostile students
# (issue 19: each test here stands on its own: selected alone with -k, it logs in and releases
# what it needs; after the tests above, it reuses their logins and release.)

VICTIM, ATTACKER = "s1", "s5"


def _user(state, key) -> HubUser:
    """The logged-in user with a running server (logs in and starts it when no earlier test did)."""
    if key not in state.users:
        user = HubUser(state.url, state.names[key], state.passwords[state.names[key]])
        assert user.login().status_code == 302, f"{key}: login refused"
        user.make_token()
        user.start_server()
        user.wait_ready()
        state.users[key] = user
    return state.users[key]


def _released(state) -> None:
    if not (state.exchange / COURSE_ID / "outbound" / EXERCISE).is_dir():
        instructor_shell(
            _user(state, "teacher"),
            f"workbook release {EXERCISE} --course . --no-validate",
            f"nbgrader release_assignment {EXERCISE}",
        )


def _md5(path: Path) -> str:
    import hashlib

    return hashlib.md5(path.read_bytes()).hexdigest()


def _kernel_json(user: HubUser, code: str) -> dict:
    """Run code that prints one JSON line in the user's own kernel; the parsed line."""
    result = user.run([code], timeout=120)[0]
    assert result["error"] is None, f"{user.name}: {result['error']}\n{result['stdout']}"
    return json.loads(result["stdout"].strip().splitlines()[-1])


def test_impersonation_at_submit_and_at_collect_is_refused_and_flagged(classroom):
    state = classroom
    _released(state)
    victim, attacker = _user(state, VICTIM), _user(state, ATTACKER)
    solutions, points = source_answers()
    path = f"{EXERCISE}/{EXERCISE}.ipynb"
    for key, user in ((VICTIM, victim), (ATTACKER, attacker)):
        if not user.exists(path):
            user.nbgrader("fetch", COURSE_ID, EXERCISE)
            user.save_notebook(path, _answered(user.read_notebook(path), PLANS[key], solutions))
    victim.nbgrader("submit", COURSE_ID, EXERCISE)  # the genuine, latest submission of the victim
    inbound = state.exchange / COURSE_ID / "inbound"
    own = sorted((inbound / victim.name).iterdir())
    assert own and all(p.name.startswith(victim.name + "+") for p in own), own
    genuine = _md5(own[-1] / f"{EXERCISE}.ipynb")
    for folder in [state.exchange, state.exchange / COURSE_ID, *own]:
        assert not folder.stat().st_mode & 0o002, f"{folder} is writable by everyone"

    later = "2099-01-01 00:00:00.000000 UTC"
    forged = f"{victim.name}+{EXERCISE}+{later}"
    blank = str(state.exchange / COURSE_ID / "outbound" / EXERCISE / f"{EXERCISE}.ipynb")
    attempts = {
        "submit --student": (
            f"subprocess.run(['nbgrader', 'submit', {EXERCISE!r}, '--course', {COURSE_ID!r},"
            f" '--student', {victim.name!r}], capture_output=True, text=True)"
        ),
        "into the victim's inbox": f"os.makedirs({str(inbound / victim.name / forged)!r})",
        "a folder in the inbound root": f"os.makedirs({str(inbound / forged)!r})",
        "list the victim's inbox": f"os.listdir({str(inbound / victim.name)!r})",
        "a course folder of one's own": f"os.makedirs({str(state.exchange / 'another-course')!r})",
    }
    code = "import json, os, subprocess\nout = {}\n" + "".join(
        f"try:\n    r = {expr}\n    out[{what!r}] = 'exit %s: %s' % (r.returncode, r.stdout + r.stderr)"
        f" if hasattr(r, 'returncode') else 'allowed'\nexcept PermissionError:\n    out[{what!r}] = 'denied'\n"
        for what, expr in attempts.items()
    )
    # The attack that gets through to the exchange: a folder named for the victim in one's own inbox.
    code += (
        f"planted = os.path.join({str(inbound / attacker.name)!r}, {forged!r})\n"
        f"os.makedirs(planted)\nimport shutil\nshutil.copy({blank!r}, planted)\n"
        "print(json.dumps(out))\n"
    )
    seen = _kernel_json(attacker, code)
    refused_submit = seen.pop("submit --student")
    assert not refused_submit.startswith("exit 0") and "Refused" in refused_submit, refused_submit
    assert seen == {what: "denied" for what in seen}, seen
    # The victim opens their own inbox to everyone by mistake; the attacker writes a later one there.
    _kernel_json(victim, f"import os, json\nos.chmod({str(inbound / victim.name)!r}, 0o777)\nprint('{{}}')")
    _kernel_json(
        attacker,
        f"import os, json, shutil\np = os.path.join({str(inbound / victim.name)!r}, "
        f"{forged.replace('2099', '2098')!r})\nos.makedirs(p)\nshutil.copy({blank!r}, p)\nprint('{{}}')",
    )
    try:
        out = instructor_shell(_user(state, "teacher"), f"nbgrader collect --update {EXERCISE}")
    finally:
        os.chmod(inbound / victim.name, 0o2750)
    refused = [line for line in out.splitlines() if "REFUSED" in line]
    assert len(refused) == 2 and all(attacker.name in line for line in refused), out[-3000:]
    collected = state.course / "submitted" / victim.name / EXERCISE / f"{EXERCISE}.ipynb"
    assert _md5(collected) == genuine, "the victim's collected notebook is not what they submitted"
    flags = (state.course / "flagged-submissions.txt").read_text()
    assert flags.count(f"made by {attacker.name}\tclaims {victim.name}") == 2, flags
    # Graded normally: the victim's own answers, all right. (After the round trip above, the grade
    # on file is of these very bytes; standing alone, this test grades the victim itself.)
    expected = sum(points[q] for q, how in PLANS[VICTIM].items() if how == "right")
    grades = state.course / "grades.csv"
    if grades.is_file():
        with open(grades, newline="") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == EXERCISE}
        if victim.name in rows:
            assert float(rows[victim.name]["score"]) == pytest.approx(expected), rows[victim.name]
            return
    graded = run(
        [
            "bash",
            str(CLASSROOM / "grade"),
            EXERCISE,
            "--student",
            victim.name,
            "--regrade",
            "--timeout",
            "60",
        ],
        state.env,
        timeout=300,
        check=False,
    )
    assert graded.returncode == 0, graded.stdout[-3000:]
    with open(state.course / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == EXERCISE}
    assert float(rows[victim.name]["score"]) == pytest.approx(expected), rows.get(victim.name)


LIMITED = "s3"  # the student who runs into the limits (after the exercise: their grade is on file)


def _cgroup(state, controller: str, name: str) -> Path:
    own = next(
        line.split(":", 2)[2].strip().lstrip("/")
        for line in Path("/proc/self/cgroup").read_text().splitlines()
        if controller in line.split(":", 2)[1].split(",")
    )
    return Path("/sys/fs/cgroup", controller, own, state.env["CLASSROOM_CGROUP"], name)


def test_limits_per_student_are_enforced_by_the_kernel_and_named_in_the_notebook(classroom):
    state = classroom
    user = _user(state, LIMITED)
    memory, cpu, pids = (_cgroup(state, c, user.name) for c in ("memory", "cpu", "pids"))
    assert int((memory / "memory.limit_in_bytes").read_text()) == 2 * 1024**3
    assert int((cpu / "cpu.cfs_quota_us").read_text()) == int((cpu / "cpu.cfs_period_us").read_text())
    assert int((pids / "pids.max").read_text()) == int(state.env["CLASSROOM_PIDS_LIMIT"])
    uid = pwd.getpwnam(user.name).pw_uid
    mine = set(processes_of({uid}))
    for folder in (memory, cpu, pids):
        inside = {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        assert mine and mine <= inside, f"{folder}: {user.name}'s processes {mine - inside} are outside"
    # A memory bomb: one allocation past the limit fails in the cell, which says which limit.
    # A fork bomb and two busy loops, in sessions of their own: the processes run out at the limit,
    # and the next cell that starts one says which limit.  The bomb's children live until the test
    # kills their group (with 30 s, on a loaded machine the first ended while the last were still
    # being forked, and the next cell found a free slot).
    bomb = (
        "import os, sys, time\nn = 0\nwhile True:\n    try:\n        pid = os.fork()\n"
        "    except OSError as e:\n        print(n, e.errno, flush=True)\n        time.sleep(600)\n"
        "        os._exit(0)\n    if pid == 0:\n        time.sleep(600)\n        os._exit(0)\n    n += 1\n"
    )
    cells = [
        "x = bytearray(3 * 1024**3)",
        "import subprocess, sys\n"
        "busy = [subprocess.Popen([sys.executable, '-c', 'while True: pass'], start_new_session=True)"
        " for _ in range(2)]\n"
        f"bomb = subprocess.Popen([sys.executable, '-c', {bomb!r}], stdout=subprocess.PIPE, text=True,"
        " start_new_session=True)\nforked = bomb.stdout.readline().split()\n"
        "print('forked', *forked, 'groups', bomb.pid, *(b.pid for b in busy))",
        # Starting processes until one fails: whatever the server's own threads hold at that moment
        # (they come and go, so the slots the bomb left can free up), the student cannot pass the limit.
        f"more = []\ntry:\n    for _ in range({int(state.env['CLASSROOM_PIDS_LIMIT'])}):\n"
        "        more.append(subprocess.Popen(['sleep', '600']))\n"
        "finally:\n    print('more', *(p.pid for p in more), flush=True)",
    ]
    results = user.run(cells, timeout=120)
    said = results[1]["stdout"].split()
    groups = [int(g) for g in said[said.index("groups") + 1 :]]
    try:
        assert results[0]["error"].startswith("MemoryError"), results[0]
        assert "memory limit (2 GB" in results[0]["stdout"], results[0]
        assert int(said[1]) < int(state.env["CLASSROOM_PIDS_LIMIT"]) and said[2] == "11", results[1]
        assert results[2]["error"] and "process limit" in results[2]["stdout"], results[2]
        assert int((pids / "pids.current").read_text()) <= int(state.env["CLASSROOM_PIDS_LIMIT"])
        # Meanwhile the hub answers and a classmate's kernel starts and runs.
        assert requests_get(f"{state.url}/hub/health").status_code == 200
        neighbour = _user(state, "s1").run(["import pandas\nprint(sum(range(10**6)))"], timeout=120)[0]
        assert neighbour["error"] is None and neighbour["stdout"].strip() == str(sum(range(10**6)))
        # The busy loops run inside the student's CPU cgroup (capped at CLASSROOM_CPU_LIMIT cores).
        # Whether the cap bites depends on the machine's load (on a busy machine a loop never gets
        # a whole core): that it does is for a benchmark, not a test.
        inside = {int(p) for p in (cpu / "cgroup.procs").read_text().split()}
        assert set(groups[1:]) <= inside, f"busy loops {groups[1:]} outside {cpu}"
        # The class weighs like one busy process per running student against the rest of the
        # machine, not like one process for all of them.
        running = [g for g in cpu.parent.iterdir() if g.is_dir() and (g / "cgroup.procs").read_text().strip()]
        assert len(running) >= 2, running
        assert int((cpu.parent / "cpu.shares").read_text()) == 1024 * len(running), running
    finally:
        more = results[2]["stdout"].split("more", 1)[-1].split("\n", 1)[0].split() if len(results) > 2 else []
        for pid in (int(p) for p in more if p.isdigit()):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        for group in groups:
            try:
                os.killpg(group, 9)
            except ProcessLookupError:
                pass


def requests_get(url: str):
    import requests

    return requests.get(url, timeout=30)


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (killed, waiting for its new parent, init, to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_no_leftover_process_after_the_server_stops(classroom):
    state = classroom
    user = _user(state, "s4")
    started = user.run(
        [
            "import subprocess\np = subprocess.Popen(['nohup', 'sleep', '600'], start_new_session=True,"
            " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\nprint(p.pid)"
        ]
    )[0]
    pid = int(started["stdout"])
    assert Path(f"/proc/{pid}").exists()
    answer = user.hub_api("DELETE", f"/users/{user.name}/server")
    assert answer.status_code in (202, 204), answer.text
    deadline = time.monotonic() + 60
    while user.hub_api("GET", f"/users/{user.name}").json().get("servers") and time.monotonic() < deadline:
        time.sleep(0.3)
    state.users.pop("s4")  # a later test starts the server again
    uid = pwd.getpwnam(user.name).pw_uid
    assert not _running(pid), "nohup sleep outlived the student's server"
    left = [p for p in processes_of({uid}) if _running(p)]
    assert left == [], f"{user.name} still runs {left}"


def _terminal(user: HubUser, command: str, timeout: float = 60) -> str:
    """Type a command into a new JupyterLab terminal (its websocket, as Lab's terminal does); its output."""
    import asyncio

    answer = user.post("/api/terminals")
    assert answer.status_code == 200, f"{user.name}: new terminal answered {answer.status_code}"
    term = answer.json()["name"]
    marker = "END-OF-" + secrets.token_hex(4)

    async def talk() -> str:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = user.server.replace("http://", "ws://") + f"/terminals/websocket/{term}"
        conn = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {user.token}"}))
        # The marker is typed split in two, so only the command's output (not its echo) holds it whole.
        conn.write_message(json.dumps(["stdin", f"{command}; echo {marker[:6]}''{marker[6:]}\r"]))
        seen = ""
        try:
            while marker not in seen:
                raw = await conn.read_message()
                if raw is None:
                    break
                kind, *rest = json.loads(raw)
                if kind == "stdout":
                    seen += rest[0]
        finally:
            conn.close()
        return seen

    try:
        with ThreadPoolExecutor(max_workers=1) as own_thread:
            return own_thread.submit(asyncio.run, asyncio.wait_for(talk(), timeout)).result()
    finally:
        import requests

        requests.delete(
            f"{user.server}/api/terminals/{term}",
            headers={"Authorization": f"token {user.token}"},
            timeout=30,
        )


def test_terminals_have_the_classroom_commands_on_path(classroom):
    state = classroom
    venv_bin = f"{PREFIX}/venv/bin"
    for key in ("teacher", "s2"):
        out = _terminal(_user(state, key), "command -v workbook nbgrader; workbook --help | head -n 1")
        assert f"{venv_bin}/workbook" in out and f"{venv_bin}/nbgrader" in out, f"{key}'s terminal: {out!r}"
        assert "command not found" not in out, f"{key}'s terminal: {out!r}"


def test_students_lab_opens_quietly_and_announces_an_early_run_all(classroom):
    """The Lab settings `workbook setup` wrote reach a student's Lab: no news, the kernel without a
    dialog, and a word (not silence) when Run All is clicked while the kernel still starts."""
    for plugin, values in (
        (
            "@jupyterlab/notebook-extension:tracker",
            {"autoStartDefaultKernel": True, "enableKernelInitNotification": True},
        ),
        ("@jupyterlab/apputils-extension:notification", {"fetchNews": "false", "checkForUpdates": False}),
    ):
        answer = _user(classroom, "s2").get(f"/lab/api/settings/{plugin}")
        assert answer.status_code == 200, f"{plugin}: {answer.status_code}"
        defaults = {k: v.get("default") for k, v in answer.json()["schema"]["properties"].items()}
        assert {k: defaults.get(k) for k in values} == values, f"{plugin}: {defaults}"


def test_remove_user_leaves_no_working_token_and_no_leftover_file(classroom):
    state = classroom
    key = "s2"
    user = _user(state, key)
    assert user.hub_api("GET", "/user").status_code == 200
    inbox = state.exchange / COURSE_ID / "inbound" / user.name
    user.run(
        [
            f"import os\nopen('/tmp/{state.tag}-left-by-s2', 'w').write('x')\n"
            f"os.makedirs({str(inbox / 'scratch')!r}, exist_ok=True)\n"
            "import subprocess\nsubprocess.Popen(['nohup', 'sleep', '600'], start_new_session=True)"
        ]
    )
    uid = pwd.getpwnam(user.name).pw_uid
    removed = run(["bash", str(CLASSROOM / "remove-user"), user.name], state.env, timeout=180)
    said = removed.stdout
    assert "hub user and its" in said and "token" in said, said
    assert "/tmp" in said and str(state.exchange) in said and "account and home" in said, said
    assert user.hub_api("GET", "/user").status_code in (401, 403), "the removed user's token still works"
    left = [p for p in processes_of({uid}) if _running(p)]
    assert left == [], f"processes of the removed uid {uid}: {left}"
    left = subprocess.run(
        ["find", "/tmp", "/var/tmp", "/dev/shm", str(state.exchange), "-xdev", "-uid", str(uid)],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert left == [], f"files of the removed uid {uid}: {left[:10]}"
    state.users.pop(key)


def test_a_restart_keeps_running_servers(classroom):
    state = classroom
    user = _user(state, "s3")
    uid = pwd.getpwnam(user.name).pw_uid
    servers = [
        p for p in processes_of({uid}) if b"jupyterhub-singleuser" in Path(f"/proc/{p}/cmdline").read_bytes()
    ]
    assert servers
    said = run(["bash", str(CLASSROOM / "stop")], state.env, timeout=120).stdout
    assert "keep running" in said, said
    assert all(Path(f"/proc/{p}").exists() for p in servers), "classroom/stop ended a student's server"
    run(["bash", str(CLASSROOM / "start")], state.env, timeout=180)
    assert all(Path(f"/proc/{p}").exists() for p in servers), "classroom/start ended a student's server"
    model = user.hub_api("GET", f"/users/{user.name}").json()
    assert model["servers"][""]["ready"], model
    # Through the (new) proxy to the same server, with the same token, as soon as start returns.
    assert user.get("/api/status").status_code == 200


def test_disk_quota_per_student_where_the_kernel_supports_it(classroom):
    state = classroom
    if not shutil.which("setquota"):
        pytest.skip("needs Debian's quota package (setquota)")
    image, mount = state.base / "quota.img", state.base / "quota-fs"
    mount.mkdir()
    subprocess.run(["truncate", "-s", "32M", str(image)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-O", "quota", str(image)], check=True, timeout=60)
    mounted = subprocess.run(
        ["mount", "-o", "loop,usrquota", str(image), str(mount)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        kernel = subprocess.run(["dmesg"], capture_output=True, text=True).stdout.splitlines()[-3:]
        pytest.skip(f"no user quotas on an ext4 loop device here: {mounted.stderr.strip()} {kernel}")
    try:
        user = _user(state, "s5")
        (mount / "work").mkdir()
        shutil.chown(mount / "work", user.name)
        env = dict(state.env, CLASSROOM_DISK_QUOTA="8M", CLASSROOM_QUOTA_PATHS=str(mount))
        said = run(["bash", str(CLASSROOM / "add-user"), user.name], env, timeout=60).stdout
        assert f"disk quota 8M on {mount}" in said, said
        filler = f"open({str(mount / 'work' / 'filler')!r}, 'wb').write(b'x' * 16 * 1024**2)"
        result = user.run([filler])[0]
        assert result["error"] and "Disk quota exceeded" in result["error"], result
        assert "your disk quota" in result["stdout"], result
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
