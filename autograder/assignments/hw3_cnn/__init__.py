"""The grader of hw3_cnn: one module per graded function of
``solutions.ASSIGNMENTS["hw3_cnn"]``."""
