"""A student's workspace: ``workbook start`` makes it, ``workbook update`` brings it up to date.

The workspace holds the notebooks, the guide to written answers and the released exercises. A small
manifest (``.workbook/manifest.json``) remembers what was handed out, byte for byte, so an update can
tell a file the student never touched (refreshed in place) from one they edited (kept as it is, with
the new version put beside it). Like nbgitpuller, an update never changes a student's own work.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, paths
from ._common import OK, SKIP_PARTS, CliError, _say

DEFAULT_STUDENT_DIR = Path("~/alliance-workbook")
#: Besides the notebooks, what a student gets from the notebooks folder (never the instructor's guide).
STUDENT_GUIDES = ("WRITTEN_ANSWERS.md", "PANDAS_CHEATSHEET.md")
MANIFEST = Path(".workbook") / "manifest.json"


@dataclass
class Report:
    """What one start or update did, file by file (paths relative to the workspace)."""

    added: list[Path] = field(default_factory=list)
    refreshed: list[Path] = field(default_factory=list)
    restored: list[Path] = field(default_factory=list)
    beside: list[tuple[Path, Path]] = field(default_factory=list)  # (the student's file, the new one)
    kept: list[Path] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------- what to deliver


def _sources(notebooks: Path, release: Path | None) -> tuple[dict[Path, Path], list[str]]:
    """Map workspace path -> file to deliver; and notes about what was not found or left out."""
    files: dict[Path, Path] = {}
    notes: list[str] = []
    found = sorted(p for p in notebooks.glob("*.ipynb") if p.is_file() and not p.is_symlink())
    if not found:
        notes.append(f"No notebooks found in {notebooks}.")
    files.update({Path(p.name): p for p in found})
    for name in STUDENT_GUIDES:
        if (notebooks / name).is_file():
            files[Path(name)] = notebooks / name
    exercises = []
    if release is not None and release.is_dir():
        for path in sorted(release.rglob("*")):
            parts = path.relative_to(release).parts
            if len(parts) < 2 or SKIP_PARTS.intersection(parts):
                continue
            if path.is_symlink():
                notes.append(f"Left out {path}: it is a link, and only real files are copied.")
            elif path.is_file():
                exercises.append(path)
    files.update({Path("exercises") / f.relative_to(release): f for f in exercises})
    if not exercises:
        notes.append(
            "No released exercises found"
            + (f" in {release}" if release is not None else "")
            + ": your instructor hands them out (then run `workbook update --exercises FOLDER`)."
        )
    return files, notes


def _default_release(source: Path | None) -> Path | None:
    """Released exercises that come with this copy of the workbook (a checkout's exercises/release)."""
    root = source if source is not None else paths.checkout_root()
    return root / "exercises" / "release" if root is not None else None


# ------------------------------------------------------------------------------- safe file work


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_inside(dest: Path, target: Path) -> None:
    """Refuse to write through a link: every folder from the workspace down to target must be real."""
    here = dest
    for part in target.relative_to(dest).parts[:-1]:
        here = here / part
        if here.is_symlink():
            raise CliError(
                f"{here} is a link, so files copied into it would land outside your "
                "workspace. Replace the link with a real folder and run the command again."
            )
        if here.exists() and not here.is_dir():
            raise CliError(
                f"{here} is a file, but a folder of that name is needed. Rename it and run the command again."
            )


def _write_new(src: Path, target: Path) -> bool:
    """Copy src to target only if nothing is there (not even a broken link). True if copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except FileExistsError:
        return False
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(src.read_bytes())
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)  # a half-written copy would be "kept" next time
        raise
    return True


def _replace(src: Path, target: Path) -> None:
    """Swap target for a copy of src in one step (a crash leaves the old or the new file, never half)."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(src.read_bytes())
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _beside_name(target: Path, label: str) -> Path:
    """A clear name for the new version of a file the student edited: ``02_x.new-0.2.0.ipynb``."""
    stem, suffix = target.name[: -len(target.suffix)] if target.suffix else target.name, target.suffix
    candidate = target.with_name(f"{stem}.new-{label}{suffix}")
    n = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = target.with_name(f"{stem}.new-{label}-{n}{suffix}")
        n += 1
    return candidate


# ------------------------------------------------------------------------------------ manifest


def _read_manifest(dest: Path) -> dict[str, str]:
    path = dest / MANIFEST
    try:
        files = json.loads(path.read_text(encoding="utf-8")).get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}  # none yet (or damaged): every existing file is then treated as the student's


def _write_manifest(dest: Path, files: dict[str, str]) -> None:
    folder = dest / MANIFEST.parent
    if folder.is_symlink():
        raise CliError(f"{folder} is a link: remove it and run the command again.")
    folder.mkdir(exist_ok=True)
    temp = folder / "manifest.json.tmp"
    temp.unlink(missing_ok=True)
    temp.write_text(
        json.dumps({"version": __version__, "files": files}, indent=1, sort_keys=True), encoding="utf-8"
    )
    os.replace(temp, dest / MANIFEST)


# ----------------------------------------------------------------------------------- the work


def _label(rel: Path, src: Path) -> str:
    """How a new version is named: the workbook's version, or a released exercise's content hash."""
    return f"release-{_digest(src)[:8]}" if rel.parts[0] == "exercises" else __version__


def sync(files: dict[Path, Path], dest: Path, refresh: bool) -> Report:
    """Deliver ``files`` into ``dest``: add what is missing; with ``refresh``, update what is stale.

    A file is the student's own once its bytes differ from what was handed out: it is never
    changed, and the new version goes beside it. Without a manifest entry a file that differs
    from the new version counts as the student's.
    """
    report = Report()
    manifest = _read_manifest(dest)
    for rel, src in sorted(files.items()):
        target = dest / rel
        key = rel.as_posix()
        new = _digest(src)
        _check_inside(dest, target)
        if target.is_symlink() and not target.exists():
            report.blocked.append(
                f"{rel} is a broken link: delete it, then run the command again to get the file."
            )
            continue
        if target.exists() and not target.is_file():
            report.blocked.append(f"{rel} is a folder, not a file: rename it to get the file.")
            continue
        if not target.exists():
            if _write_new(src, target):
                (report.restored if key in manifest and refresh else report.added).append(rel)
                manifest[key] = new
            continue
        mine = _digest(target)
        if not refresh:
            report.kept.append(rel)
            if mine == new:
                manifest[key] = new
            continue
        if mine == new:
            manifest[key] = new
            continue
        if manifest.get(key) == mine and not target.is_symlink():
            _replace(src, target)
            manifest[key] = new
            report.refreshed.append(rel)
            continue
        # The student's own version: leave it, put the new one beside it (once per new version).
        already = [
            p
            for p in target.parent.glob(f"{target.stem}.new-*{target.suffix}")
            if p.is_file() and _digest(p) == new
        ]
        if not already:
            beside = _beside_name(target, _label(rel, src))
            _write_new(src, beside)
            report.beside.append((rel, beside.relative_to(dest)))
    _write_manifest(dest, manifest)
    return report


def _prepare(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise CliError(f"{dest} exists and is not a folder: choose another DIR.")
    for parent in dest.parents:
        if parent.exists() and not parent.is_dir():
            raise CliError(f"{dest} is under {parent}, which is a file: choose another DIR.")
        if parent.exists():
            break
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise CliError(
            f"cannot make the folder {dest}: {problem.strerror}. Choose a folder you can "
            "write to, e.g. one in your home folder."
        ) from None
    if not os.access(dest, os.W_OK | os.X_OK):
        raise CliError(
            f"{dest} is not writable by you: choose a folder you can write to, e.g. one in your home folder."
        )


def _tell(report: Report, dest: Path, notes: list[str], refresh: bool) -> None:
    _say(f"Your workbook folder: {dest}")
    for title, items in (
        ("Added {} file(s):", report.added),
        ("Updated {} file(s) you had not changed:", report.refreshed),
        ("Put back {} file(s) that had been deleted:", report.restored),
    ):
        if items:
            _say(title.format(len(items)))
            for rel in items:
                _say(f"  + {rel}")
    if report.beside:
        _say(
            f"Kept {len(report.beside)} file(s) you changed, exactly as they are; the new version of "
            "each is beside it:"
        )
        for mine, new in report.beside:
            _say(f"  * {mine}  ->  new version: {new}")
        _say(
            "  Open both: copy your answers into the new version, or keep working in yours. "
            "Nothing of yours was changed."
        )
    if report.kept:
        _say(f"Skipped {len(report.kept)} file(s) you already have (your copy is kept, not overwritten):")
        for rel in report.kept:
            _say(f"  = {rel}")
        _say("  To get the newest versions, run `workbook update` (it never changes your own work).")
    for problem in report.blocked:
        _say(f"  ! {problem}")
    if not any((report.added, report.refreshed, report.restored, report.beside, report.kept)):
        _say("Nothing new: you are up to date." if refresh else "Nothing new.")
    for note in notes:
        _say(note)
    _say(f'Open it with:  jupyter lab "{dest}"')


def _run(args, refresh: bool) -> int:
    source = Path(args.source).expanduser().resolve() if args.source else None
    notebooks = source / "notebooks" if source is not None else paths.notebooks_dir()
    release = Path(args.exercises).expanduser().resolve() if args.exercises else _default_release(source)
    dest = Path(args.dir).expanduser() if args.dir else DEFAULT_STUDENT_DIR.expanduser()
    dest = dest.absolute()
    files, notes = _sources(notebooks, release)
    if not files:
        raise CliError("Nothing to copy. " + " ".join(notes))
    _prepare(dest)
    try:
        report = sync(files, dest, refresh=refresh)
    except PermissionError as problem:
        raise CliError(
            f"cannot write {problem.filename}: permission denied. Nothing of yours was "
            "changed; fix the folder's permissions and run the command again."
        ) from None
    _tell(report, dest, notes, refresh)
    _setup_kernels()
    return OK


def _setup_kernels() -> None:
    """Have this Python's kernels load the workbook (``workbook setup``); a note when that can't be done."""
    from .kernel import install

    try:
        install()
    except OSError:
        _say(
            "Note: could not set up this Python's kernels to load the workbook (no permission); in a "
            "notebook the first cell (import workbook) does it instead."
        )


def cmd_start(args) -> int:
    """``workbook start``: make the workspace, or add only what is missing. Never overwrites."""
    return _run(args, refresh=False)


def cmd_update(args) -> int:
    """``workbook update``: refresh files the student never changed; put new versions beside edited ones."""
    return _run(args, refresh=True)
