"""A Gradescope autograder for an assignment, running the same checks as ``backproplab grade``.

``build_zip`` writes the zip Gradescope asks for: ``setup.sh`` (installs Python and this kit
into a virtual environment) and ``run_autograder`` (grades ``/autograder/submission`` and
writes ``/autograder/results/results.json`` in Gradescope's format), with the kit's code and
the assignment's source notebooks under ``kit/``. ``main`` is what run_autograder calls.
"""
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q /autograder/source/kit/lib /autograder/source/kit
# Student code runs as this user (backproplab's child drops to it), with Landlock and seccomp
# on top: it can read Python and NumPy, not the grader, the solutions or results/.
id -u backproplab-student >/dev/null 2>&1 \
    || useradd --system --no-create-home --shell /usr/sbin/nologin backproplab-student
chmod 711 /autograder
chmod -R go-rwx /autograder/source
chmod -R go-w,go+rX /autograder/venv
for package in solutions autograder; do
    find /autograder/venv -type d -name "$package" -path "*site-packages*" -exec chmod -R go-rwx {} +
done
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; BACKPROPLAB_PYTHON and AUTOGRADER_ROOT exist
# so that the same script can be tried outside Gradescope.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
python="${BACKPROPLAB_PYTHON:-$root/venv/bin/python}"
mkdir -p "$root/results"
chmod 700 "$root/results"
chmod -R go-rwx "$root/submission" 2>/dev/null || true
export BACKPROPLAB_SANDBOX_USER="${BACKPROPLAB_SANDBOX_USER:-backproplab-student}"
cd "$root/source"
"$python" -m autograder.gradescope ASSIGNMENT "$root/submission" "$root/source/kit/source" \\
    "$root/results/results.json"
"""

KIT = ["pyproject.toml", "nbgrader_config.py", "solutions", "autograder", "lib/pyproject.toml",
       "lib/backproplab"]


def build_zip(course, assignment, out=None):
    course = Path(course)
    out = Path(out) if out else course / f"gradescope-{assignment}.zip"
    source = course / "source" / assignment
    if not source.is_dir():
        source = ROOT / "source" / assignment
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        write_script(z, "setup.sh", SETUP)
        write_script(z, "run_autograder", RUN.replace("ASSIGNMENT", assignment))
        for item in KIT:
            for path in ([ROOT / item] if (ROOT / item).is_file() else sorted((ROOT / item).rglob("*"))):
                if path.is_file() and "__pycache__" not in path.parts and not path.suffix == ".pyc":
                    z.write(path, f"kit/{path.relative_to(ROOT)}")
        for path in sorted(source.glob("*.ipynb")):
            z.write(path, f"kit/source/{assignment}/{path.name}")
    return out


def write_script(z, name, text):
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o755 << 16
    z.writestr(info, text)


def results(report):
    """Gradescope's results.json from a backproplab report."""
    tests = []
    for name, function in report["functions"].items():
        for check in function["checks"]:
            tests.append({"name": f"{name}: {check['name']}", "score": check["score"],
                          "max_score": check["max_score"], "output": check["message"],
                          "visibility": "visible"})
    notes = [f"{f['severity']}: {f['message']}" for f in report.get("flags", [])]
    notes.append(f"containment: {report.get('containment', 'unknown')}")
    return {"score": report["score"], "tests": tests, "stdout_visibility": "hidden",
            "output": "\n".join(notes)}


def main(argv=None):
    from .grading import grade_submission
    from .sandbox.containment import ContainmentUnavailable, choose
    assignment, submission, sources, out = (argv or sys.argv[1:])[:4]
    try:  # fail closed: no containment, no student code
        containment = choose()
    except ContainmentUnavailable as err:
        print(f"backproplab on Gradescope: {err}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as course:
        shutil.copytree(Path(sources) / assignment, Path(course) / "source" / assignment)
        target = Path(course) / "submitted" / "student" / assignment
        shutil.copytree(submission, target)
        report = grade_submission(course, assignment, "student", containment=containment)
    Path(out).write_text(json.dumps(results(report), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
