"""Grade one written question across every submission: rubric items, reusable comments, the machine's flags.

In a notebook in the course folder (JupyterLab, instructor's environment)::

    from workbook.course.by_question import grade_by_question
    grade_by_question("ex02_one_percent", "ex02-q5-written")

Keys (click the grader once so it has the keyboard focus): ``1``–``9`` tick or untick a rubric item,
``0`` records zero points, ``c`` writes a comment (``Esc`` to finish), ``Shift+1``–``Shift+9`` reuse a
comment written before, ``n``/``j``/``→`` next answer, ``p``/``k``/``←`` previous, ``f`` cycles the
filter (all, flagged, not yet graded).

Scores and comments go into nbgrader's gradebook (``Grade.manual_score``, ``Comment.manual_comment``),
so Formgrader, ``generate_feedback`` and ``export`` see them. The rubric starts from the question's
mark scheme and is kept with the ticks in ``grading/<exercise>/<grade_id>.json`` in the course
folder; change an item's points (``GradingSession.set_item``, or the points box beside it) and every
answer already graded is scored again.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..written_check import Sources, check_answer, read_notebook, written_cells

FILTERS = ("all", "flagged", "not yet graded")


def mark_scheme_items(source: str) -> list[dict]:
    """The rubric items of a mark scheme: lines such as ``- 1 point: states that ...`` (continued lines joined)."""
    items, current = [], None
    for line in source.splitlines():
        m = re.match(r"^\s*[-*]\s*(\d+(?:\.\d+)?)\s*points?\s*[:.]\s*(.*)$", line)
        if m:
            current = {"id": f"i{len(items) + 1}", "points": float(m.group(1)), "text": m.group(2).strip()}
            items.append(current)
        elif (
            current is not None
            and line.startswith("  ")
            and line.strip()
            and not line.strip().startswith("#")
        ):
            current["text"] += " " + line.strip()
        else:
            current = None
    return items


def _atomic_write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, ensure_ascii=False)
    os.replace(temp, path)


@dataclass
class Answer:
    student: str
    text: str
    flags: list


class GradingSession:
    """One question of one assignment, across every submission in the gradebook; no user interface."""

    def __init__(self, course: str | Path, assignment: str, grade_id: str, sources: Sources | None = None):
        from .commands import _config, _db_url
        from .grades_export import tools_on_path

        self.course = Path(course).resolve()
        self.assignment, self.grade_id = assignment, grade_id
        tools_on_path()
        self.db_url = _db_url(self.course)
        self.course_id = str(_config(self.course).CourseDirectory.get("course_id") or "default_course")
        source_path, cell, prompt = self._source_cell()
        self.notebook = source_path.stem
        self.max_score = float(cell["metadata"]["nbgrader"].get("points", 0))
        self.prompt = prompt
        self.state_path = self.course / "grading" / assignment / f"{grade_id}.json"
        self.state = self._load_state(cell)
        sources = sources or Sources()
        self.answers = [
            Answer(
                student, text, check_answer(text, prompt, sources=sources, metadata=cell["metadata"]).flags
            )
            for student, text in self._student_answers()
        ]

    # -- reading the course
    def _source_cell(self):
        folder = self.course / "source" / self.assignment
        for path in sorted(folder.glob("*.ipynb")):
            for cell, prompt in written_cells(read_notebook(path)):
                if cell["metadata"]["nbgrader"].get("grade_id") == self.grade_id:
                    return path, cell, prompt
        raise ValueError(f"{self.assignment} has no manually graded cell {self.grade_id!r} in {folder}.")

    def _student_answers(self) -> list[tuple[str, str]]:
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, self.course_id) as gb:
            students = sorted(s.student.id for s in gb.find_assignment(self.assignment).submissions)
        out = []
        for student in students:
            text = ""
            for stage in ("autograded", "submitted"):
                path = self.course / stage / student / self.assignment / f"{self.notebook}.ipynb"
                if path.is_file():
                    for cell in read_notebook(path)["cells"]:
                        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == self.grade_id:
                            src = cell.get("source", "")
                            text = "".join(src) if isinstance(src, list) else src
                    break
            out.append((student, text))
        return out

    def _load_state(self, cell) -> dict:
        if self.state_path.is_file():
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        return {"items": mark_scheme_items(text), "answers": {}, "comments": []}

    def save(self) -> None:
        _atomic_write(self.state_path, self.state)

    # -- scores
    def graded(self, student: str) -> bool:
        return student in self.state["answers"]

    def score(self, student: str) -> float | None:
        mine = self.state["answers"].get(student)
        if mine is None:
            return None
        points = {i["id"]: i["points"] for i in self.state["items"]}
        total = sum(points.get(i, 0.0) for i in mine["items"])
        return max(0.0, min(self.max_score, total))

    def _push(self, students: list[str]) -> None:
        """Write these students' scores and comments into nbgrader's gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, self.course_id) as gb:
            for student in students:
                mine = self.state["answers"].get(student)
                if mine is None:
                    continue
                grade = gb.find_grade(self.grade_id, self.notebook, self.assignment, student)
                grade.manual_score = self.score(student)
                grade.needs_manual_grade = False
                comment = gb.find_comment(self.grade_id, self.notebook, self.assignment, student)
                comment.manual_comment = mine.get("comment") or None
            gb.db.commit()

    def _entry(self, student: str) -> dict:
        return self.state["answers"].setdefault(student, {"items": [], "comment": ""})

    def toggle(self, student: str, number: int) -> None:
        """Tick or untick rubric item ``number`` (1-based) for one student's answer."""
        if not 1 <= number <= len(self.state["items"]):
            return
        item = self.state["items"][number - 1]["id"]
        mine = self._entry(student)
        mine["items"] = (
            [i for i in mine["items"] if i != item] if item in mine["items"] else mine["items"] + [item]
        )
        self.save()
        self._push([student])

    def zero(self, student: str) -> None:
        """Record the answer as graded with no rubric item (0 points)."""
        self._entry(student)["items"] = []
        self.save()
        self._push([student])

    def set_comment(self, student: str, text: str) -> None:
        """Set a comment; every comment written is kept for reuse."""
        text = text.strip()
        self._entry(student)["comment"] = text
        if text and text not in self.state["comments"]:
            self.state["comments"].append(text)
        self.save()
        self._push([student])

    def reuse_comment(self, student: str, number: int) -> None:
        if 1 <= number <= len(self.state["comments"]):
            self.set_comment(student, self.state["comments"][number - 1])

    def set_item(self, number: int, points: float | None = None, text: str | None = None) -> None:
        """Change a rubric item; every answer already graded follows (its score is recomputed and saved)."""
        item = self.state["items"][number - 1]
        if points is not None:
            item["points"] = float(points)
        if text is not None:
            item["text"] = text
        self.save()
        self._push(list(self.state["answers"]))

    def add_item(self, text: str, points: float) -> None:
        self.state["items"].append(
            {"id": f"i{len(self.state['items']) + 1}", "points": float(points), "text": text}
        )
        self.save()

    def visible(self, filter_name: str) -> list[int]:
        """Indexes of the answers a filter keeps."""
        keep = []
        for n, answer in enumerate(self.answers):
            if filter_name == "flagged" and not answer.flags:
                continue
            if filter_name == "not yet graded" and self.graded(answer.student):
                continue
            keep.append(n)
        return keep

    def view(self, index: int, position: int, count: int, filter_name: str) -> dict:
        """What the widget shows for one answer."""
        answer = self.answers[index] if 0 <= index < len(self.answers) else None
        mine = self.state["answers"].get(answer.student, {}) if answer else {}
        return {
            "question": self.grade_id,
            "prompt": self.prompt,
            "max_score": self.max_score,
            "filter": filter_name,
            "position": position,
            "count": count,
            "student": answer.student if answer else "",
            "text": answer.text if answer else "",
            "flags": [{"kind": f.kind, "text": f.text, "detail": f.detail} for f in answer.flags]
            if answer
            else [],
            "items": [dict(i, ticked=i["id"] in mine.get("items", [])) for i in self.state["items"]],
            "score": self.score(answer.student) if answer else None,
            "comment": mine.get("comment", ""),
            "comments": list(self.state["comments"]),
            "graded": sum(1 for a in self.answers if self.graded(a.student)),
            "total": len(self.answers),
        }


_ESM = r"""
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function render({ model, el: root }) {
  const box = el("div", { class: "wb-bq", tabindex: "0", role: "application",
    "aria-label": "Grade by question. Keys: 1 to 9 rubric items, 0 zero, c comment, Shift+1 to 9 reuse a comment, n next, p previous, f filter" });
  root.appendChild(box);
  const send = (msg) => model.send(msg);
  function draw() {
    const v = model.get("view");
    box.replaceChildren();
    const head = el("div", { class: "wb-bq-head" });
    head.append(el("strong", {}, v.question + " "),
      el("span", { class: "wb-bq-pos", "aria-live": "polite" },
        v.count ? `answer ${v.position + 1} of ${v.count} (${v.student})` : "no answer in this filter"),
      el("span", {}, ` · filter: ${v.filter} · graded ${v.graded}/${v.total}`));
    box.append(head);
    box.append(el("div", { class: "wb-bq-answer", style: "white-space: pre-wrap; border: 1px solid #888; padding: 6px; margin: 4px 0" }, v.text || "(no answer)"));
    const flags = el("ul", { class: "wb-bq-flags", "aria-label": "machine flags" });
    for (const f of v.flags) flags.append(el("li", { class: "wb-bq-flag" }, `${f.kind}: ${f.text} (${f.detail})`));
    if (!v.flags.length) flags.append(el("li", {}, "no machine flags"));
    box.append(flags);
    const rubric = el("fieldset", { class: "wb-bq-rubric" });
    rubric.append(el("legend", {}, `Rubric: ${v.score === null ? "not graded" : v.score} / ${v.max_score}`));
    v.items.forEach((item, i) => {
      const label = el("label", { class: "wb-bq-item" });
      const cb = el("input", { type: "checkbox", "data-item": String(i + 1) });
      cb.checked = item.ticked;
      cb.addEventListener("change", () => send({ action: "toggle", item: i + 1 }));
      const pts = el("input", { type: "number", step: "0.5", value: String(item.points), "aria-label": `points of item ${i + 1}`, style: "width: 4em" });
      pts.addEventListener("change", () => send({ action: "points", item: i + 1, points: Number(pts.value) }));
      label.append(cb, el("span", {}, ` [${i + 1}] `), pts, el("span", {}, ` ${item.text}`));
      rubric.append(label, el("br"));
    });
    box.append(rubric);
    const comment = el("textarea", { class: "wb-bq-comment", rows: "2", cols: "80", "aria-label": "comment to the student (c)" });
    comment.value = v.comment;
    comment.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Escape") { e.preventDefault(); send({ action: "comment", text: comment.value }); box.focus(); }
    });
    comment.addEventListener("blur", () => { if (comment.value !== v.comment) send({ action: "comment", text: comment.value }); });
    box.append(comment);
    const saved = el("ol", { class: "wb-bq-saved", "aria-label": "comments to reuse (Shift+number)" });
    v.comments.forEach((c, i) => saved.append(el("li", {}, `⇧${i + 1}: ${c}`)));
    box.append(saved);
    const nav = el("div", {});
    const prev = el("button", { type: "button" }, "← previous (p)");
    prev.addEventListener("click", () => send({ action: "move", step: -1 }));
    const next = el("button", { type: "button" }, "next (n) →");
    next.addEventListener("click", () => send({ action: "move", step: 1 }));
    nav.append(prev, next);
    box.append(nav);
  }
  box.addEventListener("keydown", (e) => {
    if (e.target.tagName === "TEXTAREA" || (e.target.tagName === "INPUT" && e.target.type === "number")) return;
    const digit = /^Digit([0-9])$/.exec(e.code);
    let handled = true;
    if (digit && e.shiftKey) send({ action: "reuse", comment: Number(digit[1]) });
    else if (digit && digit[1] === "0") send({ action: "zero" });
    else if (digit) send({ action: "toggle", item: Number(digit[1]) });
    else if (["n", "j", "ArrowRight"].includes(e.key)) send({ action: "move", step: 1 });
    else if (["p", "k", "ArrowLeft"].includes(e.key)) send({ action: "move", step: -1 });
    else if (e.key === "f") send({ action: "filter" });
    else if (e.key === "c") { const t = box.querySelector("textarea"); t.focus(); }
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); }
  });
  model.on("change:view", () => { const had = box.contains(document.activeElement) || document.activeElement === box; draw(); if (had) box.focus(); });
  draw();
}
export default { render };
"""


def grade_by_question(assignment: str, grade_id: str, course: str | Path = "."):
    """The grading widget for one question of an assignment (run in the course folder's JupyterLab)."""
    import anywidget
    import traitlets

    session = GradingSession(course, assignment, grade_id)

    class GradeByQuestion(anywidget.AnyWidget):
        _esm = _ESM
        view = traitlets.Dict().tag(sync=True)

    widget = GradeByQuestion()
    where = {"filter": "all", "pos": 0}

    def refresh():
        keep = session.visible(where["filter"])
        where["pos"] = max(0, min(where["pos"], len(keep) - 1))
        index = keep[where["pos"]] if keep else -1
        widget.view = session.view(index, where["pos"], len(keep), where["filter"])
        return keep, index

    def on_msg(_widget, msg, _buffers):
        keep, index = refresh()
        student = session.answers[index].student if index >= 0 else None
        action = msg.get("action")
        if action == "move":
            where["pos"] += int(msg.get("step", 1))
        elif action == "filter":
            where["filter"] = FILTERS[(FILTERS.index(where["filter"]) + 1) % len(FILTERS)]
            where["pos"] = 0
        elif action == "points":
            session.set_item(int(msg["item"]), points=float(msg["points"]))
        elif student is None:
            pass
        elif action == "toggle":
            session.toggle(student, int(msg["item"]))
        elif action == "zero":
            session.zero(student)
        elif action == "comment":
            session.set_comment(student, str(msg.get("text", "")))
        elif action == "reuse":
            session.reuse_comment(student, int(msg["comment"]))
        refresh()

    widget.on_msg(on_msg)
    refresh()
    widget.session = session
    return widget
