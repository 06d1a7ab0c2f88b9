"""A Gradescope autograder for an assignment, running the same checks as ``backproplab grade``.

``build_zip`` writes the zip Gradescope asks for:

- ``setup.sh`` (run once when Gradescope builds the image): finds Python 3.11 or newer, or
  stops the build with a message naming the base image to choose; installs the kit's wheels
  (``kit/wheels/``, the same wheels ``pip install`` gives an instructor) into a virtual
  environment; creates the unprivileged user student code runs as, and hides the grader from it;
- ``run_autograder`` (run for every submission): grades ``/autograder/submission`` where it
  lies, never copying or following a link in it, and writes
  ``/autograder/results/results.json`` in Gradescope's format;
- ``kit/source/<assignment>/`` (the source notebooks: points, locked cells) and the course's
  ``weights.json`` when it has one.

``main`` is what ``run_autograder`` calls.
"""
import json
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import solutions

from ..judging.described import outgoing
from .kit import kit_wheels

SUBMITTER = "student"
IMAGE_ADVICE = ("In the assignment's Configure Autograder page choose the base image "
                "Ubuntu 24.04 (its Python is 3.12), then upload this zip again.")

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image. AUTOGRADER_ROOT and
# BACKPROPLAB_BASE_PYTHON exist so that the same script can be tried outside Gradescope.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
kit="$root/source/kit"
user="${BACKPROPLAB_SANDBOX_USER:-backproplab-student}"

find_python() {  # the first Python >= 3.11 that can make a virtual environment
    for candidate in ${BACKPROPLAB_BASE_PYTHON:-python3.13 python3.12 python3.11 python3}; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c \\
            'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

python=$(find_python || true)
if [ -z "$python" ] && [ -z "${BACKPROPLAB_BASE_PYTHON:-}" ] && command -v apt-get >/dev/null; then
    apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip
    python=$(find_python || true)
fi
if [ -z "$python" ]; then
    found=$( (${BACKPROPLAB_BASE_PYTHON:-python3} --version) 2>&1 || echo "no python3")
    echo "backproplab: this autograder needs Python 3.11 or newer; this image has: $found." >&2
    echo "backproplab: IMAGE_ADVICE" >&2
    exit 1
fi
"$python" -m venv "$root/venv"
"$root/venv/bin/pip" install -q --upgrade pip
"$root/venv/bin/pip" install -q "$kit"/wheels/*.whl
# Student code runs as this user (backproplab's child drops to it), with Landlock and seccomp
# on top: it can read Python and NumPy, not the grader, the solutions or results/.
id -u "$user" >/dev/null 2>&1 \\
    || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
chmod 711 "$root"
chmod -R go-rwx "$root/source"
chmod -R go-w,go+rX "$root/venv"
for package in solutions autograder; do
    find "$root/venv" -type d -name "$package" -path "*site-packages*" -exec chmod -R go-rwx {} +
done
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; AUTOGRADER_ROOT exists so that the same script
# can be tried outside Gradescope.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$root/results"
chmod 700 "$root/results"
chmod -R go-rwx "$root/submission" 2>/dev/null || true
export BACKPROPLAB_SANDBOX_USER="${BACKPROPLAB_SANDBOX_USER:-backproplab-student}"
cd "$root/source"
"$root/venv/bin/python" -m autograder.round.gradescope ASSIGNMENT "$root/submission" \\
    "$root/source/kit" "$root/results/results.json" CONTAINMENT
"""


class GradescopeError(RuntimeError):
    """The zip can't be made; the message names the file it needs and where it looked."""


def build_zip(course, assignment, out=None, allow_uncontained=False, wheels=None):
    """Write the autograder zip of ``assignment`` for the course in ``course``; returns its
    path. ``allow_uncontained`` bakes in ``--no-containment`` (graded without walls where the
    image offers none: only for code you trust); ``wheels``, the kit's wheels when they are
    built already (default: ``kit.kit_wheels``)."""
    course = Path(course)
    out = Path(out) if out else course / f"gradescope-{assignment}.zip"
    source = course / "source" / assignment
    if not sorted(source.glob("*.ipynb")):
        raise GradescopeError(f"no source notebooks in {source}: run `backproplab build "
                              f"{assignment}` in {course.resolve()} first (the zip grades "
                              "against the source notebooks your students' release came from)")
    run = RUN.replace("ASSIGNMENT", assignment).replace(
        "CONTAINMENT", "--no-containment" if allow_uncontained else "")
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        write_script(z, "setup.sh", SETUP.replace("IMAGE_ADVICE", IMAGE_ADVICE))
        write_script(z, "run_autograder", run)
        for wheel in wheels or kit_wheels(tmp):
            z.write(wheel, f"kit/wheels/{wheel.name}")
        for path in sorted(source.iterdir()):
            if path.is_file():
                z.write(path, f"kit/source/{assignment}/{path.name}")
        if (course / "weights.json").is_file():
            z.write(course / "weights.json", "kit/weights.json")
    return out


def write_script(z, name, text):
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o755 << 16
    z.writestr(info, text)


def status(score, max_score):
    return "passed" if score >= max_score - 1e-9 else "failed"


def function_output(function):
    """The diagnosis of one graded function: each check that did not pay in full."""
    lines = [f"{c['name']}: {c['score']:g}/{c['max_score']:g}. {outgoing(c['message'])}"
             for c in function["checks"] if c["score"] < c["max_score"] - 1e-9]
    return "\n".join(lines) or "every check passed."


def results(report, seconds=0.0):
    """Gradescope's results.json from a backproplab report: one test per graded function."""
    tests = [{"name": name, "score": f["score"], "max_score": f["max_score"],
              "status": status(f["score"], f["max_score"]), "output": function_output(f),
              "visibility": "visible"} for name, f in report["functions"].items()]
    notes = [f"{f['severity']}: {outgoing(f['message'])}" for f in report.get("flags", [])]
    notes.append(f"containment: {report.get('containment', 'unknown')}")
    return {"score": report["score"], "execution_time": round(seconds, 1),
            "output": "\n".join(notes), "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def not_graded(assignment, why, seconds=0.0):
    """results.json for a submission the autograder refused to grade: 0 points for now, the
    reason in an instructor-only test, and the student told it is not their fault."""
    names = solutions.ASSIGNMENTS.get(assignment, [])
    tests = [{"name": "backproplab: this submission was not graded", "score": 0.0,
              "max_score": 0.0, "status": "failed", "output": why, "visibility": "hidden"}]
    tests += [{"name": n, "score": 0.0, "max_score": 0.0, "status": "failed",
               "output": "not graded yet (see the submission's message).",
               "visibility": "visible"} for n in names]
    return {"score": 0.0, "execution_time": round(seconds, 1), "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests,
            "output": "This submission could not be graded: the autograder is not set up to "
                      "run student code safely here. Your instructor has been told; your "
                      "work is kept and will be graded again."}


def main(argv=None):
    """``ASSIGNMENT SUBMISSION KIT RESULTS [--no-containment]``: grade and write results."""
    from ..sandbox.containment import ContainmentUnavailable, choose
    from .grading import grade_submission
    args = list(sys.argv[1:] if argv is None else argv)
    uncontained = "--no-containment" in args
    assignment, submission, kit, out = [a for a in args if a != "--no-containment"][:4]
    start = time.monotonic()
    try:  # fail closed: no containment, no student code
        containment = choose(allow_none=uncontained)
    except ContainmentUnavailable as err:
        why = (f"backproplab on Gradescope: {err}\n\nThe machine Gradescope ran this "
               "submission on offers no Landlock (a feature of its Linux kernel, not of the "
               "image), so student code would run without walls and was not run. Grade this "
               "assignment with `backproplab grade` on a machine of your own (`backproplab "
               "doctor` says what it offers), or, only for code you trust, make the zip with "
               f"`backproplab gradescope {assignment} --no-containment`.")
        print(why, file=sys.stderr)
        Path(out).write_text(json.dumps(not_graded(assignment, why, time.monotonic() - start),
                                        indent=1))
        return 0
    with tempfile.TemporaryDirectory() as course:
        shutil.copytree(Path(kit) / "source" / assignment, Path(course) / "source" / assignment)
        if (Path(kit) / "weights.json").is_file():
            shutil.copy(Path(kit) / "weights.json", Path(course) / "weights.json")
        report = grade_submission(course, assignment, SUBMITTER, containment=containment,
                                  folder=submission)
    Path(out).write_text(json.dumps(results(report, time.monotonic() - start), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
