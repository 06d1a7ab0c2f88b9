"""The grader of hw2_layers: one module per graded function of
``solutions.ASSIGNMENTS["hw2_layers"]``."""
