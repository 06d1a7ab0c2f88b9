"""The same code gets the same score, whoever hands it in.

Every submission of the grading corpora of all four assignments (the reference included) is
judged under 14 student ids: the hidden numbers change with the id, the behaviours a case
exercises must not, so every function's score and the kinds of its diagnoses must be the
same for every id. Each submission's contained process is started once and judged 20 times
(the seed only changes the judge's inputs); only the functions a submission changes (and
their forward/backward partner) are judged, the reference covers the rest.
"""
import ast
import shutil
from concurrent.futures import ProcessPoolExecutor

import pytest
from support import ROOT, corpus

import solutions
from autograder.judging.by_hand import cases
from autograder.judging.registry import checks_of, modules
from autograder.round.demo_classes import demo_class
from autograder.round.grading import course_secret, judge_functions, read_submission, student_seed
from autograder.round.samples import Sample, write_submission
from autograder.sandbox.runner import Limits, StudentProcess

IDS = [f"s{i:03d}" for i in range(10)] + ["Ada Lovelace", "x", "=1+1", "a,b"]
LIMITS = Limits(cell_seconds=4, call_seconds=4, student_seconds=10**6,
                max_restarts_total=10**6)
# Submissions whose point is to hang or to attack: their outcome depends on no number, and
# each of their timeouts would cost 20 calls here. The attack suite grades them.
NOT_COMPUTING = {"hostile"}


def corpora():
    """{assignment: [Sample]}: every corpus (the CORPUS of every test module of
    tests/assignments/), plus the reference of each assignment and the three demo students
    hw2's grading corpus has always held."""
    found = {a: [Sample("reference", "the reference")] for a in solutions.ASSIGNMENTS}
    found["hw2_layers"] += [s for s in demo_class("hw2_layers")
                            if s.student in ("ada", "ben", "cleo")]
    for assignment, samples in found.items():
        samples += [s for s in corpus(assignment, demo=False)
                    if s.student not in NOT_COMPUTING and not s.raw]
    return found


def partner(name):
    for a, b in (("_forward", "_backward"), ("_backward", "_forward")):
        if name.endswith(a):
            return name[: -len(a)] + b
    return name


def by_hand_cases_of(assignment):
    """The by-hand answers of ``assignment`` (a by-hand answer changed judges its backward)."""
    return cases(modules(assignment))


def changed_functions(sample, assignment):
    """The graded names whose code differs from the reference in ``sample``, with partners."""
    graded = solutions.ASSIGNMENTS[assignment]
    if sample.student == "reference" or sample.all_blank:
        return list(graded)
    names = set(sample.answers) | set(sample.blank)
    for cell in sample.extra_cells:
        try:
            names |= {n.name for n in ast.parse(cell).body
                      if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        except SyntaxError:
            return list(graded)
    names |= {partner(n) for n in names}
    names |= {case.backward for case in by_hand_cases_of(assignment) if case.variable in names}
    return [n for n in graded if n in names]


def judged_under_every_id(course, assignment, sample):
    """{function: {(score, diagnosis kinds): [ids]}} for one submission."""
    submission = read_submission(course, assignment, sample.student)
    names = changed_functions(sample, assignment)
    outcomes = {name: {} for name in names}
    with StudentProcess(submission.cells, LIMITS) as proc:
        for student in IDS:
            seed = student_seed(course, assignment, student)
            reports = judge_functions(proc, seed, checks_of(assignment), submission.points,
                                      submission.readable, {}, names)
            for name, report in reports.items():
                kinds = tuple(sorted({c["kind"] for c in report["checks"]
                                      if c["score"] < c["max_score"] - 1e-9}))
                outcomes[name].setdefault((round(report["score"], 6), kinds), []).append(student)
    return sample.student, outcomes


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    jobs = []
    for assignment, samples in corpora().items():
        for folder in ("source", "release"):
            shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
        for sample in samples:
            write_submission(course, assignment, sample)
            jobs.append((assignment, sample))
    course_secret(course)
    with ProcessPoolExecutor(2) as pool:
        futures = [(a, pool.submit(judged_under_every_id, course, a, s)) for a, s in jobs]
        return [(a, *f.result()) for a, f in futures]


def test_the_corpora_are_large_enough(outcomes):
    per_assignment = {a: sum(1 for x, *_ in outcomes if x == a) for a in solutions.ASSIGNMENTS}
    assert all(count >= 4 for count in per_assignment.values()), per_assignment
    assert len(outcomes) >= 60


def test_every_function_scores_the_same_under_every_student_id(outcomes):
    differing = {(a, student, name): {f"{score} {kinds}": ids[:3] for (score, kinds), ids
                                      in results.items()}
                 for a, student, functions in outcomes for name, results in functions.items()
                 if len(results) > 1}
    assert not differing, differing
