"""The classes of sample students ``backproplab demo`` grades, one per assignment.

Every class has the same cast, each written for that assignment's functions: ada (the
reference), ben (right, written very differently), cleo (the notebook handed in untouched),
dev, eve and finn (realistic slips of that assignment), gus (a wrong answer, then cells that
try to earn its points without computing it) and hana (a file that is not a notebook). A
student's ``bugs`` names every function its description calls wrong, with the diagnosis kinds
the grader gives it; ``attacks`` names the function the cheating cells aim at.
"""
from . import hw1_graphs, hw2_layers, hw3_cnn, hw4_training
from .cast import CHEATING_CELLS
from .hw2_layers import EINSUM_AFFINE, EINSUM_AFFINE_BACKWARD, LOOPS_RELU, UNSTABLE_SOFTMAX

CLASSES = {"hw1_graphs": hw1_graphs.students, "hw2_layers": hw2_layers.students,
           "hw3_cnn": hw3_cnn.students, "hw4_training": hw4_training.students}

__all__ = ["CHEATING_CELLS", "CLASSES", "EINSUM_AFFINE", "EINSUM_AFFINE_BACKWARD", "LOOPS_RELU",
           "UNSTABLE_SOFTMAX", "demo_class"]


def demo_class(assignment="hw2_layers"):
    """The sample students of ``assignment`` (a list of Sample), fresh on every call."""
    if assignment not in CLASSES:
        raise ValueError(f"no demo class for {assignment!r}; there is one for "
                         f"{', '.join(CLASSES)}")
    return CLASSES[assignment]()
