"""backproplab's autograder, in the order of its flow:

- ``course/``: the notebooks built from the templates and the solutions, and nbgrader's steps;
- ``sandbox/``: the student's code run in a contained child process;
- ``judging/``: the judge in the parent and everything every check shares (finite differences,
  the case tally, comparisons, the declared diagnosis kinds, the check specs and weights, the
  registry of assignments);
- ``assignments/<assignment>/<stem>.py``: everything the grader knows about one graded function;
- ``round/``: a grading round (reading submissions, grading a student and a class, the
  gradebook, feedback, reports and exports, Gradescope, the demo);
- ``similarity/``: code copied between students;
- ``cli.py``: the ``backproplab`` command.
"""
