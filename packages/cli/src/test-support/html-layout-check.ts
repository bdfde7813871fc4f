/** One layout problem found in the rendered page. */
export interface LayoutProblem {
  /** What is wrong: a text box outside its box, a clipped box, or two labels overlapping. */
  kind: "overflow" | "clipped" | "overlap" | "pageOverflow";
  /** The element(s) and text involved. */
  detail: string;
}

/** What {@link HTML_LAYOUT_CHECK} returns. */
export interface LayoutCheckResult {
  /** Text boxes measured. */
  textBoxes: number;
  /** Problems found (empty when the layout is clean). */
  problems: LayoutProblem[];
  /** `document.documentElement.scrollWidth` and the viewport width. */
  scrollWidth: number;
  /** Viewport width, CSS px. */
  viewportWidth: number;
}

/**
 * An expression evaluated in the rendered page (a {@link LayoutCheckResult}).
 * Every visible text node (not hidden, not in a closed `<details>`) is measured with `Range.getClientRects()`:
 * - overflow: a line box leaves the element that lays it out (its nearest
 *   non-inline ancestor) or the viewport, by more than 1 px;
 * - clipped: an element that hides overflow holds wider or taller content;
 * - overlap: line boxes of two different text nodes intersect by more than
 *   1 px both ways (a label drawn over another);
 * - pageOverflow: the page scrolls sideways.
 * Canvas text (uPlot's axes) is not in the DOM: uPlot spaces it itself.
 */
export const HTML_LAYOUT_CHECK = String.raw`(() => {
  const viewportWidth = document.documentElement.clientWidth;
  const problems = [];
  const name = (node) => node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") + (typeof node.className === "string" && node.className ? "." + node.className.trim().split(/\s+/).join(".") : "");
  const layoutBox = (node) => {
    let current = node;
    while (current && current !== document.body) {
      const display = getComputedStyle(current).display;
      if (display !== "inline" && display !== "contents") return current;
      current = current.parentElement;
    }
    return document.body;
  };
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode;
    const content = text.textContent.trim();
    const parent = text.parentElement;
    if (content === "" || parent === null || parent.closest("script,style,select,option")) continue;
    const style = getComputedStyle(parent);
    // Not rendered: hidden, display none, or inside a closed <details> (Chromium keeps boxes there, content-visibility hidden).
    if (style.visibility === "hidden" || parent.getClientRects().length === 0 || parent.closest("details:not([open]) > :not(summary)")) continue;
    if (typeof parent.checkVisibility === "function" && !parent.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true })) continue;
    const range = document.createRange();
    range.selectNodeContents(text);
    const rects = Array.from(range.getClientRects()).filter((rect) => rect.width > 0.5 && rect.height > 0.5);
    const container = layoutBox(parent);
    const outer = container.getBoundingClientRect();
    for (const rect of rects) {
      if (rect.left < outer.left - 1 || rect.right > outer.right + 1 || rect.left < -1 || rect.right > viewportWidth + 1) {
        problems.push({ kind: "overflow", detail: name(container) + " [" + Math.round(outer.left) + "," + Math.round(outer.right) + "] holds '" + content.slice(0, 60) + "' at [" + Math.round(rect.left) + "," + Math.round(rect.right) + "]" });
      }
      boxes.push({ rect, text, content });
    }
  }
  for (const element of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(element);
    const hides = (value) => value === "hidden" || value === "clip";
    if (element.getClientRects().length === 0 || element.closest(".uplot") || element.closest("details:not([open]) > :not(summary)")) continue;
    if ((hides(style.overflowX) && element.scrollWidth > element.clientWidth + 1) || (hides(style.overflowY) && element.scrollHeight > element.clientHeight + 1)) {
      problems.push({ kind: "clipped", detail: name(element) + " content " + element.scrollWidth + "×" + element.scrollHeight + " in " + element.clientWidth + "×" + element.clientHeight });
    }
  }
  boxes.sort((a, b) => a.rect.top - b.rect.top);
  for (let index = 0; index < boxes.length; index++) {
    const a = boxes[index];
    for (let other = index + 1; other < boxes.length && boxes[other].rect.top < a.rect.bottom - 1; other++) {
      const b = boxes[other];
      if (a.text === b.text) continue;
      const width = Math.min(a.rect.right, b.rect.right) - Math.max(a.rect.left, b.rect.left);
      const height = Math.min(a.rect.bottom, b.rect.bottom) - Math.max(a.rect.top, b.rect.top);
      if (width > 1 && height > 1) problems.push({ kind: "overlap", detail: "'" + a.content.slice(0, 40) + "' overlaps '" + b.content.slice(0, 40) + "'" });
    }
  }
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > viewportWidth + 1) problems.push({ kind: "pageOverflow", detail: "page is " + scrollWidth + " px wide in a " + viewportWidth + " px viewport" });
  return { textBoxes: boxes.length, problems, scrollWidth, viewportWidth };
})()`;

/**
 * An expression evaluated in the rendered report: the axis labels uPlot draws
 * on its canvases (not in the DOM) checked the same way. For every chart in
 * `window.tickscopeCharts`: a y axis is wide enough for its widest tick label
 * (tick + gap + text ≤ the axis size; the axis title has its own band), and
 * neighbouring x tick labels do not overlap. Returns the problems found.
 */
export const HTML_AXIS_LABEL_CHECK = String.raw`(() => {
  const context = document.createElement("canvas").getContext("2d");
  const problems = [];
  (window.tickscopeCharts || []).forEach((chart, chartIndex) => {
    chart.axes.forEach((axis, axisIndex) => {
      if (!axis.show || !axis._values) return;
      context.font = axis.font[0];
      const values = axis._values.map((value) => (value === null || value === undefined ? "" : String(value)));
      const widths = values.map((value) => context.measureText(value).width / devicePixelRatio);
      const tick = axis.ticks && axis.ticks.show ? axis.ticks.size : 0;
      if (axis.side === 1 || axis.side === 3) {
        const needed = tick + axis.gap + Math.max(0, ...widths);
        if (needed > axis._size + 1) problems.push("chart " + chartIndex + " axis " + axisIndex + ": labels need " + Math.ceil(needed) + " px, axis is " + axis._size + " px");
      } else {
        const positions = axis._splits.map((split) => chart.valToPos(split, axis.scale));
        for (let index = 1; index < positions.length; index++) {
          if (values[index] === "" || values[index - 1] === "") continue;
          const room = Math.abs(positions[index] - positions[index - 1]);
          if (room < (widths[index] + widths[index - 1]) / 2 + 2) problems.push("chart " + chartIndex + " axis " + axisIndex + ": '" + values[index - 1] + "' and '" + values[index] + "' overlap");
        }
      }
    });
  });
  return problems;
})()`;
