"""Keyboard, screen-reader and speed help for the explorers, done in the browser.

One small widget, :class:`Access`, sits (invisibly) in each explorer.  In the browser it

* keeps JupyterLab from taking the keys a control needs: every key pressed on a control inside
  the explorer stays there (arrows, letters typed ahead in a dropdown, digits in a value box), so
  none runs a single-key notebook command such as ``m`` (ipywidgets issue #3912).  Tab moves on,
  Escape leaves the control for its cell, and chords with Ctrl/Alt/Meta (and Shift+Enter) still
  reach the notebook;
* names the controls for assistive technology: each slider handle and dropdown gets its
  description as ``aria-label``, toggle buttons become a labelled group with ``aria-pressed``
  and arrow-key movement (one tab stop, as WAI-ARIA's toolbar pattern), the Play widget's
  icon-only buttons get "Play"/"Pause"/"Stop"/"Repeat"; text marked ``workbook-live`` (an
  explorer's result) is announced when it changes (``aria-live="polite"``);
* links a control to a chart's Vega-Lite param (:class:`Link`) so the chart answers in the
  browser, with no trip to the kernel: the slider moves, the chart's param changes, Vega repaints.

Only explorers built by ``workbook.widgets`` carry it; it sends nothing to the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import anywidget
import ipywidgets as W
import traitlets

#: Class given to an explorer's outer box: the region whose keys and names :class:`Access` looks after.
ROOT_CLASS = "workbook-explorer"
#: Class of the box the renderer puts a lone chart in (the chart and its "Show the data" table).
CHART_CLASS = "workbook-chart"


@dataclass(frozen=True)
class Link:
    """Drive ``param`` of ``chart`` from ``control`` in the browser.

    ``trait`` is the control's synced trait ("value" for sliders, "index" for dropdowns and
    toggle buttons); ``values`` turns an index into the param's value.
    """

    control: W.Widget
    chart: W.Widget
    param: str
    trait: str = "value"
    values: tuple | None = None

    def to_json(self) -> dict:
        return {
            "control": f"IPY_MODEL_{self.control.model_id}",
            "chart": f"IPY_MODEL_{self.chart.model_id}",
            "param": self.param,
            "trait": self.trait,
            "values": list(self.values) if self.values is not None else None,
        }


_ESM = r"""
const PLAY = {"fa-play": "Play", "fa-pause": "Pause", "fa-stop": "Stop", "fa-retweet": "Repeat"};

function labelOf(box) {
  const label = box.querySelector(":scope > .widget-label");
  return label ? label.textContent.trim().replace(/:$/, "") : "";
}

function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function decorate(root) {
  // Vega-embed's "..." menu (save as SVG/PNG, view the source) is a <summary> holding only an icon.
  for (const summary of root.querySelectorAll(".vega-embed details > summary")) {
    setAttr(summary, "aria-label", "Chart menu: save the chart as an image or view its source");
  }
  for (const live of root.querySelectorAll(".workbook-live")) setAttr(live, "aria-live", "polite");
  for (const box of root.querySelectorAll(".widget-slider")) {
    const name = labelOf(box);
    const readout = box.querySelector(".widget-readout");
    // Read the value as the readout shows it ("400"), not as a float ("399.99999999999994").
    const shown = readout ? readout.textContent.trim() : "";
    for (const handle of box.querySelectorAll(".noUi-handle")) {
      if (name) setAttr(handle, "aria-label", name);
      if (shown) setAttr(handle, "aria-valuetext", shown);
    }
    // The value box you can type into is a Tab stop: give it a name and a role.
    if (readout && readout.getAttribute("contenteditable") === "true") {
      setAttr(readout, "role", "textbox");
      if (name) setAttr(readout, "aria-label", name + " (type a value)");
    }
  }
  // ipywidgets writes a missing tooltip as the text "null".
  for (const el of root.querySelectorAll('[title="null"], [title="undefined"]')) el.removeAttribute("title");
  for (const box of root.querySelectorAll(".widget-dropdown, .widget-select")) {
    const select = box.querySelector("select");
    const name = labelOf(box);
    if (select && name) setAttr(select, "aria-label", name);
  }
  for (const box of root.querySelectorAll(".widget-toggle-buttons")) {
    const buttons = [...box.querySelectorAll("button")];
    const group = buttons.length ? buttons[0].parentElement : null;
    if (!group) continue;
    setAttr(group, "role", "group");
    const name = labelOf(box);
    if (name) setAttr(group, "aria-label", name);
    const active = buttons.find(b => b.classList.contains("mod-active")) || buttons[0];
    for (const b of buttons) {
      setAttr(b, "aria-pressed", b.classList.contains("mod-active") ? "true" : "false");
      setAttr(b, "tabindex", b === active ? "0" : "-1");
    }
    if (!group.dataset.workbookKeys) {
      group.dataset.workbookKeys = "1";
      group.addEventListener("keydown", event => moveInGroup(event, group));
    }
  }
  for (const box of root.querySelectorAll(".widget-play")) {
    setAttr(box, "role", "group");
    setAttr(box, "aria-label", "Play controls");
    for (const b of box.querySelectorAll("button")) {
      const icon = b.querySelector("i");
      const kind = icon ? [...icon.classList].find(c => PLAY[c]) : null;
      if (kind) {
        setAttr(b, "aria-label", PLAY[kind]);
        setAttr(b, "title", PLAY[kind]);
      }
      if (kind === "fa-retweet") setAttr(b, "aria-pressed", b.classList.contains("mod-active") ? "true" : "false");
    }
  }
}

function moveInGroup(event, group) {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const buttons = [...group.querySelectorAll("button")].filter(b => !b.disabled);
  const at = buttons.indexOf(document.activeElement);
  if (at < 0) return;
  let to = null;
  if (event.key === "ArrowRight" || event.key === "ArrowDown") to = (at + 1) % buttons.length;
  else if (event.key === "ArrowLeft" || event.key === "ArrowUp") to = (at - 1 + buttons.length) % buttons.length;
  else if (event.key === "Home") to = 0;
  else if (event.key === "End") to = buttons.length - 1;
  if (to === null) return;
  event.preventDefault();
  buttons[to].focus();
  buttons[to].click();
}

function guardKeys(root) {
  // JupyterLab's single-key commands (m: Markdown, a/b: new cell, x: cut, d d: delete, 1-6:
  // heading, o: hide output, Shift+M: merge ...) listen on the document, bubbling.  Every key
  // pressed inside a control stops here, after the control has used it (type-ahead in a
  // dropdown, digits in a value box), except:
  //  - Tab and Shift+Tab, which move on to the next control (no keyboard trap);
  //  - Escape, which leaves the control for its cell (the notebook's command mode): the way out;
  //  - chords with Ctrl, Alt or Meta, and Shift+Enter (run the cell), which stay the notebook's.
  root.addEventListener("keydown", event => {
    if (event.target === root) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Tab" || (event.shiftKey && event.key === "Enter")) return;
    event.stopPropagation();
    if (event.key === "Escape") {
      event.preventDefault();
      const cell = root.closest(".jp-Cell");
      const notebook = root.closest(".jp-Notebook");
      if (notebook) notebook.focus(); else if (event.target.blur) event.target.blur();
      if (cell) cell.scrollIntoView({block: "nearest"});
    }
  });
}

async function link(model, spec) {
  const manager = model.widget_manager;
  const control = await manager.get_model(spec.control.slice(10));
  const chart = await manager.get_model(spec.chart.slice(10));
  const push = () => {
    let value = control.get(spec.trait);
    if (spec.values) value = spec.values[value];
    const params = Object.assign({}, chart.get("_params") || {});
    if (params[spec.param] === value) return;
    params[spec.param] = value;
    chart.set("_params", params);
    chart.save_changes();
  };
  control.on("change:" + spec.trait, push);
  // The chart resets its params to the spec's values each time it is (re)drawn, which can happen
  // after the control was set from code: the control is the truth, so put its value back.
  // Later, not at once: the chart starts listening for param changes only after that reset.
  const later = () => setTimeout(push, 0);
  chart.on("change:_params", later);
  push();
  return () => { control.off("change:" + spec.trait, push); chart.off("change:_params", later); };
}

function whenAttached(el, then, tries = 200) {
  const root = el.closest("." + ROOT_CLASS + ", ." + CHART_CLASS);
  if (root) return then(root);
  if (tries > 0) setTimeout(() => whenAttached(el, then, tries - 1), 50);
}

const ROOT_CLASS = "%ROOT%";
const CHART_CLASS = "%CHART%";

export default {
  async render({ model, el }) {
    el.style.display = "none";
    const undo = [];
    for (const spec of model.get("links") || []) {
      try { undo.push(await link(model, spec)); } catch (error) { console.warn("workbook: link", error); }
    }
    let observer = null;
    whenAttached(el, root => {
      if (root.dataset.workbookAccess) return;
      root.dataset.workbookAccess = "1";
      guardKeys(root);
      let queued = false;
      const again = () => {
        if (queued) return;
        queued = true;
        requestAnimationFrame(() => { queued = false; decorate(root); });
      };
      observer = new MutationObserver(again);
      observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["class", "title"] });
      decorate(root);
    });
    return () => { undo.forEach(f => f()); if (observer) observer.disconnect(); };
  },
};
""".replace("%ROOT%", ROOT_CLASS).replace("%CHART%", CHART_CLASS)


#: Focus you can see, and controls that reflow (loaded once per page with the first Access).
#: - Focus: a 3 px outline in the workbook's blue (#0072B2, 5.2:1 on white; 2.4.7, 1.4.11),
#:   2 px off the control so it never hides the control's own edge.  Plain ``:focus`` (not
#:   ``:focus-visible``): a click shows it too, which does no harm and is never missing.
#: - Reflow (1.4.10): nothing wider than the output area; rows of controls wrap; a long
#:   description goes above its slider instead of pushing the slider off the screen; a chart
#:   scales down with its box like a picture (the text alternative under it reflows).
_CSS = """
:is(.%ROOT%, .%CHART%) :is(button, select, input, textarea, summary, a, [tabindex], [contenteditable="true"], .noUi-handle):focus {
  outline: 3px solid #0072B2 !important;
  outline-offset: 2px !important;
  box-shadow: none !important;
}
.%ROOT%, .%CHART% { max-width: 100%; box-sizing: border-box; }
.%ROOT% :is(.jupyter-widgets, .widget-inline-hbox, .widget-hbox, .widget-vbox) {
  max-width: calc(100% - 2 * var(--jp-widgets-margin, 2px)); min-width: 0;
}
.%ROOT% .widget-hbox, .%ROOT% .widget-inline-hbox { flex-wrap: wrap; }
.%ROOT% .widget-label, .%ROOT% .widget-label-basic { white-space: normal; max-width: 100%; height: auto; line-height: 1.3; }
.%ROOT% .widget-slider .slider-container { flex: 1 1 8em; min-width: 8em; }
.%ROOT% select { max-width: 100%; min-width: 0; }
.%ROOT% .widget-dropdown, .%ROOT% .widget-select { width: auto; }
.%ROOT% .widget-toggle-buttons .widget-toggle-button { width: auto; max-width: 100%; white-space: normal; height: auto; }
:is(.%ROOT%, .%CHART%) .vega-embed { max-width: 100%; }
:is(.%ROOT%, .%CHART%) .vega-embed :is(canvas, svg.marks) { max-width: 100%; height: auto !important; }
:is(.%ROOT%, .%CHART%) .widget-html-content { overflow-wrap: anywhere; max-width: 100%; }
""".replace("%ROOT%", ROOT_CLASS).replace("%CHART%", CHART_CLASS)


class Access(anywidget.AnyWidget):
    """Invisible helper in an explorer: guards keys, names controls, links controls to chart params."""

    _esm = _ESM
    _css = _CSS
    links = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, links: list[Link] = (), **kwargs):
        super().__init__(links=[link.to_json() for link in links], **kwargs)
        self.layout.display = "none"


def explorer_box(children: list[W.Widget], links: list[Link] = ()) -> W.VBox:
    """An explorer's outer box: ``children`` plus the :class:`Access` helper, marked as an explorer."""
    box = W.VBox([*children, Access(links)])
    box.add_class(ROOT_CLASS)
    return box
