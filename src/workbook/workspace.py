"""A student's workspace: ``workbook start`` makes it, ``workbook update`` brings it up to date.

The workspace holds the notebooks, the guide to written answers and the released exercises. A small
manifest (``.workbook/manifest.json``) remembers what was handed out, byte for byte, so an update can
tell a file the student never touched (refreshed in place) from one they edited (kept as it is, with
the new version put beside it). Like nbgitpuller, an update never changes a student's own work.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, durable, paths
from ._common import OK, SKIP_PARTS, CliError, _say

DEFAULT_STUDENT_DIR = Path("~/alliance-workbook")
#: Besides the notebooks, what a student gets from the notebooks folder (never the instructor's guide).
STUDENT_GUIDES = ("WRITTEN_ANSWERS.md", "PANDAS_CHEATSHEET.md")
MANIFEST = Path(".workbook") / "manifest.json"
#: Pristine copies of what was handed out (``originals/<file>.versions/<sha256>``): the manifest is
#: believed only where they agree.
ORIGINALS = Path(".workbook") / "originals"
#: Where a file replaced on an old manifest's word is kept, just in case.
BACKUPS = Path(".workbook") / "replaced"


@dataclass
class Report:
    """What one start or update did, file by file (paths relative to the workspace)."""

    added: list[Path] = field(default_factory=list)
    refreshed: list[Path] = field(default_factory=list)
    restored: list[Path] = field(default_factory=list)
    beside: list[tuple[Path, Path]] = field(default_factory=list)  # (the student's file, the new one)
    kept: list[Path] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    repaired: list[Path] = field(default_factory=list)  # left empty or half-written by a killed run
    unsure: list[tuple[Path, Path]] = field(default_factory=list)  # kept: the record could not vouch
    damaged: str = ""  # why the manifest was not trusted
    cleaned: int = 0  # temporary files of a killed run removed


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

#: Every temporary file this module makes starts with this, so a rerun can find a killed run's leftovers.
TEMP_PREFIX = ".workbook-tmp-"


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


def _temp_copy(data: bytes, folder: Path) -> Path:
    """``data`` in a new, synced temporary file in ``folder``, named so a rerun can clean it up."""
    return durable.temp_copy(data, folder, TEMP_PREFIX, ".part", 0o644)


def _write_new(src: Path | bytes, target: Path) -> bool:
    """Put a copy of src at target only if nothing is there (not even a broken link). True if copied.

    The copy is written whole to a temporary file first and then linked in under its real name, so a
    kill at any moment leaves either no file or the whole file, never an empty or half one.
    """
    data = src if isinstance(src, bytes) else src.read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        return False
    temp = _temp_copy(data, target.parent)
    try:
        try:
            os.link(temp, target)  # atomic, and fails if anything appeared there meanwhile
        except FileExistsError:
            return False
        except OSError as problem:  # a disk without hard links: rename, having just checked
            if problem.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            if os.path.lexists(target):
                return False
            os.rename(temp, target)
        durable.sync_folder(target.parent)
        return True
    finally:
        temp.unlink(missing_ok=True)


def _replace(src: Path | bytes, target: Path) -> None:
    """Swap target for a copy of src in one step (a crash leaves the old or the new file, never half)."""
    data = src if isinstance(src, bytes) else src.read_bytes()
    durable.replace(data, target, TEMP_PREFIX, ".part", 0o644)


def _remove_leftovers(dest: Path, folders: set[Path]) -> int:
    """Delete the temporary files a killed run left in ``folders`` (ours only: by prefix, real files)."""
    removed = 0
    for folder in sorted(folders | {dest / MANIFEST.parent}):
        if folder.is_symlink() or not folder.is_dir():
            continue
        for path in folder.iterdir():
            name = path.name
            ours = name.startswith(TEMP_PREFIX) or name == "manifest.json.tmp"
            # Older versions named theirs ".<file>.<random>.tmp".
            ours = ours or (name.startswith(".") and name.endswith(".tmp") and ".ipynb." in name)
            if ours and path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
                removed += 1
    return removed


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


@dataclass
class Record:
    """What was handed out: the manifest's word, checked against the originals kept beside it."""

    files: dict[str, str]
    damaged: str = ""  # why the manifest cannot be trusted ("" when it can)
    legacy: bool = False  # written by a version that kept no originals (its word is taken, with a backup)

    def originals(self, dest: Path, key: str) -> Path:
        return dest / ORIGINALS / f"{key}.versions"

    def handed_out(self, key: str, digest: str, dest: Path) -> bool:
        """True only when a file with ``digest`` is provably a version handed out for ``key``.

        The proof is the pristine copy kept in ``.workbook/originals/KEY/HASH``; the manifest alone
        is believed only in a workspace made before originals were kept.
        """
        original = self.originals(dest, key) / digest
        try:
            if original.is_file() and not original.is_symlink() and _digest(original) == digest:
                return True
        except OSError:
            pass
        return self.legacy and not self.damaged and self.files.get(key) == digest

    def knows(self, key: str, dest: Path) -> bool:
        """True when there is trustworthy evidence of what was handed out for ``key``."""
        folder = self.originals(dest, key)
        if folder.is_dir() and not folder.is_symlink() and any(folder.iterdir()):
            return True
        return self.legacy and not self.damaged and key in self.files


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _read_manifest(dest: Path) -> Record:
    path = dest / MANIFEST
    if not os.path.lexists(path):
        return Record({})
    if path.is_symlink() or not path.is_file():
        return Record({}, damaged=f"{MANIFEST} is not a file")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        return Record({}, damaged=f"{MANIFEST} cannot be read ({problem.__class__.__name__})")
    files = raw.get("files") if isinstance(raw, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _HEX64.fullmatch(v) for k, v in files.items()
    ):
        return Record({}, damaged=f"{MANIFEST} does not hold what the workbook wrote")
    return Record(dict(files), legacy=not (dest / ORIGINALS).is_dir())


def _legacy_or_damaged(dest: Path, record: Record) -> Record:
    """A damaged manifest still leaves the originals to go by; mark legacy only when there are none."""
    record.legacy = not (dest / ORIGINALS).is_dir()
    return record


def _keep_original(dest: Path, key: str, data: bytes, digest: str) -> None:
    """Keep a pristine copy of what was handed out for ``key``, named by its hash (see Record)."""
    folder = dest / ORIGINALS / f"{key}.versions"
    _check_inside(dest, folder / digest)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if target.is_file() and not target.is_symlink() and _digest(target) == digest:
        return
    if os.path.lexists(target):
        if target.is_dir() and not target.is_symlink():
            raise CliError(f"{target} is a folder where the workbook keeps a file: delete it and run again.")
        target.unlink()
    _write_new(data, target)


def _check_records_folder(dest: Path) -> None:
    """Refuse, with a sentence, when ``.workbook`` or its manifest is not what the workbook made."""
    folder = dest / MANIFEST.parent
    if folder.is_symlink():
        raise CliError(f"{folder} is a link: remove it and run the command again.")
    if os.path.lexists(folder) and not folder.is_dir():
        raise CliError(
            f"{folder} is a file, but the workbook keeps its records in a folder of that name. "
            "Rename or delete that file, then run the command again: your notebooks are not affected."
        )
    target = dest / MANIFEST
    if target.is_dir() and not target.is_symlink():
        raise CliError(
            f"{target} is a folder, but the workbook keeps a file there (its record of what it handed "
            "out). Rename or delete that folder, then run the command again."
        )


def _write_manifest(dest: Path, files: dict[str, str]) -> None:
    _check_records_folder(dest)
    (dest / MANIFEST.parent).mkdir(exist_ok=True)
    target = dest / MANIFEST
    data = json.dumps({"version": __version__, "files": files}, indent=1, sort_keys=True).encode("utf-8")
    _replace(data, target)


# ----------------------------------------------------------------------------------- the work


def _label(rel: Path, src: Path) -> str:
    """How a new version is named: the workbook's version, or a released exercise's content hash."""
    return f"release-{_digest(src)[:8]}" if rel.parts[0] == "exercises" else __version__


def _half_written(target: Path, versions: list[bytes]) -> bool:
    """True for a file an interrupted copy left behind: empty, or the start of a version handed out.

    A student's saved notebook is never empty, and never a strict prefix of the file it came from
    (Jupyter writes whole JSON documents).
    """
    size = target.stat().st_size
    if size == 0:
        return True
    mine = target.read_bytes()
    return any(len(mine) < len(v) and v.startswith(mine) for v in versions)


def sync(files: dict[Path, Path], dest: Path, refresh: bool) -> Report:
    """Deliver ``files`` into ``dest``: add what is missing; with ``refresh``, update what is stale.

    A file is the student's own once its bytes differ from what was handed out: it is never
    changed, and the new version goes beside it. A file is replaced only when the manifest says it
    was handed out *and* the kept original proves it; when the manifest is damaged or silent, the
    file is kept and counted as "could not tell", not as changed.
    """
    report = Report()
    _check_records_folder(dest)
    record = _legacy_or_damaged(dest, _read_manifest(dest))
    report.damaged = record.damaged
    manifest = dict(record.files) if not record.damaged else {}
    folders = {(dest / rel).parent for rel in files} | {
        dest / ORIGINALS / f"{rel.as_posix()}.versions" for rel in files
    }
    report.cleaned = _remove_leftovers(dest, folders)
    for rel, src in sorted(files.items()):
        target = dest / rel
        key = rel.as_posix()
        data = src.read_bytes()
        new = hashlib.sha256(data).hexdigest()
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
            if _write_new(data, target):
                (report.restored if key in manifest and refresh else report.added).append(rel)
                _keep_original(dest, key, data, new)
                manifest[key] = new
            continue
        mine = _digest(target)
        if mine == new:
            _keep_original(dest, key, data, new)
            manifest[key] = new
            if not refresh:
                report.kept.append(rel)
            continue
        kept = record.originals(dest, key)
        versions = [data] + [
            o.read_bytes()
            for o in (kept.iterdir() if kept.is_dir() and not kept.is_symlink() else ())
            if o.is_file()
        ]
        if not target.is_symlink() and _half_written(target, versions):
            _replace(data, target)
            _keep_original(dest, key, data, new)
            manifest[key] = new
            report.repaired.append(rel)
            continue
        if not refresh:
            report.kept.append(rel)
            continue
        if record.handed_out(key, mine, dest) and not target.is_symlink():
            if record.legacy:  # no original to prove it: keep a backup of what is replaced
                _write_new(target.read_bytes(), _beside_name(dest / BACKUPS / rel, "replaced"))
            _replace(data, target)
            _keep_original(dest, key, data, new)
            manifest[key] = new
            report.refreshed.append(rel)
            continue
        # The student's own version, or one we cannot prove untouched: leave it, put the new one beside.
        unsure = not record.knows(key, dest)
        already = [
            p
            for p in target.parent.glob(f"{target.stem}.new-*{target.suffix}")
            if p.is_file() and _digest(p) == new
        ]
        if not already:
            beside = _beside_name(target, _label(rel, src))
            _write_new(data, beside)
            (report.unsure if unsure else report.beside).append((rel, beside.relative_to(dest)))
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
    if report.repaired:
        _say(
            f"Repaired {len(report.repaired)} file(s) that an interrupted run had left empty or half-copied:"
        )
        for rel in report.repaired:
            _say(f"  + {rel}")
    if report.unsure:
        why = (
            f"the workbook's record of what it handed out is damaged ({report.damaged})"
            if report.damaged
            else "the workbook's record cannot vouch that you never changed them"
        )
        _say(
            f"Kept {len(report.unsure)} file(s) as they are, because {why}; the new version of each is "
            "beside it:"
        )
        for mine, new in report.unsure:
            _say(f"  ? {mine}  ->  new version: {new}")
        _say("  If you never changed one of them, you may delete it and rename the new version.")
    if report.kept:
        _say(f"Skipped {len(report.kept)} file(s) you already have (your copy is kept, not overwritten):")
        for rel in report.kept:
            _say(f"  = {rel}")
        _say("  To get the newest versions, run `workbook update` (it never changes your own work).")
    for problem in report.blocked:
        _say(f"  ! {problem}")
    if report.cleaned:
        _say(f"Removed {report.cleaned} temporary file(s) an interrupted run had left behind.")
    if not any(
        (
            report.added,
            report.refreshed,
            report.restored,
            report.beside,
            report.kept,
            report.repaired,
            report.unsure,
        )
    ):
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
    try:
        _prepare(dest)
        report = sync(files, dest, refresh=refresh)
    except OSError as problem:
        raise CliError(fault_sentence(problem, dest)) from None
    _tell(report, dest, notes, refresh)
    _setup_kernels()
    return OK


def _first_non_folder(path: Path) -> Path | None:
    """The first part of ``path``'s folders that exists but is not a folder, if any."""
    for parent in reversed(path.parents):
        if os.path.lexists(parent) and not parent.is_dir():
            return parent
    return None


def fault_sentence(problem: OSError, dest: Path) -> str:
    """One sentence for a failed file operation: which file, what went wrong, what to do."""
    name = Path(problem.filename) if problem.filename else dest
    if name.name.startswith(TEMP_PREFIX):
        name = name.parent
    safe = "Nothing of yours was changed or lost; "
    code = problem.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (
            f"the disk is full (writing {name}). {safe}free some space (or ask for a bigger quota) and "
            "run the command again: it carries on where it stopped."
        )
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"cannot write {name}: permission denied. {safe}make the folder writable "
            f"(`chmod u+w {name.parent if name != dest else name}`) or choose another folder, then run again."
        )
    if code == errno.EROFS:
        return f"{name} is on a read-only disk. {safe}choose a folder on a disk you can write to."
    if code == errno.ENOTDIR:
        blocker = _first_non_folder(name) or name
        return (
            f"{blocker} is a file, but a folder of that name is needed. {safe}rename that file, "
            "then run the command again."
        )
    if code == errno.EISDIR:
        return (
            f"{name} is a folder, but a file of that name is needed. {safe}rename that folder, "
            "then run the command again."
        )
    return f"cannot write {name} ({problem.strerror or problem}). {safe}fix that, then run the command again."


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
