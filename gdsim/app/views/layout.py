"""How the views sit together: the window and a figure for --plot-out use the same layout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

# The loss and the predictions share the top (the loss a little wider), the gradients the bottom.
TOP_SIZES = (600, 480)
ROWS = (430, 430)
# With a graph the top row gets more of the height (the graph's boxes need it). The expression's
# graph takes the predictions' place (it shows L itself); a neuron's graph (seven columns of boxes)
# takes most of the row, the loss and predictions stacked beside it.
GRAPH_ROWS = (500, 360)
GRAPH_SHARE = {"expression": (400, 680), "neuron": (330, 750)}
# A multi-class run's predictions (the confusion matrix, the chosen image, a cell's images) take
# most of the top row and a little more of the height.
MULTICLASS_TOP_SIZES = (380, 700)
MULTICLASS_ROWS = (470, 390)


def layout_kind(info):
    """What decides the views' layout: the run's graph, and whether its predictions are a
    multi-class panel. The window lays its views out again only when this changes."""
    if info is None:
        return None
    return info.graph, info.task == "multiclass" and info.graph is None


def arranged(loss, predictions, gradients, graph=None) -> QSplitter:
    """A vertical splitter: the loss and predictions views (and the graph view, when there is
    one) side by side above the gradients view."""
    pair = QSplitter(Qt.Orientation.Horizontal)
    pair.addWidget(loss)
    pair.addWidget(predictions)
    pair.setSizes(list(TOP_SIZES))
    top = QSplitter(Qt.Orientation.Horizontal)
    top.addWidget(pair)
    views = QSplitter(Qt.Orientation.Vertical)
    views.addWidget(top)
    views.addWidget(gradients)
    views.setSizes(list(ROWS))
    if graph is not None:
        add_graph(views, graph)
    return views


def add_graph(views: QSplitter, graph) -> None:
    """The graph view beside the loss and predictions of ``views`` (``arranged``), hidden until
    a run has a graph (``fit_to_run``)."""
    views.widget(0).addWidget(graph)
    graph.hide()


def fit_to_run(views: QSplitter, info, predictions, graph) -> None:
    """Show the graph view for a run that has a graph (RunInfo.graph), hide it for one that has
    not, and give the top row's views their room."""
    top = views.widget(0)
    pair = top.widget(0)
    kind = info.graph if info is not None else None
    graph.setVisible(kind is not None)
    predictions.setVisible(kind != "expression")
    pair.setOrientation(Qt.Orientation.Vertical if kind == "neuron" else Qt.Orientation.Horizontal)
    pair.setSizes([1, 1] if kind == "neuron" else list(TOP_SIZES))
    multiclass = info is not None and info.task == "multiclass"
    if kind is None:
        top.setSizes([1, 0])
        views.setSizes(list(MULTICLASS_ROWS if multiclass else ROWS))
        pair.setSizes(list(MULTICLASS_TOP_SIZES if multiclass else TOP_SIZES))
    else:
        top.setSizes(list(GRAPH_SHARE[kind]))
        views.setSizes(list(GRAPH_ROWS))
