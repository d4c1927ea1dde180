"""The Kubernetes (Zero to JupyterHub) configuration: what can be checked without a cluster.

Nothing here builds the image or talks to Kubernetes: the YAML parses into the chart's shape, the
hub's per-user pre-spawn hook runs on stand-in spawners, the Dockerfile copies files that exist and installs the
project's `hub` extra with a JupyterHub of the same major version as the one-machine classroom.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[2]
Z2JH = ROOT / "classroom" / "z2jh"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (Z2JH / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_values_yaml_has_the_classroom_settings():
    values = yaml.safe_load((Z2JH / "values.yaml").read_text())
    single = values["singleuser"]
    assert single["cmd"] == "start-singleuser.py" and single["defaultUrl"] == "/lab"
    assert single["image"]["name"] and single["image"]["tag"]
    assert single["uid"] == 0, "pods start as root so the start script can become the student"
    assert single["extraEnv"]["CLASSROOM_COURSE_ID"] == "alliance-workbook"
    mounts = {m["name"]: m["mountPath"] for m in single["storage"]["extraVolumeMounts"]}
    assert mounts["nbgrader-exchange"] == single["extraEnv"]["CLASSROOM_EXCHANGE"] == "/srv/nbgrader/exchange"
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in single["storage"]["extraVolumes"]}
    assert claims["nbgrader-exchange"]
    assert values["cull"]["enabled"] is True
    assert values["hub"]["config"]["Authenticator"]["admin_users"], "instructors must be admins"


def test_values_yaml_gives_each_user_their_own_name_uid_and_role():
    """Run the hub's pre-spawn hook on stand-in spawners: ids are per user, roles follow admin."""
    values = yaml.safe_load((Z2JH / "values.yaml").read_text())
    code = values["hub"]["extraConfig"]["classroom-users"]

    class Config(dict):
        def __getattr__(self, name):
            return self.setdefault(name, Config())

        def __setattr__(self, name, value):
            self[name] = value

    c = Config()
    exec(compile(code, "values.yaml:hub.extraConfig.classroom-users", "exec"), {"c": c})
    hook = c["KubeSpawner"]["pre_spawn_hook"]
    seen = {}
    for uid, name, admin in ((1, "Alice.B", False), (2, "dana", True), (3, "bob", False)):
        spawner = SimpleNamespace(
            user=SimpleNamespace(name=name, id=uid, admin=admin),
            environment={},
            volume_mounts=[
                {"name": "home", "mountPath": "/home/jovyan"},
                {"name": "nbgrader-exchange", "mountPath": "/srv/nbgrader/exchange"},
            ],
        )
        hook(spawner)
        seen[name] = spawner
    names = {s.environment["NB_USER"] for s in seen.values()}
    uids = {s.environment["NB_UID"] for s in seen.values()}
    assert len(names) == len(uids) == 3, "every user needs their own name and uid"
    assert seen["Alice.B"].environment["NB_USER"] == "alice-b"
    dana, bob = (seen[n].environment["JUPYTER_CONFIG_PATH"].split(":") for n in ("dana", "bob"))
    assert dana[0].endswith("/instructors") and bob[0].endswith("/students"), (dana, bob)
    assert dana[1:] == bob[1:] == ["/etc/alliance-classroom/jupyter/everyone"], (dana, bob)
    assert {"name": "home", "mountPath": "/home/bob"} in seen["bob"].volume_mounts
    assert {"name": "nbgrader-exchange", "mountPath": "/srv/nbgrader/exchange"} in seen["bob"].volume_mounts
    # The per-role folders it points at are the one-machine classroom's, copied into the image.
    for role in ("students", "instructors"):
        assert (ROOT / "classroom" / "jupyter" / role / "nbgrader_config.py").is_file()
    assert (ROOT / "classroom" / "jupyter" / "everyone" / "jupyter_server_config.py").is_file()


def test_dockerfile_copies_existing_files_and_installs_the_hub_extra():
    steps = dockerfile_instructions()
    assert steps[0][0] == "FROM" and "python-3.11" in steps[0][1]
    for kind, args in steps:
        if kind == "COPY":
            *sources, _dest = shlex.split(args)
            for source in sources:
                assert (ROOT / source).exists(), (
                    f"the Dockerfile copies {source}, which is not in the repository"
                )
    pip = [args for kind, args in steps if kind == "RUN" and "pip install" in args]
    assert len(pip) == 1
    words = shlex.split(pip[0].split("&&")[0])
    assert "/tmp/workbook[hub]" in words, words
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {"jupyterhub", "nbgitpuller", "nbgrader"} <= {re.split(r"[<>=!~ ]", r)[0] for r in extras["hub"]}
    # JupyterHub in the image must be of the hub's major version; pyproject's range must allow it.
    arg = next(args for kind, args in steps if kind == "ARG" and args.startswith("JUPYTERHUB_VERSION="))
    version = arg.split("=", 1)[1]
    spec = next(r for r in extras["hub"] if r.startswith("jupyterhub>") or r.startswith("jupyterhub="))
    upper = re.search(r"<(\d+)", spec)
    assert upper is None or int(version.split(".")[0]) < int(upper.group(1)), (version, spec)
    # It ends as the unprivileged user (the pod starts as root only to switch to the student),
    # with the students' configuration by default.
    assert steps[-2] == ("USER", "${NB_UID}") or ("USER", "${NB_UID}") in steps
    # Kernels load the workbook and Lab opens quietly, by the same command as on one machine.
    assert ("RUN", "workbook setup") in steps, [s for s in steps if s[0] == "RUN"]
    assert any(
        kind == "ENV" and "JUPYTER_CONFIG_PATH=/etc/alliance-classroom/jupyter/students" in args
        for kind, args in steps
    )
