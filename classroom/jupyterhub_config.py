# JupyterHub configuration of the alliance-workbook classroom (one machine, real Linux accounts).
#
# Started by `classroom/start`, which exports the CLASSROOM_* settings (classroom/settings.sh and
# $CLASSROOM_ETC/classroom.env).  Local changes go in $CLASSROOM_ETC/jupyterhub_config_local.py,
# which is read last, so this file can be replaced on upgrade.
#
# - Users are the machine's Linux accounts: members of the students group and of the instructors
#   group may log in (PAM: their own password); instructors are hub admins, students are not.
# - Each user's server runs as that user (LocalProcessSpawner), from the classroom's venv, which
#   holds the student install of the workbook, nbgitpuller and nbgrader.
# - nbgrader's filesystem exchange is shared by every user; the course id and exchange root come
#   from $CLASSROOM_ETC/jupyter/{students,instructors}/nbgrader_config.py, chosen by the user's group.

import asyncio
import grp
import ipaddress
import os
import pwd
from urllib.parse import urlparse

from jupyterhub.spawner import LocalProcessSpawner

c = get_config()  # noqa: F821 (provided by JupyterHub)

env = os.environ
VENV = env.get("CLASSROOM_VENV", "/opt/alliance-classroom/venv")
PREFIX = env.get("CLASSROOM_PREFIX", "/opt/alliance-classroom")
ETC = env.get("CLASSROOM_ETC", "/etc/alliance-classroom")
STATE = env.get("CLASSROOM_STATE", "/srv/alliance-classroom/state")
STUDENTS = env.get("CLASSROOM_STUDENTS", "classroom-students")
INSTRUCTORS = env.get("CLASSROOM_INSTRUCTORS", "classroom-instructors")
BIND_URL = env.get("CLASSROOM_BIND_URL", "http://:8000")
AUTH = env.get("CLASSROOM_AUTH", "pam")

# --- network: the proxy faces the users; the hub and its proxy API stay on loopback -------------------
c.JupyterHub.bind_url = BIND_URL
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env.get('CLASSROOM_HUB_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env.get('CLASSROOM_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [
    os.path.join(PREFIX, "proxy", "node_modules", ".bin", "configurable-http-proxy")
]
c.ConfigurableHTTPProxy.pid_file = os.path.join(STATE, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(STATE, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(STATE, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(STATE, "jupyterhub.pid")
# Stopping the hub leaves the proxy and users' servers running, so that a restart or an upgrade
# (classroom/stop, then start) does not interrupt anyone: the new hub finds both again.
# `classroom/stop --all` stops every server and the proxy first.
c.JupyterHub.cleanup_servers = False
c.JupyterHub.cleanup_proxy = False

# --- who may log in ------------------------------------------------------------------------------------
if AUTH == "pam":
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.allowed_groups = {STUDENTS, INSTRUCTORS}
    c.PAMAuthenticator.admin_groups = {INSTRUCTORS}
    c.PAMAuthenticator.open_sessions = False
elif AUTH == "test":
    # CI only: PAM's group rules (allowed and admin groups), but any password is accepted, so this
    # refuses to serve anything but loopback.
    host = urlparse(BIND_URL).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise SystemExit(
            f"CLASSROOM_AUTH=test accepts any password: it needs a loopback bind_url, not {BIND_URL!r}"
        )
    from jupyterhub.auth import PAMAuthenticator

    class AnyPasswordPAMAuthenticator(PAMAuthenticator):
        """PAMAuthenticator without the password check (tests on machines without PAM)."""

        async def authenticate(self, handler, data):
            return data.get("username") or None

    c.JupyterHub.authenticator_class = AnyPasswordPAMAuthenticator
    c.AnyPasswordPAMAuthenticator.allowed_groups = {STUDENTS, INSTRUCTORS}
    c.AnyPasswordPAMAuthenticator.admin_groups = {INSTRUCTORS}
else:
    raise SystemExit(f"CLASSROOM_AUTH must be 'pam' or 'test', not {AUTH!r}")
c.Authenticator.delete_invalid_users = True  # an account removed from the groups loses access


def _groups_of(name: str) -> set[str]:
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        return set()
    return {grp.getgrgid(gid).gr_name for gid in os.getgrouplist(name, account.pw_gid)}


# --- each user's server --------------------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(VENV, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.LocalProcessSpawner.ip = "127.0.0.1"
c.Spawner.environment = {
    "PATH": os.path.join(VENV, "bin") + ":/usr/local/bin:/usr/bin:/bin",
    # git refuses to clone a repository another account owns ("dubious ownership") unless a
    # protected config says it is safe: $CLASSROOM_ETC/gitconfig marks the content repository so
    # (and includes /etc/gitconfig).  Used by nbgitpuller.
    "GIT_CONFIG_SYSTEM": os.path.join(ETC, "gitconfig"),
}
if env.get("CLASSROOM_DATA"):
    c.Spawner.environment["WORKBOOK_DATA"] = env["CLASSROOM_DATA"]


def pre_spawn_hook(spawner):
    """Instructors get nbgrader's course tools, students only the assignment list; everyone's
    terminals keep the classroom's commands on PATH (jupyter/everyone)."""
    role = "instructors" if INSTRUCTORS in _groups_of(spawner.user.name) else "students"
    folders = (os.path.join(ETC, "jupyter", role), os.path.join(ETC, "jupyter", "everyone"))
    spawner.environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(folders)
    spawner.environment["CLASSROOM_ROLE"] = role
    for name in ("CLASSROOM_COURSE_ID", "CLASSROOM_EXCHANGE", "CLASSROOM_COURSE"):
        if env.get(name):
            spawner.environment[name] = env[name]


c.Spawner.pre_spawn_hook = pre_spawn_hook

# --- a class arriving together (issue 20; figures in benchmarks/RESULTS.md, "hub_load") -----------------
# A server's start is ~3 s of CPU (Python imports, mostly); on 2 cores 30 students clicking the link in
# the same minute all start together and finish in ~40-60 s.  Set deliberately, not left to defaults:
# - concurrent_spawn_limit: servers starting at once before the hub answers 429 "Too many users trying
#   to log in right now, try again in N s" (a student sees that as a failure).  A seminar-sized class
#   must fit under it; JupyterHub's default (100) would let a large class thrash a small machine where
#   nobody's server comes up within the timeouts below.  CLASSROOM_SPAWN_LIMIT overrides it.
# - start_timeout, http_timeout: the spawner below returns once the server listens, so both bound the
#   whole start (imports, server extensions) under a class's load: 120 s, above the 90 s target for 30.
# - the proxy: configurable-http-proxy keeps its defaults of no request timeout on purpose (a kernel's
#   websocket and nbgitpuller's progress stream are long-lived); the hub checks it every 5 s and the
#   proxy's routes are kept in the hub's database, so a restarted proxy gets them back.
c.JupyterHub.concurrent_spawn_limit = int(env.get("CLASSROOM_SPAWN_LIMIT", "40") or 0)
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120


class ListeningLocalProcessSpawner(LocalProcessSpawner):
    """LocalProcessSpawner whose start returns when the server accepts connections (checked every 0.1 s).

    The hub then asks the server over HTTP at once; without this it polls with an exponential
    back-off of up to 5 s between tries (2.3 s lost in one measured start; benchmarks/hub_load.py's
    "listening → hub says ready").  The server binds its port only when it is ready to serve.
    """

    async def start(self):
        ip, port = await super().start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.http_timeout
        while loop.time() < deadline and self.proc.poll() is None:  # exited: the hub reports it
            try:
                _, writer = await asyncio.open_connection(ip or "127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            break
        return ip, port


# (the spawner class is set below: ClassroomSpawner, this one with the per-student cgroup)
c.ConfigurableHTTPProxy.check_running_interval = 5
# A slow start shows the hub's progress page after 10 s instead of a browser spinning on the login POST.
c.JupyterHub.tornado_settings.update({"slow_spawn_timeout": 10})  # merged with any other settings

# --- idle servers are stopped (their files stay) ---------------------------------------------------------
idle = int(env.get("CLASSROOM_IDLE_MINUTES", "60") or 0)
if idle > 0:
    c.JupyterHub.load_roles = [
        {
            "name": "idle-culler",
            "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        }
    ]
    # The hub stops its services with SIGINT, which the culler ignores (the hub then waits ~30 s
    # before SIGTERM): run it with SIGINT's default action, which ends it at once.
    culler = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "sys.argv[0] = 'jupyterhub_idle_culler'; "
        "runpy.run_module('jupyterhub_idle_culler', run_name='__main__')"
    )
    c.JupyterHub.services = [
        {
            "name": "idle-culler",
            "command": [os.path.join(VENV, "bin", "python3"), "-c", culler, f"--timeout={idle * 60}"],
        }
    ]

# --- limits per student: a cgroup each (classroom_limits.py, installed into the venv) ---------------------
import classroom_limits  # noqa: E402
from jupyterhub.spawner import LocalProcessSpawner  # noqa: E402

LIMITS = classroom_limits.settings(env)


class ClassroomSpawner(ListeningLocalProcessSpawner):
    """The listening spawner above, whose server runs in the user's own cgroup; stopping it ends everything."""

    def make_preexec_fn(self, name):
        drop_to_user = super().make_preexec_fn(name)
        folders = classroom_limits.prepare(name, LIMITS)

        def preexec():
            classroom_limits.enter(folders, LIMITS)
            drop_to_user()

        return preexec

    async def stop(self, now=False):
        try:
            await super().stop(now=now)
        finally:
            killed = classroom_limits.end_all(self.user.name, LIMITS)
            if killed:
                self.log.info("ended %d leftover process(es) of %s", killed, self.user.name)


c.JupyterHub.spawner_class = ClassroomSpawner
c.Spawner.environment.update(
    {
        k: env[k]
        for k in ("CLASSROOM_MEMORY_LIMIT", "CLASSROOM_CPU_LIMIT", "CLASSROOM_PIDS_LIMIT")
        if env.get(k)
    }
)
c.JupyterHub.shutdown_on_logout = True  # logging out stops the server, and with it every process

# --- the administrator's scripts (remove-user) talk to the hub with a token only root can read ------------
_admin_token_file = os.path.join(STATE, "admin-api-token")
if not os.path.isfile(_admin_token_file):
    import secrets

    with open(os.open(_admin_token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as _f:
        _f.write(secrets.token_hex(32))
with open(_admin_token_file) as _f:
    c.JupyterHub.services.append({"name": "classroom-admin", "api_token": _f.read().strip()})
c.JupyterHub.load_roles.append(
    {
        "name": "classroom-admin",
        "services": ["classroom-admin"],
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users"],
    }
)

local = os.path.join(ETC, "jupyterhub_config_local.py")
if os.path.isfile(local):
    load_subconfig(local)  # noqa: F821 (provided by JupyterHub)
