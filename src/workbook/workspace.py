"""``workbook start``: copy the notebooks and released exercises into a student's own folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ._common import OK, SKIP_PARTS, WORKBOOK_ROOT, CliError, _say

DEFAULT_STUDENT_DIR = Path("~/alliance-workbook")


def _start_plan(source: Path, release: Path, dest: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(files to copy as (from, to), notes about what was not found)."""
    plan, notes = [], []
    notebooks = sorted(p for p in (source / "notebooks").glob("*.ipynb") if p.is_file())
    if notebooks:
        plan += [(nb, dest / nb.name) for nb in notebooks]
    else:
        notes.append(f"No notebooks found in {source / 'notebooks'}.")
    exercises = []
    if release.is_dir():
        for path in sorted(release.rglob("*")):
            parts = path.relative_to(release).parts
            if path.is_file() and len(parts) >= 2 and not SKIP_PARTS.intersection(parts):
                exercises.append(path)
    if exercises:
        plan += [(f, dest / "exercises" / f.relative_to(release)) for f in exercises]
    else:
        notes.append(f"No released exercises found in {release}: your instructor hands them out "
                     "(run `workbook start` again with --exercises FOLDER once you have them).")
    return plan, notes


def _copy_new(src: Path, target: Path) -> bool:
    """Copy src to target unless target exists. True if copied. Never overwrites."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        out = open(target, "xb")  # exclusive: fails if the file exists, even if created meanwhile
    except FileExistsError:
        return False
    try:
        with out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out)
    except BaseException:
        target.unlink(missing_ok=True)  # a half-written copy would be "kept" next time
        raise
    shutil.copystat(src, target)
    os.chmod(target, (target.stat().st_mode | 0o200))  # the student's copy is theirs to edit
    return True


def cmd_start(args) -> int:
    source = Path(args.source).expanduser().resolve() if args.source else WORKBOOK_ROOT
    release = (Path(args.exercises).expanduser().resolve() if args.exercises
               else source / "exercises" / "release")
    dest = Path(args.dir).expanduser() if args.dir else DEFAULT_STUDENT_DIR.expanduser()
    dest = dest.resolve()
    if dest.exists() and not dest.is_dir():
        raise CliError(f"{dest} exists and is not a folder: choose another DIR.")
    plan, notes = _start_plan(source, release, dest)
    if not plan:
        raise CliError("Nothing to copy. " + " ".join(notes))
    copied, kept = [], []
    for src, target in plan:
        (copied if _copy_new(src, target) else kept).append(target.relative_to(dest))
    _say(f"Your workbook folder: {dest}")
    if copied:
        _say(f"Added {len(copied)} file(s):")
        for rel in copied:
            _say(f"  + {rel}")
    if kept:
        _say(f"Skipped {len(kept)} file(s) you already have (your copy is kept, not overwritten):")
        for rel in kept:
            _say(f"  = {rel}")
        _say("  To get a fresh copy of one, rename or move yours and run `workbook start` again.")
    if not copied and not kept:
        _say("Nothing new.")
    for note in notes:
        _say(note)
    _say(f"Open it with:  jupyter lab \"{dest}\"")
    return OK

