"""The readings' own text: where a local copy is kept, how it is checked, split into paragraphs and added.

The essays are not shipped with the workbook.  A student adds the copy their course provides with
``workbook readings add FILE`` (or ``workbook.reading_upload()`` in a notebook); it is checked against
the paragraph structure the tables cite and kept in a folder every later kernel looks in:
``WORKBOOK_READINGS`` if set, else ``$XDG_DATA_HOME/alliance-workbook/readings`` (by default
``~/.local/share/alliance-workbook/readings``).  A ``readings/`` folder at the top of a checkout, and
``../shared/readings/`` beside it (as on CI), are looked in too.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from pathlib import Path

from . import paths
from .errors import ReadingCopyError, ReadingsNotFound

#: The checkout this module runs from, or None in an installed wheel (which has no such places).
REPO_ROOT: Path | None = paths.checkout_root()
#: Each cited paragraph's fingerprint: the rows whose evidence it holds, in the order the text has
#: them. Built from the real readings by ``python -m workbook.texts`` (a test keeps it current).
FINGERPRINTS = Path(__file__).with_name("reading_fingerprints.json")
#: Byte sequences a UTF-8 text shows when it was decoded as Latin-1/Windows-1252 and saved again.
MOJIBAKE = ("\u00e2\u20ac", "\u00c3\u00a9", "\u00c3\u00a8", "\u00c2\u00a0", "\ufffd")
#: A reading is a few tens of KB; anything much bigger is refused before it is read.
MAX_BYTES = 2_000_000
#: Share of the tables' evidence phrases that must sit in the paragraphs they cite.
MIN_EVIDENCE_FOUND = 0.9

_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
HOW_TO_ADD = (
    "add the copy your course gives you: `workbook.reading_upload()` in a notebook cell, "
    "or `workbook readings add FILE` in a terminal"
)


def normalise(text: str) -> str:
    """Fold white space, curly quotes and dashes, so a quoted phrase can be found in the text."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip()


def split_blocks(text: str) -> list[str]:
    """Split a text into blocks: maximal runs of non-blank lines (the readings' paragraph numbers)."""
    blocks, current = [], []
    for line in re.split(r"\r\n|\r|\n", text):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


# --------------------------------------------------------------------------- where copies live


def store_folder() -> Path:
    """Where an added copy is kept: ``WORKBOOK_READINGS``, else the user's data folder."""
    if os.environ.get("WORKBOOK_READINGS"):
        return Path(os.environ["WORKBOOK_READINGS"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "alliance-workbook" / "readings"


def candidate_folders() -> list[Path]:
    """Where copies are looked for, in order: the store, then (in a checkout only) its two folders."""
    folders = [store_folder()]
    if REPO_ROOT is not None:  # an installed wheel has no checkout around it: no made-up places
        folders += [REPO_ROOT / "readings", REPO_ROOT.parent / "shared" / "readings"]
    return list(dict.fromkeys(folders))


def expected() -> dict[str, dict]:
    """What the tables expect of each reading: its file name, paragraph count and evidence."""
    from .data import package

    pkg = package()
    out = {
        row.id: {"file": row.file, "paragraphs": int(row.paragraphs), "evidence": [], "rows": {}}
        for row in pkg.table("readings").itertuples()
    }
    from .data import table_names

    quoting = [t for t in ("claims", "events", "phases", "assertions") if t in table_names()]
    for table in quoting:  # every table whose rows quote a reading's paragraph
        frame = pkg.table(table)
        keys = frame[frame.columns[0]].astype(str)
        for key, row in zip(keys, frame[["reading", "paragraph", "evidence"]].itertuples(index=False)):
            phrase = normalise(row.evidence)
            out[str(row.reading)]["evidence"].append((int(row.paragraph), phrase))
            out[str(row.reading)]["rows"][f"{table}:{key}"] = (int(row.paragraph), phrase)
    return out


def fingerprints() -> dict[str, dict[str, list[str]]]:
    """The shipped fingerprints: reading -> paragraph number -> row keys in the text's order."""
    try:
        return json.loads(FINGERPRINTS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def make_fingerprints(readings: dict[str, list[str]]) -> dict[str, dict[str, list[str]]]:
    """Fingerprints from good copies (reading -> its normalised paragraphs): for maintainers."""
    out: dict[str, dict[str, list[str]]] = {}
    for reading, spec in expected().items():
        paras = readings[reading]
        cited: dict[int, list[tuple[int, str]]] = {}
        for key, (number, phrase) in spec["rows"].items():
            cited.setdefault(number, []).append((paras[number - 1].find(phrase), key))
        out[reading] = {str(n): [key for _, key in sorted(items)] for n, items in sorted(cited.items())}
    return out


def readings_folder() -> Path | None:
    """The first folder that holds every reading's file, or None."""
    files = [spec["file"] for spec in expected().values()]
    for folder in candidate_folders():
        if all((folder / f).is_file() for f in files):
            return folder
    return None


# --------------------------------------------------------------------------- reading and checking


def _read_bytes(path: Path) -> bytes:
    """A regular file's bytes, at most MAX_BYTES; never blocks on a pipe, never reads a giant whole."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise ReadingCopyError(f"There is no file {path}.") from None
    except OSError as exc:
        raise ReadingCopyError(f"{path} cannot be read ({exc.strerror}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise ReadingCopyError(f"{path} is a folder; give the reading's .txt file itself.")
    if not stat.S_ISREG(info.st_mode):
        raise ReadingCopyError(
            f"{path} is not an ordinary file (a pipe or a device); give the reading's .txt file."
        )
    if info.st_size > MAX_BYTES:
        raise ReadingCopyError(
            f"{path} is {info.st_size:,} bytes; a reading is well under {MAX_BYTES:,}, "
            "so this is not one of the readings."
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ReadingCopyError(f"{path} is not an ordinary file; give the reading's .txt file.")
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ReadingCopyError(f"{path} cannot be read ({exc.strerror}).") from None
    if len(data) > MAX_BYTES:
        raise ReadingCopyError(f"{path} is more than {MAX_BYTES:,} bytes, so it is not one of the readings.")
    return data


def decode(data: bytes, shown: str) -> str:
    """The text of a file's bytes; ReadingCopyError saying what to do when it is not plain UTF-8 text."""
    if not data.strip():
        raise ReadingCopyError(f"{shown} is empty.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 64 and data[1:64:2].count(0) > 24):
        raise ReadingCopyError(
            f"{shown} is saved as UTF-16 text, not UTF-8. Save it again as plain text in UTF-8 "
            "(in most editors: Save As, Encoding: UTF-8) and add that."
        )
    if b"\x00" in data:
        raise ReadingCopyError(
            f"{shown} is not plain text (it holds binary data: a PDF or a Word file?). "
            "Save the reading as plain text (.txt, UTF-8) and add that."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadingCopyError(
            f"{shown} is not UTF-8 text (byte {exc.start} is not; it may be saved as "
            "Latin-1 or Windows-1252). Save it as plain text in UTF-8 and add it again."
        ) from None


def check(text: str, reading: str, spec: dict, shown: str) -> list[str]:
    """The normalised paragraphs of ``text`` if it is the reading the tables cite; else ReadingCopyError."""
    paras = [normalise(b) for b in split_blocks(text)]
    if len(paras) != spec["paragraphs"]:
        hint = "cut short or damaged" if len(paras) < spec["paragraphs"] else "another text or edition"
        raise ReadingCopyError(
            f"{shown} has {len(paras)} paragraphs, but {reading} has {spec['paragraphs']} "
            f"(blocks separated by blank lines): it looks {hint}."
        )
    evidence = spec["evidence"]
    found = sum(1 for number, phrase in evidence if phrase in paras[number - 1])
    faults = paragraph_faults(paras, reading, spec)
    cited = len({number for number, _ in evidence})
    if evidence and found < MIN_EVIDENCE_FOUND * len(evidence) and len(faults) > max(3, cited // 4):
        raise ReadingCopyError(
            f"{shown} has {reading}'s {len(paras)} paragraphs, but only {found} of the "
            f"{len(evidence)} phrases the tables quote are where they cite them: it is "
            "another text or edition."
        )
    if faults:  # the reading, with a few paragraphs replaced, moved or garbled: say which
        listed = "; ".join(faults[:3]) + (f"; and {len(faults) - 3} more" if len(faults) > 3 else "")
        raise ReadingCopyError(
            f"{shown} looks like {reading}, but {listed}. Students would be shown the wrong "
            "text there: add an unaltered copy."
        )
    return paras


def paragraph_faults(paras: list[str], reading: str, spec: dict) -> list[str]:
    """What is wrong with each cited paragraph, checked against its fingerprint; [] when all is well.

    Every phrase the tables quote from a paragraph must be in it, in the order the real text has
    them; a paragraph holding another's phrases was swapped or moved, one holding none was replaced.
    """
    order = fingerprints().get(reading, {})
    rows = spec["rows"]
    faults = []
    for number, _ in sorted({(n, None) for n, _ in rows.values()}):
        keys = order.get(str(number)) or sorted(k for k, (n, _) in rows.items() if n == number)
        phrases = [rows[k][1] for k in keys if k in rows and rows[k][0] == number]
        text = paras[number - 1]
        where = [text.find(p) for p in phrases]
        garbled = [m for m in MOJIBAKE if m in text]
        if garbled:
            faults.append(
                f"¶{number} is garbled (it holds {garbled[0]!r}: the file went through the wrong encoding)"
            )
        elif all(w < 0 for w in where):
            elsewhere = [
                i + 1 for i, other in enumerate(paras) if i + 1 != number and any(p in other for p in phrases)
            ]
            faults.append(
                f"¶{number} holds another paragraph's text (its own is at ¶{elsewhere[0]}: paragraphs swapped or moved)"
                if elsewhere
                else f"¶{number} does not hold the text the tables cite from it (replaced or rewritten)"
            )
        elif any(w < 0 for w in where):
            missing = sum(w < 0 for w in where)
            faults.append(
                f"¶{number} is damaged ({missing} of the {len(where)} phrases quoted from it are missing)"
            )
        elif str(number) in order and where != sorted(where):
            faults.append(f"¶{number} has its sentences out of order")
    return faults


def identify(text: str, shown: str) -> tuple[str, list[str]]:
    """Which reading ``text`` is, with its paragraphs; ReadingCopyError saying why it is none of them."""
    specs = expected()
    problems = []
    for reading, spec in specs.items():
        try:
            return reading, check(text, reading, spec, shown)
        except ReadingCopyError as exc:
            problems.append((reading, str(exc)))
    paras = [normalise(b) for b in split_blocks(text)]
    count = len(paras)
    same_size = [message for reading, message in problems if specs[reading]["paragraphs"] == count]
    if same_size:
        raise ReadingCopyError(same_size[0])
    for reading, spec in specs.items():  # the start of a reading, cut short?
        early = [(n, phrase) for n, phrase in spec["evidence"] if n < count]
        if (
            count < spec["paragraphs"]
            and len(early) >= 3
            and sum(phrase in paras[n - 1] for n, phrase in early) >= MIN_EVIDENCE_FOUND * len(early)
        ):
            raise ReadingCopyError(
                f"{shown} looks like {reading} cut short: it has {count} of its "
                f"{spec['paragraphs']} paragraphs. Add the whole file."
            )
    sizes = " and ".join(f"{r} has {s['paragraphs']}" for r, s in specs.items())
    raise ReadingCopyError(
        f"{shown} is not one of the workbook's readings: it has {count} "
        f"paragraph{'' if count == 1 else 's'} "
        f"(blocks separated by blank lines), but {sizes}."
    )


_CACHE: dict[tuple, list[str]] = {}


def _checked_paragraphs(path: Path, reading: str, spec: dict) -> list[str]:
    """A copy's paragraphs, checked; cached per file version (path, inode, size, time)."""
    try:
        info = os.stat(path)
        key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns, reading)
    except OSError:
        key = None
    if key in _CACHE:
        return _CACHE[key]
    paras = check(decode(_read_bytes(path), str(path)), reading, spec, str(path))
    if key is not None:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = paras
    return paras


def paragraphs(reading: str, folder: Path | None = None) -> list[str]:
    """All paragraphs of a reading, normalised (paragraph N is item N-1), from the first good copy.

    ReadingsNotFound when there is no copy; ReadingCopyError when every copy found is unusable.
    """
    specs = expected()
    if reading not in specs:
        raise KeyError(f"No reading {reading!r}: the readings are {', '.join(specs)}.")
    spec = specs[reading]
    folders = [Path(folder)] if folder is not None else candidate_folders()
    problem = None
    for place in folders:
        path = place / spec["file"]
        if not os.path.lexists(path):
            continue
        try:
            return _checked_paragraphs(path, reading, spec)
        except ReadingCopyError as exc:
            problem = problem or exc
    if problem is not None:
        raise problem
    raise ReadingsNotFound(where=folders, reading=reading)


def paragraph(reading: str, number: int, folder: Path | None = None) -> str:
    """The text of one paragraph (block) of a reading, normalised."""
    paras = paragraphs(reading, folder)
    if not 1 <= number <= len(paras):
        raise IndexError(f"{reading} has paragraphs 1 to {len(paras)}; there is no paragraph {number}.")
    return paras[number - 1]


# --------------------------------------------------------------------------- adding a copy


def add_reading_bytes(data: bytes, shown: str = "the file") -> str:
    """Check ``data`` as a copy of a reading and keep it in :func:`store_folder`; a message saying what happened."""
    if len(data) > MAX_BYTES:
        raise ReadingCopyError(
            f"{shown} is {len(data):,} bytes; a reading is well under {MAX_BYTES:,}, "
            "so this is not one of the readings."
        )
    reading, _ = identify(decode(data, shown), shown)
    spec = expected()[reading]
    folder = store_folder()
    target = folder / spec["file"]
    if os.path.lexists(target):
        try:
            if _read_bytes(target) == data:
                return f"{shown} is {reading}; that copy is already kept at {target}."
            _checked_paragraphs(target, reading, spec)
            return (
                f"{shown} is {reading}, but a good copy is already kept at {target}; it was left as it is "
                "(delete it first to replace it)."
            )
        except ReadingCopyError:
            pass  # the kept copy is unusable: replace it
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".adding-", suffix=".txt")
    except OSError as exc:
        raise ReadingCopyError(
            f"Cannot write to {folder} ({exc.strerror}); set WORKBOOK_READINGS to a folder you can write to."
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        os.unlink(temp)
        raise ReadingCopyError(f"Cannot keep the copy at {target} ({exc.strerror}).") from None
    return f"Added {reading} ({spec['paragraphs']} paragraphs, checked against the tables) at {target}."


def add_reading(path: str | Path) -> str:
    """Check the file at ``path`` as a copy of a reading and keep it where every kernel finds it."""
    path = Path(path).expanduser()
    return add_reading_bytes(_read_bytes(path), str(path))


def status() -> list[str]:
    """One line per reading: where its copy is, or why none can be used."""
    lines = []
    for reading in expected():
        try:
            paragraphs(reading)
        except (ReadingsNotFound, ReadingCopyError) as exc:
            why = "no copy" if isinstance(exc, ReadingsNotFound) else str(exc)
            lines.append(f"{reading}: {why}")
            continue
        spec = expected()[reading]
        where = next(f / spec["file"] for f in candidate_folders() if (f / spec["file"]).is_file())
        lines.append(f"{reading}: ok ({where})")
    return lines


def cmd_readings(args) -> int:
    """``workbook readings add FILE...`` / ``workbook readings where``."""
    from ._common import FAILED, OK, PARTLY, CliError, _say

    if args.action == "where":
        _say("Copies are looked for in: " + ", ".join(str(f) for f in candidate_folders()))
        for line in status():
            _say(line)
        return OK
    done = 0
    for name in args.files:
        try:
            _say(add_reading(name))
            done += 1
        except ReadingCopyError as exc:
            _say(f"Not added: {exc}")
    if not done:
        raise CliError("nothing was added.", FAILED)
    return OK if done == len(args.files) else PARTLY


if __name__ == "__main__":  # maintainers: rebuild the fingerprints from good copies of the readings
    good = {reading: paragraphs(reading) for reading in expected()}
    FINGERPRINTS.write_text(
        json.dumps(make_fingerprints(good), indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"wrote {FINGERPRINTS}")
