"""The student's side of grading: a contained child process and the parent that drives it."""
