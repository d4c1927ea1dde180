"""The workbook in every notebook's kernel: an IPython extension, loaded when the kernel starts.

With it, whatever cell a student runs first after a reopen, ``check``, ``cite``, ``load``,
``tables`` and ``progress`` exist, errors are explained (``workbook.friendly_errors``), a failed
answer cell is noticed (``workbook.cell_runs``), charts draw offline and tables read well.

How a kernel loads it: ``workbook setup`` (run by ``workbook start``, ``bootstrap.py lab`` and the
classroom's install) writes IPython's kernel configuration (``ipython_kernel_config.json`` with
``InteractiveShellApp.extensions``) into this Python's ``etc/ipython`` folder, which IPython reads
for every kernel of this environment; ``%load_ext workbook.kernel`` loads it by hand.

``import workbook`` in a Python script changes nothing in IPython or pandas.  Inside a Jupyter
kernel that was started without the extension (nbval, a plain ``python3`` kernel elsewhere),
``import workbook`` sets the same things up, so the notebooks' first cell still works there.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from . import cell_runs, friendly_errors

EXTENSION = "workbook.kernel"
#: What the kernel gives every notebook, like its first cell would.
NAMES = ("load", "tables", "cite", "check", "progress")
#: Lab settings for the workbook (laptop and classroom alike): no "Jupyter news?" toast; a notebook
#: starts its (only) kernel instead of asking which kernel to use; and Lab says "kernel is
#: initializing" when a student clicks Run All before the kernel is ready, instead of dropping the
#: click without a word (README: "Run All right after a kernel starts").
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {
        "autoStartDefaultKernel": True,
        "enableKernelInitNotification": True,
    },
}
_state = {"shell": None, "charts": False}


def _running_shell():
    ipython = sys.modules.get("IPython")  # never import IPython in plain Python
    return ipython.get_ipython() if ipython is not None else None


def in_kernel(shell) -> bool:
    """True for a Jupyter kernel's shell (not a terminal IPython)."""
    return shell is not None and getattr(shell, "kernel", None) is not None


def loaded(shell=None) -> bool:
    """True when the workbook is already set up in ``shell`` (default: the running one)."""
    shell = shell if shell is not None else _running_shell()
    return shell is not None and _state["shell"] is shell


def setup(shell=None, charts: bool = True) -> bool:
    """Set the workbook up in ``shell`` (default: the running IPython); False outside IPython.

    Calling it again does nothing (but ``charts=True`` still sets the charts up if they were left
    for later).  In a terminal IPython only the cell watcher is started.  ``charts=False`` leaves
    the chart renderer until ``workbook.charts`` is first imported (what ``import workbook`` does
    in a kernel started without the extension, so that a graded notebook that draws nothing does
    not pay for Altair).
    """
    shell = shell if shell is not None else _running_shell()
    if shell is None:
        return False
    if _state["shell"] is shell:
        if charts and in_kernel(shell) and not _state.get("charts"):
            _charts()
        return True
    _state["shell"] = shell
    cell_runs.enable(shell)
    if not in_kernel(shell):
        return True
    if os.environ.get("WORKBOOK_FRIENDLY_ERRORS", "").strip().lower() not in friendly_errors.OFF:
        friendly_errors.enable(shell)
    _give_names(shell)
    _tables(shell)
    if charts or "workbook.charts" in sys.modules:
        _charts()
    return True


def charts_imported() -> None:
    """Called by ``workbook.charts`` once imported: in a kernel the workbook set up, draw charts offline."""
    shell = _state["shell"]
    if shell is not None and in_kernel(shell) and not _state.get("charts"):
        _charts()


def _give_names(shell) -> None:
    """``check``, ``load``... in the notebook's namespace; a name the student set is left alone."""
    import workbook

    for name in NAMES:
        value = getattr(workbook, name)
        if name not in shell.user_ns:
            shell.user_ns[name] = value
            shell.user_ns_hidden[name] = value  # not listed by %who: it is not the student's variable


def _dataframe_html(df):
    from .charts.data_table import scrollable_html

    return scrollable_html(df)


def _tables(shell) -> None:
    """Every DataFrame shown by ``workbook.table_display``; pandas is not imported for it."""
    formatter = shell.display_formatter.formatters["text/html"]
    if "pandas" in sys.modules:
        formatter.for_type(sys.modules["pandas"].DataFrame, _dataframe_html)
    for module in ("pandas", "pandas.core.frame"):  # pandas 3 says "pandas", pandas 2 the latter
        formatter.for_type_by_name(module, "DataFrame", _dataframe_html)


def _charts() -> None:
    """Charts drawn offline (the JavaScript vl-convert ships) in the workbook's theme."""
    _state["charts"] = True  # first: importing workbook.charts calls charts_imported()
    from .charts import use_offline_renderer

    use_offline_renderer()


def load_ipython_extension(shell) -> None:
    """IPython's entry point: ``%load_ext workbook.kernel``, or ``extensions`` in the kernel's config.

    ``WORKBOOK_KERNEL_EXTENSION=0`` in a kernel's environment (the grading sandbox) skips it, at
    start and on ``import workbook`` alike: a graded run is plain Python with the library.
    """
    if switched_off():
        return
    setup(shell)


def switched_off() -> bool:
    """True when ``WORKBOOK_KERNEL_EXTENSION`` says the workbook must not set itself up in a kernel."""
    return os.environ.get("WORKBOOK_KERNEL_EXTENSION", "").strip().lower() in friendly_errors.OFF - {""}


def unload_ipython_extension(shell) -> None:
    """``%unload_ext workbook.kernel``: plain errors again, no cell watcher."""
    friendly_errors.disable()
    cell_runs.disable()
    _state.update(shell=None, charts=False)


# --------------------------------------------------------------------------- installing it


def _merge_json(path: Path, update) -> None:
    """Read the JSON object at ``path`` (or {}), let ``update`` change it, write it back atomically."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    update(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def kernel_config_path(prefix: Path | None = None, ipython_dir: Path | None = None) -> Path:
    """IPython's kernel config: in ``prefix``'s ``etc/ipython`` (every kernel of that Python), or a profile."""
    if ipython_dir is not None:
        return Path(ipython_dir) / "profile_default" / "ipython_kernel_config.json"
    return Path(prefix or default_prefix()) / "etc" / "ipython" / "ipython_kernel_config.json"


def default_prefix() -> Path:
    """This Python's installation folder, or ``WORKBOOK_SETUP_PREFIX`` (tests point it elsewhere)."""
    return Path(os.environ.get("WORKBOOK_SETUP_PREFIX") or sys.prefix)


def install(prefix: Path | None = None, ipython_dir: Path | None = None, lab: bool = True) -> list[Path]:
    """Make kernels load the workbook, and JupyterLab open quietly; the files written.

    ``prefix`` (default: :func:`default_prefix`) gets ``etc/ipython/ipython_kernel_config.json``
    and, with ``lab``, ``share/jupyter/lab/settings/overrides.json``; ``ipython_dir`` writes the
    kernel config into that IPython folder's default profile instead.  Other settings in those files
    are kept.
    """

    def add_extension(config):
        app = config.setdefault("InteractiveShellApp", {})
        extensions = app.get("extensions") if isinstance(app.get("extensions"), list) else []
        app["extensions"] = [*extensions, EXTENSION] if EXTENSION not in extensions else extensions

    def add_settings(settings):
        for plugin, values in LAB_SETTINGS.items():
            current = settings.get(plugin) if isinstance(settings.get(plugin), dict) else {}
            settings[plugin] = {**current, **values}

    written = [kernel_config_path(prefix, ipython_dir)]
    _merge_json(written[0], add_extension)
    if lab and ipython_dir is None:
        written.append(
            Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
        )
        _merge_json(written[1], add_settings)
    return written


def cmd_setup(args) -> int:
    """``workbook setup``: every kernel of this Python loads the workbook; Lab opens without pop-ups."""
    from ._common import OK, CliError, _say

    try:
        written = install(Path(args.prefix) if getattr(args, "prefix", None) else None)
    except OSError as problem:
        raise CliError(
            f"cannot write {getattr(problem, 'filename', '') or problem}: {problem.strerror or problem}. "
            "Run this as the owner of this Python installation (or in your own venv)."
        ) from None
    for path in written:
        _say(f"wrote {path}")
    _say("Kernels started from now on load the workbook (check, cite, load, friendly errors).")
    return OK
