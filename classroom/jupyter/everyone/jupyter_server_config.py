# JupyterLab's terminals in the classroom: a login shell (as JupyterLab starts one) resets PATH from
# /etc/profile, which would leave out the classroom's commands (workbook, nbgrader, jupyter): put
# the venv this server runs from back in front, then hand over to an interactive shell.
import os
import shlex
import sys

c = get_config()  # noqa: F821 (provided by Jupyter)
_shell = os.environ.get("SHELL") or "/bin/bash"
_bin = os.path.join(sys.prefix, "bin")
c.ServerApp.terminado_settings = {
    "shell_command": [
        _shell,
        "-l",
        "-c",
        f'export PATH={shlex.quote(_bin)}:"$PATH"; exec {shlex.quote(_shell)} -i',
    ]
}
