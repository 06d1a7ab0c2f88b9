"""The grader of hw4_training: one module per graded function of
``solutions.ASSIGNMENTS["hw4_training"]``."""
