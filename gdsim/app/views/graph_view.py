"""GraphView: the computation graph of a Value expression (the chain-rule lesson) or of one
neuron of a small MLP (micrograd), each node a box with its data and grad, live.

The graph arrives as plain data in each Snapshot (``value.graph_data``), computed on the model
thread. The view adds one thing of its own: the backward pass walked one node at a time (B,
Shift+B, Escape), the node being reached highlighted with its chain rule in numbers, the nodes
the pass has not reached yet without a gradient.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QComboBox, QHBoxLayout, QSizePolicy, QToolButton

from .. import theme
from .base import PlotView

NEXT_KEY, BACK_KEY, ALL_KEY = "B", "Shift+B", "Escape"
def highlight() -> QColor:
    """The node the walk has reached, and the edges its gradient came along: drawn thick, in the
    theme's metric colour (apart from the gradients' own colour, and from the plain 1 px edges)."""
    return QColor(theme.METRIC)
WEIGHT_FILL_ALPHA = 45  # the weights a step updates are shaded in the training colour
RELAX_SWEEPS = 8
MIN_FONT_PX, MAX_FONT_PX = 7.0, 15.0
BAND_LINES = 2  # lines of text under the graph: the walk's equation, or what the shading means


def _num(x, digits: int = 4) -> str:
    """``x`` to ``digits`` significant digits; fewer than 4 (a narrow box) as short as they go:
    a short exponent, and 2.9e-4 rather than 0.00029."""
    if x is None:
        return "?"
    if digits >= 4:
        return f"{x:.{digits}g}"
    return min((_short_exponent(f"{x:.{digits}g}"), _short_exponent(f"{x:.{digits - 1}e}")), key=len)


def _short_exponent(text: str) -> str:
    """1.3e-05 as 1.3e-5, 1e+10 as 1e10."""
    mantissa, e, exponent = text.partition("e")
    if not e:
        return text
    sign = "-" if exponent.startswith("-") else ""
    return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"


def formula(node: dict, names: dict) -> str:
    """How a node was made, in its operands' names: ``a * b``, ``tanh(n)``; "" for a leaf."""
    op, kids = node["op"], [names[c] for c in node["children"]]
    if not op:
        return ""
    if op == "+" and len(kids) == 2:
        return f"{kids[0]} + {kids[1]}"
    if op == "*" and len(kids) == 2:
        return f"{kids[0]}*{kids[1]}"  # as the lesson writes it (e = a*b), and narrow
    if op.startswith("**"):
        return f"{kids[0]}{op}"
    return f"{op}({', '.join(kids)})"


# ----- where the boxes go ----------------------------------------------------------------------

def columns(graph: dict) -> dict[str, int]:
    """A column per node: the output rightmost (its ``depth``), every other node just left of the
    first node that uses it. So an edge rarely jumps a column (c sits beside e = a*b, as in
    micrograd's drawing), and a neuron's chain of sums becomes a staircase a few boxes high
    rather than a column of all its inputs and weights."""
    parents: dict[str, list[str]] = {}
    for n in graph["nodes"]:
        for c in n["children"]:
            parents.setdefault(c, []).append(n["id"])
    col: dict[str, int] = {}
    for n in reversed(graph["nodes"]):  # the root first: every user of a node comes before it
        users = parents.get(n["id"], [])
        col[n["id"]] = min(col[p] for p in users) - 1 if users else n["depth"]
    low = min(col.values())
    return {i: c - low for i, c in col.items()}


def rows(graph: dict, col: dict[str, int]) -> dict[str, float]:
    """A row per node (one row apart at least within a column), each near the nodes it is joined
    to: a few sweeps of moving every node to the mean of its neighbours, then spacing them out."""
    neighbours: dict[str, list[str]] = {n["id"]: [] for n in graph["nodes"]}
    for n in graph["nodes"]:
        for c in n["children"]:
            neighbours[n["id"]].append(c)
            neighbours[c].append(n["id"])
    by_col: dict[int, list[str]] = {}
    for n in graph["nodes"]:
        by_col.setdefault(col[n["id"]], []).append(n["id"])
    row = {}
    for ids in by_col.values():
        for i, node in enumerate(ids):
            row[node] = i - (len(ids) - 1) / 2
    order = sorted(by_col)
    for sweep in range(RELAX_SWEEPS):
        for c in order if sweep % 2 == 0 else reversed(order):
            ids = by_col[c]
            want = {i: float(np.mean([row[m] for m in neighbours[i]])) if neighbours[i] else row[i] for i in ids}
            ids.sort(key=lambda i: want[i])
            placed = [want[ids[0]]]
            for i in ids[1:]:
                placed.append(max(want[i], placed[-1] + 1.0))
            shift = float(np.mean([want[i] for i in ids]) - np.mean(placed))
            for i, y in zip(ids, placed):
                row[i] = y + shift
    top = min(row.values())
    return {i: y - top for i, y in row.items()}


# ----- the canvas item ---------------------------------------------------------------------------

class GraphItem(pg.GraphicsWidget):
    """The graph laid out for the size it is given and painted in one go: one item, however many
    nodes, and nothing made or destroyed per frame (``show`` only replaces what paint reads)."""

    def __init__(self):
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.graph: dict | None = None
        self.walk: int | None = None
        self.band: list[str] = []
        self._structure = None
        self._slots: tuple[dict, dict] = ({}, {})
        self._boxes: list = []  # (rect, fill, border pen, lines [(text, colour, bold)], those lines as painted)
        self._edges: list = []  # (path, pen, arrow polygon)
        self._band_rect = QRectF()
        self._font = QFont()
        self._band_font = QFont()

    def hoverEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph's name)
        """A box whose lines were cut short shows them whole as its tooltip."""
        tip = ""
        if not ev.isExit():
            for rect, _fill, _pen, lines, shown in self._boxes:
                if rect.contains(ev.pos()) and lines != shown:
                    tip = "\n".join(t for t, _, _ in lines)
                    break
        if tip != self.toolTip():
            self.setToolTip(tip)

    def show(self, graph: dict | None, walk: int | None, band: list[str]) -> None:
        self.graph, self.walk, self.band = graph, walk, band
        structure = None if graph is None else tuple((n["id"], tuple(n["children"])) for n in graph["nodes"])
        if structure != self._structure:
            self._structure = structure
            self._slots = ({}, {}) if graph is None else (lambda c: (c, rows(graph, c)))(columns(graph))
        self._layout()
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._layout()

    # Everything paint reads is worked out here, outside paint: an exception inside paint would
    # take the application down (PySide cannot report it).
    def _layout(self) -> None:
        self._boxes, self._edges = [], []
        graph = self.graph
        if not graph or not graph["nodes"]:
            return
        col, row = self._slots
        pal = QApplication.palette()
        text = pal.color(QPalette.ColorRole.Text)
        w, h = self.size().width(), self.size().height()
        app_font = QApplication.font()
        band_px = max(MIN_FONT_PX, min(12.0, h / 22))
        self._band_font = QFont(app_font)
        self._band_font.setPixelSize(int(band_px))
        wrapped = QFontMetricsF(self._band_font).boundingRect(
            QRectF(0, 0, max(1.0, w - 8), 10_000), int(Qt.TextFlag.TextWordWrap), "\n".join(self.band)).height()
        band_h = max(BAND_LINES * band_px * 1.35, wrapped) + 4
        self._band_rect = QRectF(4, h - band_h, w - 8, band_h)
        area = QRectF(4, 4, w - 8, max(10.0, h - band_h - 8))
        n_cols = max(col.values()) + 1
        n_rows = max(row.values()) + 1
        cw, rh = area.width() / n_cols, area.height() / n_rows
        bw, bh = cw * 0.78, min(rh * 0.88, cw * 0.9)
        lines_of = self._line_maker(graph, text)
        contents = self._contents(graph, text, lines_of)
        self._font, all_fit = self._fitted_font(app_font, contents, bw, bh)
        centre = {i: QPointF(area.left() + cw * (col[i] + 0.5), area.top() + rh * (row[i] + 0.5)) for i in col}
        rect = {i: QRectF(p.x() - bw / 2, p.y() - bh / 2, bw, bh) for i, p in centre.items()}
        self._edges = self._edge_shapes(graph, rect, text, bh)
        if all_fit:
            self._boxes = [(rect[n["id"]], *contents[n["id"]], contents[n["id"]][2]) for n in graph["nodes"]]
            return
        # A box too narrow for its lines at the smallest font shows its numbers to 3 significant
        # digits, then 2, then cuts a line short with an ellipsis (its tooltip has it whole). Painted
        # as it was, centred, such a line lost its first and last letters ("rad 1.22e-0").
        bold = QFont(self._font)
        bold.setBold(True)
        metrics = {False: QFontMetricsF(self._font), True: QFontMetricsF(bold)}
        room = max(1.0, bw - 4)

        widths = {}  # (text, bold) -> width: a box's name and formula are the same at any digits

        def fits(lines) -> bool:
            for t, _, b in lines:
                if (t, b) not in widths:
                    widths[t, b] = metrics[b].horizontalAdvance(t)
                if widths[t, b] > room:
                    return False
            return True

        for node in graph["nodes"]:
            fill, pen, lines = contents[node["id"]]
            shown = lines
            for digits in (3, 2):
                if fits(shown):
                    break
                shown = lines_of(node, digits)
            if not fits(shown):
                shown = [(metrics[b].elidedText(t, Qt.TextElideMode.ElideRight, room), c, b) for t, c, b in shown]
            self._boxes.append((rect[node["id"]], fill, pen, lines, shown))

    def _walk_state(self, graph):
        """(nodes the pass has reached, the node it is at): all and none outside the walk."""
        steps = graph["steps"]
        if self.walk is None or not steps:
            return None, None
        k = min(self.walk, len(steps) - 1)
        return {s["node"] for s in steps[:k + 1]}, steps[k]["node"]

    def _contents(self, graph, text: QColor, lines) -> dict:
        """Each node's fill, border and three lines (``lines``, from ``_line_maker``): its name and
        formula, data, grad."""
        current = self._walk_state(graph)[1]
        base = QApplication.palette().color(QPalette.ColorRole.AlternateBase)
        weight_fill = QColor(theme.TRAIN)
        weight_fill.setAlpha(WEIGHT_FILL_ALPHA)
        out = {}
        for n in graph["nodes"]:
            role = n.get("role", "weight" if not n["children"] else "inner")
            pen = QPen(highlight(), 3) if n["id"] == current else QPen(_alpha(text, 150), 1)
            fill = weight_fill if role in ("weight", "bias") else base
            if role == "input":
                pen.setStyle(Qt.PenStyle.DashLine)  # data, not a weight: no step changes it
            out[n["id"]] = (fill, pen, lines(n))
        return out

    def _line_maker(self, graph, text: QColor):
        """``lines(node, digits=4)``: a node's lines, its numbers to ``digits`` significant digits:
        its name and formula, data, grad."""
        reached = self._walk_state(graph)[0]
        names = {n["id"]: n["name"] for n in graph["nodes"]}
        quiet = QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        grad_colour = QColor(theme.ACTIVE.emphasis)

        def lines(n: dict, digits: int = 4) -> list:
            made = formula(n, names)
            head = f"{n['name']} = {made}" if made else n["name"]
            return [(head, text, True), (f"data {_num(n['value'], digits)}", text, False)] + \
                self._grad_lines(n, reached, grad_colour, quiet, digits)
        return lines

    @staticmethod
    def _grad_lines(n, reached, colour, quiet, digits: int) -> list:
        """The grad, "?" where the walk has not reached the node yet; for a leaf whose .grad piles
        up (zeroing off), also what it held before this pass and what this pass adds."""
        grad, this_pass = n["grad"], n["pass_grad"]
        earlier = None if this_pass is None else grad - this_pass  # what .grad held before this pass
        piles = not n["children"] and earlier is not None and earlier != 0.0
        if reached is not None and n["id"] not in reached:
            return [(f"grad {_num(earlier, digits)}", quiet, False), ("(earlier steps)", quiet, False)] if piles else \
                [("grad ?", quiet, False)]
        if piles:
            added = _num(this_pass, digits) if this_pass >= 0 else f"({_num(this_pass, digits)})"
            return [(f"grad {_num(grad, digits)}", colour, False),
                    (f"= {_num(earlier, digits)} + {added}", colour, False)]
        return [(f"grad {_num(grad, digits)}", colour, False)]

    @staticmethod
    def _fitted_font(app_font: QFont, contents: dict, bw: float, bh: float) -> tuple[QFont, bool]:
        """One size for every box: the most lines a box has fill its height, the widest line its
        width; and whether every line fits at that size (not when the smallest size is too wide)."""
        font = QFont(app_font)
        most = max(len(lines) for _, _, lines in contents.values())
        px = max(MIN_FONT_PX, min(MAX_FONT_PX, bh / (most + 0.7)))
        font.setPixelSize(int(px))
        bold = QFont(font)
        bold.setBold(True)
        widest = max(QFontMetricsF(bold if b else font).horizontalAdvance(t)
                     for _, _, lines in contents.values() for t, _, b in lines)
        if widest <= bw - 6:
            return font, True
        wanted = px * (bw - 6) / widest
        font.setPixelSize(int(max(MIN_FONT_PX, wanted)))
        return font, wanted >= MIN_FONT_PX

    def _edge_shapes(self, graph, rect, text: QColor, bh: float) -> list:
        """A curve from each operand's right side into its node's left side, with an arrowhead;
        in the walk, the edges the current node's gradient came back along are highlighted (the
        band's equation gives their numbers)."""
        _, current = self._walk_state(graph)
        into = {}
        for e in graph["edges"]:
            into.setdefault(e["node"], []).append(e)
        plain, lit = QPen(_alpha(text, 110), 1.2), QPen(highlight(), 2.5)
        shapes = []
        for parent, edges in into.items():
            target = rect[parent]
            edges = sorted(edges, key=lambda e: rect[e["child"]].center().y())  # no two cross at the node
            for k, e in enumerate(edges):
                src = rect[e["child"]]
                a = QPointF(src.right(), src.center().y())
                dy = (k - (len(edges) - 1) / 2) * min(bh * 0.3, target.height() / (len(edges) + 1))
                b = QPointF(target.left() - 1, target.center().y() + dy)
                bend = max(12.0, (b.x() - a.x()) * 0.45)
                path = QPainterPath(a)
                path.cubicTo(QPointF(a.x() + bend, a.y()), QPointF(b.x() - bend, b.y()), b)
                on = e["child"] == current
                size = 7.0 if on else 5.0
                arrow = QPolygonF([b, QPointF(b.x() - size, b.y() - size / 2), QPointF(b.x() - size, b.y() + size / 2)])
                shapes.append((path, lit if on else plain, arrow))
        shapes.sort(key=lambda s: s[1] is lit)  # the highlighted ones on top
        return shapes

    def paint(self, p: QPainter, *args) -> None:
        try:
            self._paint(p)
        except Exception:  # noqa: BLE001 (see _layout: nothing may leave paint)
            pass

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, theme.ANTIALIAS)
        text = QApplication.palette().color(QPalette.ColorRole.Text)
        for path, pen, arrow in self._edges:
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            p.setBrush(pen.color())
            p.drawPolygon(arrow)
        bold = QFont(self._font)
        bold.setBold(True)
        for rect, fill, pen, _lines, lines in self._boxes:
            p.setPen(pen)
            p.setBrush(fill)
            p.drawRoundedRect(rect, 4, 4)
            step = rect.height() / len(lines)
            for i, (line, colour, is_bold) in enumerate(lines):
                p.setFont(bold if is_bold else self._font)
                p.setPen(colour)
                p.drawText(QRectF(rect.left() + 2, rect.top() + i * step, rect.width() - 4, step),
                           Qt.AlignmentFlag.AlignCenter, line)
        if self.band:
            p.setFont(self._band_font)
            p.setPen(text)
            p.drawText(self._band_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                       | Qt.TextFlag.TextWordWrap, "\n".join(self.band))


def _alpha(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


# ----- the view ------------------------------------------------------------------------------------

class GraphView(PlotView):
    """The computation graph, live; a walk through its backward pass; for a neuron graph, the
    choice of neuron and example (sent to the model thread, ``neuron_chosen``)."""

    name = "graph"
    title = "Computation graph"
    heavy = True
    neuron_chosen = Signal(int, int, int)  # (layer, unit, example)
    choice_done = Signal()  # a choice was made in a list: the keyboard goes back to the run

    def __init__(self, parent=None):
        super().__init__(parent)
        self.graph: dict | None = None
        self.walk: int | None = None
        self.step = 0
        self.item = GraphItem()
        self.canvas.addItem(self.item)
        self._build_controls()

    def _build_controls(self) -> None:
        row = QHBoxLayout()
        row.setSpacing(4)
        self.neuron_box = QComboBox()
        self.neuron_box.setToolTip("Which neuron to draw: layer and neuron counted from 0, as in PyTorch's "
                                   "names (layers.1.weight[0, :] are the weights of layer 1's neuron 0)")
        self.example_box = QComboBox()
        self.example_box.setToolTip("Which training example the neuron is computed for: its inputs x are that "
                                    "example's values in the layer before, and its grads that example's share")
        for box in (self.neuron_box, self.example_box):
            # Narrow enough for a 1024-pixel screen; the open list shows the whole text.
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)
            box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            box.hide()  # until a run has neurons to choose from
            box.activated.connect(self._choice_made)
        self.back_button = self._button("<", self.walk_back, BACK_KEY,
                                        "One node back in the backward pass")
        self.next_button = self._button("Backward: next node >", self.walk_next, NEXT_KEY,
                                        "Walk the backward pass one node at a time, from the output: the node "
                                        "reached is highlighted with its chain rule in numbers; nodes not "
                                        "reached yet have no gradient yet")
        self.all_button = self._button("All", self.walk_end, ALL_KEY,
                                        "Leave the walk: every node with its gradient")
        for w in (self.neuron_box, self.example_box):
            row.addWidget(w, 1)
        row.addStretch(1)
        for w in (self.back_button, self.next_button, self.all_button):
            row.addWidget(w)
        self.layout().insertLayout(1, row)

    def _button(self, text, slot, key, tip) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(f"{tip} ({key})")
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys stay with the run (Space, Right, B)
        b.clicked.connect(slot)
        return b

    # ----- a run ----------------------------------------------------------------------------------

    def begin_run(self, info) -> None:
        super().begin_run(info)
        self.graph, self.walk = None, None
        neuron = info.graph == "neuron"
        for w in (self.neuron_box, self.example_box):
            w.setVisible(neuron)
        self.neuron_box.clear()
        self.example_box.clear()
        if neuron:
            for layer, units in info.neuron_layers:
                for unit in range(units):
                    self.neuron_box.addItem(f"layer {layer}, neuron {unit}", f"{layer},{unit}")
            for i, (x, y) in enumerate(zip(np.atleast_2d(info.x), info.y)):
                self.example_box.addItem(f"example {i}: x = {_vector(x)}, y = {_vector(y)}", i)
        self.title_label.setText(f"<b>{'Neuron graph' if neuron else self.title}</b>")
        self.item.show(None, None, [])
        self._enable_walk()

    def show_snapshot(self, snap, draw: bool = True) -> None:
        # The graph is all this view draws: a snapshot with the same graph leaves it as it is.
        if self.accepts(snap) and snap.graph == self.graph and self.graph is not None and snap.step == self.step:
            return
        super().show_snapshot(snap, draw)

    def ingest(self, snap) -> None:
        self.graph = snap.graph
        self.step = snap.step

    def draw(self) -> None:
        graph = self.graph
        if graph is None:
            self.item.show(None, None, [])
            return
        self._sync_choice(graph.get("about"))
        if self.walk is not None:
            self.walk = min(self.walk, len(graph["steps"]) - 1)
        self.title_label.setText(self._title(graph))
        self.item.show(graph, self.walk, self._band(graph))
        self._enable_walk()

    # ----- the walk -------------------------------------------------------------------------------

    def walk_next(self) -> None:
        """The next node of the backward pass; past the last one, every gradient at once."""
        if not self._walkable():
            return
        last = len(self.graph["steps"]) - 1
        self.walk = 0 if self.walk is None else (None if self.walk >= last else self.walk + 1)
        self._redraw()

    def walk_back(self) -> None:
        if not self._walkable() or self.walk is None:
            return
        self.walk = None if self.walk == 0 else self.walk - 1
        self._redraw()

    def walk_end(self) -> None:
        if self.walk is not None:
            self.walk = None
            self._redraw()

    def _walkable(self) -> bool:
        return self.graph is not None and bool(self.graph["steps"])

    def _redraw(self) -> None:
        self.undrawn = True
        self.draw_now()

    def _enable_walk(self) -> None:
        self.next_button.setEnabled(self._walkable())
        self.back_button.setEnabled(self.walk is not None)
        self.all_button.setEnabled(self.walk is not None)

    # ----- words ----------------------------------------------------------------------------------

    def _title(self, graph: dict) -> str:
        about = graph.get("about")
        if about is None:
            piling = any(not n["children"] and n["pass_grad"] is not None and n["grad"] != n["pass_grad"]
                         for n in graph["nodes"])
            piles = " Zeroing is off: a leaf's .grad is what it held before plus this pass." if piling else ""
            return (f"<b>Computation graph</b> at the weights after step {self.step}: {self.info.model_text}. "
                    f"grad: dL/d(node) in the backward pass of step {self.step + 1}.{piles}")
        target = ", ".join(f"{v:.4g}" for v in about["target"])
        pred = ", ".join(f"{v:.4g}" for v in about["prediction"])
        return (f"<b>Neuron graph</b>: layer {about['layer']}, neuron {about['unit']} for example {about['example']} "
                f"(target {target}, prediction {pred}) after step {self.step}")

    def _band(self, graph: dict) -> list[str]:
        steps = graph["steps"]
        if self.walk is None or not steps:
            about = graph.get("about")
            if about:
                return [f"grad: this example's share of dL/d(node) (the {about['examples']} examples' shares add up "
                        f"to the gradient of step {self.step + 1}); dL/do = {about['upstream']:.4g} comes from "
                        f"the loss through the layers after this one",
                        "shaded: the weights a step updates; dashed: the example's inputs; "
                        f"{NEXT_KEY}: walk the backward pass node by node"]
            return ["shaded: the weights a step updates; data: the node's value, grad: dL/d(node)",
                    f"{NEXT_KEY}: walk the backward pass node by node" if steps else ""]
        k = self.walk
        step = steps[k]
        node = next(n for n in graph["nodes"] if n["id"] == step["node"])
        lines = [f"Backward, node {k + 1} of {len(steps)}: {step['equation']}"]
        if not node["children"] and node["pass_grad"] is not None and node["grad"] != node["pass_grad"]:
            earlier = node["grad"] - node["pass_grad"]
            lines.append(f"{node['name']}.grad piles up: {earlier:.6g} (earlier passes) + {node['pass_grad']:.6g} "
                         f"= {node['grad']:.6g}")
        else:
            lines.append("")
        return lines

    # ----- choosing a neuron ----------------------------------------------------------------------

    def _choice_made(self, *_):
        layer, unit = (int(v) for v in self.neuron_box.currentData().split(","))
        example = self.example_box.currentData()
        self.neuron_chosen.emit(int(layer), int(unit), int(example))
        self.choice_done.emit()

    def _sync_choice(self, about) -> None:
        """The lists show what the graph shows (a choice may still be on its way to the model thread,
        and Reset or another run resolves it)."""
        if not about:
            return
        for box, data in ((self.neuron_box, f"{about['layer']},{about['unit']}"), (self.example_box, about["example"])):
            i = box.findData(data)
            if i >= 0 and i != box.currentIndex() and not box.view().isVisible():
                box.blockSignals(True)
                box.setCurrentIndex(i)
                box.blockSignals(False)

    # ----- for tests and screenshots ----------------------------------------------------------------

    def box_texts(self, painted: bool = False) -> dict[str, list[str]]:
        """Each node's lines by name: whole, or as painted (cut short where the box is too narrow)."""
        names = [n["name"] for n in self.graph["nodes"]] if self.graph else []
        return {name: [t for t, _, _ in box[4 if painted else 3]] for name, box in zip(names, self.item._boxes)}

    def current_node(self) -> str | None:
        if self.graph is None or self.walk is None:
            return None
        node = self.graph["steps"][self.walk]["node"]
        return next(n["name"] for n in self.graph["nodes"] if n["id"] == node)


def _vector(v) -> str:
    v = np.ravel(v)
    shown = ", ".join(f"{x:.3g}" for x in v[:6])
    return shown if len(v) == 1 else f"({shown}{', ...' if len(v) > 6 else ''})"

