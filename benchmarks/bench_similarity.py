"""Speed of ``backproplab similarity`` on a large synthetic class.

Run: ``python benchmarks/bench_similarity.py [--students 500] [--assignment hw2_layers]
[--copies 10]``. Builds a class in a temporary course: each student answers each graded
function with one of the ways the grading corpora write it (or the reference), its names
renamed, its layout redone by ``ast.unparse``, and lines of the student's own (assertions
on random expressions), so that no two answers are identical; ``--copies`` students then
copy one function of another student (renamed again). Prints students, functions, the
seconds of the whole run (reading, parsing, following helpers, comparing per function and
per submission, writing the reports), the pairs found against the copies planted, and the
pairs of submissions flagged (one copied function each is below that view's threshold).
"""
import argparse
import ast
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import solutions  # noqa: E402
from support import corpus  # noqa: E402
from autograder import similarity  # noqa: E402
from autograder.round.samples import Sample, reference_answer, write_submission  # noqa: E402

OPERATORS = [ast.Add(), ast.Sub(), ast.Mult(), ast.Div()]
OWN_LINES = 3   # what makes one student's answer theirs


def variant_pool(assignment):
    """{graded name: [source texts]}: the reference and every corpus answer to it."""
    samples = corpus(assignment)  # the assignment's class: every grading corpus and the demo
    pool = {}
    for name in solutions.ASSIGNMENTS[assignment]:
        if not hasattr(solutions, name):
            continue
        texts = {reference_answer(name)} | {s.answers[name] for s in samples if name in s.answers}
        pool[name] = sorted(texts)
    return pool


def random_expression(rng, names, depth=3):
    if depth == 0 or (depth < 3 and rng.random() < 0.2):
        return (ast.Constant(rng.randint(2, 999)) if rng.random() < 0.5 else
                ast.Call(ast.Attribute(ast.Name("np", ast.Load()), rng.choice(["size", "ndim"]),
                                       ast.Load()), [ast.Name(rng.choice(names), ast.Load())], []))
    return ast.BinOp(random_expression(rng, names, depth - 1), rng.choice(OPERATORS),
                     random_expression(rng, names, depth - 1))


def disguised(text, name, rng, own_line=True):
    """``text`` with its names renamed, re-laid out, and (``own_line``) lines of its own."""
    tree = ast.parse(text)
    target = next(n for n in tree.body if getattr(n, "name", None) == name)
    bound = {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and
             isinstance(n.ctx, ast.Store)} | {a.arg for a in ast.walk(target)
                                              if isinstance(a, ast.arg) and a.arg != "self"}
    new = {old: f"{old[:2]}_{rng.randrange(10**6)}" for old in bound}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in new:
            node.id = new[node.id]
        elif isinstance(node, ast.arg) and node.arg in new:
            node.arg = new[node.arg]
    function = target if isinstance(target, ast.FunctionDef) else \
        next(n for n in target.body if isinstance(n, ast.FunctionDef))
    arguments = [a.arg for a in function.args.args if a.arg != "self"]
    for _ in range(OWN_LINES if own_line and arguments else 0):
        check = ast.Compare(random_expression(rng, arguments), [ast.Lt()], [ast.Constant(10**12)])
        function.body.insert(0, ast.Assert(check, None))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def make_class(course, assignment, students, copies, seed=0):
    """Write the class; returns the planted (copier, original, function) triples."""
    rng = random.Random(seed)
    for part in ("source", "release"):
        shutil.copytree(ROOT / part / assignment, course / part / assignment)
    pool = variant_pool(assignment)
    answers = {}
    for i in range(students):
        answers[f"s{i:03d}"] = {name: disguised(rng.choice(texts), name, rng)
                                for name, texts in pool.items()}
    big = [n for n in pool if max(len(t) for t in pool[n]) > 400]
    planted = []
    for i in range(copies):
        copier, original = f"s{2 * i:03d}", f"s{2 * i + 1:03d}"
        name = big[i % len(big)]
        answers[copier][name] = disguised(answers[original][name], name, rng, own_line=False)
        planted.append((copier, original, name))
    for student, mine in answers.items():
        write_submission(course, assignment, Sample(student, "synthetic", mine))
    return planted


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--assignment", default="hw2_layers")
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copytree(ROOT / "release", course / "release")  # what students can reach
        shutil.rmtree(course / "release" / args.assignment)
        planted = make_class(course, args.assignment, args.students, args.copies)
        start, cpu = time.perf_counter(), time.process_time()
        with open(course / "table.txt", "w") as out:
            code = similarity.run(course, args.assignment, out=out)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        data = similarity.saved_result(course, args.assignment)
    found = {(tuple(p["students"]), p["function"]) for p in data["pairs"]}
    caught = sum((tuple(sorted((c, o))), f) in found for c, o, f in planted)
    functions = sum(hasattr(solutions, n) for n in solutions.ASSIGNMENTS[args.assignment])
    print(f"{args.assignment}: {args.students} students x {functions} graded functions "
          f"in {seconds:.1f} s, {cpu:.1f} s of CPU (exit {code})")
    print(f"pairs found: {len(data['pairs'])} (planted copies caught: {caught}/{len(planted)}); "
          f"matches with reachable code: {len(data['reachable'])}; pairs of submissions: "
          f"{len(data['submissions'])}")


if __name__ == "__main__":
    main()
