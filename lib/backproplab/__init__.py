from .by_hand import check_by_hand
from .compgraph import Graph, lecture_example_graph
from .data import Digits, load_digits, make_circles, make_moons, make_spirals
from .gradcheck import (
    CLOSE_TOL,
    PASS_TOL,
    GradientCheck,
    InputCheck,
    away_from_kinks,
    distinct_values,
    gradient_check,
    rel_error,
    verdict,
)
from .reuse import functions_from_notebook
from .rules import GraderOnly, grading, is_grading
from .selfcheck import InputReport, SelfCheck, check_function, check_layer, check_loss

__all__ = [
    "CLOSE_TOL", "PASS_TOL", "Digits", "GradientCheck", "Graph", "GraderOnly", "InputCheck",
    "InputReport", "SelfCheck", "away_from_kinks", "check_by_hand", "check_function",
    "check_layer", "check_loss",
    "distinct_values", "functions_from_notebook", "gradient_check", "grading", "is_grading",
    "lecture_example_graph", "load_digits", "make_circles", "make_moons", "make_spirals",
    "rel_error", "verdict",
]
