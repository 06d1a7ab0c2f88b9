from .rules import GraderOnly, grading, is_grading
from .reuse import functions_from_notebook
from .gradcheck import (CLOSE_TOL, PASS_TOL, GradientCheck, InputCheck, away_from_kinks,
                        distinct_values, gradient_check, rel_error, verdict)
from .selfcheck import InputReport, SelfCheck, check_function, check_layer, check_loss
from .data import Digits, load_digits, make_circles, make_moons, make_spirals
from .compgraph import Graph, lecture_example_graph
