"""The kit installed as users install it: its wheels, not editable, in fresh virtual
environments outside the checkout, under every supported Python found on this machine.

Every sub-command runs from the wheels; the demo of each assignment and a small class graded
from them get the same scores as the checkout gives the same submissions.
"""
import json
import zipfile

import pytest
from conftest import installed_kit
from install_support import CURRENT, SUPPORTED
from support import ROOT

import solutions
from autograder.round.demo_classes import demo_class
from autograder.round.samples import write_submission

ASSIGNMENTS = list(solutions.ASSIGNMENTS)
# Under the Python running the tests every assignment's demo; under the others one, to keep
# the suite short (the install, doctor and imports are checked under every version).
DEMOS = [(CURRENT, a) for a in ASSIGNMENTS] + [(v, "hw2_layers") for v in SUPPORTED
                                                if v != CURRENT]


def scores(reports):
    """{student: {function: score}} of {student: report}."""
    return {s: {n: f["score"] for n, f in r["functions"].items()} for s, r in reports.items()}


@pytest.fixture(scope="module")
def checkout_scores(demo_reports):
    """What the checkout gives each assignment's demo class."""
    return {a: scores(demo_reports[a]) for a in ASSIGNMENTS}


def test_wheels_hold_the_whole_kit(wheels):
    members = {w.name.split("-")[0]: set(zipfile.ZipFile(w).namelist()) for w in wheels}
    grader = members["backproplab_instructor"]
    for needed in ["autograder/sandbox/child.py", "autograder/sandbox/confine.py",
                   "autograder/similarity/fingerprint.py", "autograder/course/build.py",
                   "solutions/fast_layers.py",
                   *[f"autograder/course/templates/{a}/{a}.md" for a in ASSIGNMENTS]]:
        assert needed in grader, needed
    assert not any(m.startswith(("tests/", "source/", "release/", "lib/")) for m in grader)
    assert "backproplab/selfcheck.py" in members["backproplab"]
    assert not any(m.startswith(("solutions/", "autograder/")) for m in members["backproplab"])


@pytest.mark.parametrize("version", SUPPORTED)
def test_installed_kit_starts_without_the_checkout(installs, version):
    kit = installed_kit(installs, version)
    where = kit.run("python", "-c", "import autograder, solutions, backproplab, sys; "
                    "print(autograder.__file__, solutions.__file__, backproplab.__file__, "
                    "sys.version_info[:2])").stdout
    assert str(ROOT) not in where and where.count(str(kit.venv)) == 3, where
    assert kit.run("--version").stdout.strip() == "backproplab 0.1.0"
    assert "backproplab grade will use:" in kit.run("doctor").stdout


@pytest.mark.parametrize("version,assignment", DEMOS)
def test_demo_from_the_wheels_scores_as_the_checkout(installs, version, assignment,
                                                    checkout_scores):
    kit = installed_kit(installs, version)
    course = kit.home / f"demo-{assignment}"
    out = kit.run("demo", "--assignment", assignment, "--course", str(course)).stdout
    assert f"built and released {assignment}" in out
    reports = json.loads((course / "grades.json").read_text())["students"]
    expected = checkout_scores[assignment]
    assert scores(reports) == {s: expected[s] for s in reports}
    assert sorted(reports) == sorted(s.student for s in demo_class(assignment))
    assert (course / "gradebook.db").is_file()


SMALL_CLASS = ("ada", "dev", "cleo")  # right, two slips, blank: hw2's demo students


def test_an_instructors_round_from_the_wheels(kit, checkout_scores):
    """build, release, grade, similarity, stats, export and gradescope from the wheels, in a
    course folder of the instructor's that holds nothing of the kit."""
    assignment = "hw2_layers"
    course = kit.home / "course"
    course.mkdir()
    kit.run("build", assignment, "--course", str(course))
    kit.run("release", assignment, "--course", str(course))
    assert (course / "nbgrader_config.py").is_file()
    assert sorted(p.name for p in (course / "release" / assignment).iterdir()) == \
        [f"{assignment}.ipynb"]
    for sample in demo_class(assignment):
        if sample.student in SMALL_CLASS:
            write_submission(course, assignment, sample)
    kit.run("grade", assignment, "--course", str(course), "--json", str(course / "g.json"))
    reports = json.loads((course / "g.json").read_text())["students"]
    assert scores(reports) == {s: checkout_scores[assignment][s] for s in SMALL_CLASS}
    assert "similarity" in kit.run("similarity", assignment, "--course", str(course)).stdout
    assert "affine_backward" in kit.run("stats", assignment, "--course", str(course)).stdout
    kit.run("export", "--course", str(course), "--to", str(course / "grades.csv"))
    assert "dev" in (course / "grades.csv").read_text()
    kit.run("gradescope", assignment, "--course", str(course), "--to", str(course / "gs.zip"))
    names = zipfile.ZipFile(course / "gs.zip").namelist()
    assert {"setup.sh", "run_autograder", f"kit/source/{assignment}/{assignment}.ipynb"} <= \
        set(names)
    assert sorted(n.split("/")[-1].split("-")[0] for n in names if n.endswith(".whl")) == \
        ["backproplab", "backproplab_instructor"]


def test_wheels_packed_again_from_an_install_equal_the_built_ones(kit, wheels, tmp_path):
    """`backproplab gradescope` of an installed kit packs the installed distributions again
    (there is no checkout to build from): same files, same bytes as the wheels built."""
    out = tmp_path / "repacked"
    kit.run("python", "-c", f"from autograder.round.kit import kit_wheels; kit_wheels({str(out)!r})")
    for built in wheels:
        again = zipfile.ZipFile(out / built.name)
        original = zipfile.ZipFile(built)
        payload = [n for n in original.namelist() if ".dist-info/" not in n]
        assert sorted(n for n in again.namelist() if ".dist-info/" not in n) == sorted(payload)
        assert all(again.read(n) == original.read(n) for n in payload)
        info = [n for n in again.namelist() if n.endswith((".dist-info/METADATA",
                                                           ".dist-info/entry_points.txt"))]
        assert all(again.read(n) == original.read(n) for n in info)

