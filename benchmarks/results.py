"""Write one benchmark's section of RESULTS.md, leaving every other section as it is.

Each benchmark script owns the text between ``<!-- section:NAME -->`` and ``<!-- /section:NAME -->``;
a section that is not there yet is added at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(name: str, title: str, body: str, path: Path = RESULTS) -> None:
    block = f"<!-- section:{name} -->\n## {title}\n\n{body.strip()}\n<!-- /section:{name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
