"""The grader of hw1_graphs: one module per graded function of
``solutions.ASSIGNMENTS["hw1_graphs"]``."""
