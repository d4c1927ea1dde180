"""The Kubernetes (Zero to JupyterHub) configuration: what can be checked without a cluster.

Nothing here builds the image or talks to Kubernetes: the YAML parses into the chart's shape, the
hub's extra configuration compiles, the Dockerfile copies files that exist and installs the
project's `hub` extra with a JupyterHub of the same major version as the one-machine classroom.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import yaml

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
    assert single["cmd"] == "jupyterhub-singleuser" and single["defaultUrl"] == "/lab"
    assert single["image"]["name"] and single["image"]["tag"]
    assert single["storage"]["homeMountPath"] == "/home/jovyan"
    assert single["extraEnv"]["CLASSROOM_COURSE_ID"] == "alliance-workbook"
    assert values["hub"]["services"]["ngshare"]["url"].startswith("http://ngshare")
    assert values["cull"]["enabled"] is True
    assert values["hub"]["config"]["Authenticator"]["admin_users"], "instructors must be admins"
    # The hub's extra configuration is Python: it compiles and sets the per-role config path.
    for name, code in values["hub"]["extraConfig"].items():
        compile(code, f"values.yaml:hub.extraConfig.{name}", "exec")
        assert "JUPYTER_CONFIG_PATH" in code and "pre_spawn_hook" in code


def test_dockerfile_copies_existing_files_and_installs_the_hub_extra():
    steps = dockerfile_instructions()
    assert steps[0][0] == "FROM" and "python:3.11" in steps[0][1]
    for kind, args in steps:
        if kind == "COPY":
            *sources, _dest = shlex.split(args)
            for source in sources:
                assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"
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
    assert "ngshare-exchange" in pip[0], "the image needs ngshare's exchange for nbgrader"
    # The image runs as the unprivileged jovyan, with the students' configuration by default.
    assert ("USER", "jovyan") in steps
    assert any(kind == "ENV" and "JUPYTER_CONFIG_PATH=/etc/alliance-classroom/jupyter/students" in args
               for kind, args in steps)


def test_image_nbgrader_config_uses_ngshare():
    text = (Z2JH / "nbgrader_config.py").read_text()
    compile(text, "nbgrader_config.py", "exec")
    assert "configureExchange" in text and "course_id" in text
