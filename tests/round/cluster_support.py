"""What tests/test_cluster.py runs on its Dask workers (which import it from tests/, put on
their PYTHONPATH, as the scheduler unpickling their tasks does): a grader with a bug that
kills its worker."""
import os

from autograder.round.cluster import grade_task

CRASHING_STUDENT = "gus"


def crash_on_gus(task):
    """grade_task, except that grading gus kills the worker (as a bug of the grader's own
    might)."""
    if task.student == CRASHING_STUDENT:
        os._exit(1)
    return grade_task(task)
