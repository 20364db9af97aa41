"""Seeing a graph: what to draw (`picture`), DOT and rendering (`graph`), derivations written out
(`explain`), and the step-through of the forward and backward pass (`steps`, `steps_page`,
`steps_animation`: an HTML page, a Jupyter widget, a GIF or MP4).

graphviz, Pillow, cairosvg and the browser are imported or started only where they are needed.
"""

from .explain import Derivation, explain
from .graph import GraphvizNotFoundError, draw_graph, save_graph
from .picture import Picture, plan_graph
from .steps import Steps, backprop_steps
from .steps_page import StepsPage, save_steps, show_steps

__all__ = [
    "Derivation",
    "GraphvizNotFoundError",
    "Picture",
    "Steps",
    "StepsPage",
    "backprop_steps",
    "draw_graph",
    "explain",
    "plan_graph",
    "save_graph",
    "save_steps",
    "show_steps",
]
