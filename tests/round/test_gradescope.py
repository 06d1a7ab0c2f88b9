"""The Gradescope autograder zip, run as Gradescope runs it: made by the installed kit, its
``setup.sh`` run as root in a fresh simulated ``/autograder`` tree (installing the wheels the
zip carries, creating the unprivileged student user), then ``run_autograder`` on each
submission with nothing of the checkout importable."""
import json
import os
import shutil
import subprocess
import zipfile

import pytest
from conftest import installed_kit
from install_support import (GRADESCOPE_ASSIGNMENT, clean_env, find_python,
                             new_autograder_root, start_setup, unpack)
from support import ROOT

import solutions
from autograder.round.samples import Sample, with_bug, write_submission

A = GRADESCOPE_ASSIGNMENT
TOP_KEYS = {"score": (int, float), "execution_time": (int, float), "output": str,
            "visibility": str, "stdout_visibility": str, "tests": list}
TEST_KEYS = {"name": str, "score": (int, float), "max_score": (int, float), "status": str,
             "output": str, "visibility": str}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope_format(results):
    """Gradescope's documented results.json: these keys, these types, these values."""
    assert set(results) <= set(TOP_KEYS) | {"output_format", "extra_data"}, set(results)
    for key, kind in TOP_KEYS.items():
        assert isinstance(results[key], kind), (key, results.get(key))
    assert results["visibility"] in VISIBILITY and results["stdout_visibility"] in VISIBILITY
    for test in results["tests"]:
        assert set(test) == set(TEST_KEYS), test
        assert all(isinstance(test[k], kind) for k, kind in TEST_KEYS.items()), test
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITY
        assert 0 <= test["score"] <= test["max_score"] + 1e-9


@pytest.fixture(scope="module")
def zip_path(kit):
    """The zip ``backproplab gradescope`` of the installed kit makes in an instructor's course."""
    course = kit.home / "gradescope-course"
    shutil.copytree(ROOT / "source" / A, course / "source" / A)
    kit.run("gradescope", A, "--course", str(course), "--to", str(course / "autograder.zip"))
    return course / "autograder.zip"


@pytest.fixture(scope="module")
def autograder(installs):
    """The /autograder tree after setup.sh, as Gradescope's image holds it (the zip of the
    built wheels; set up beside the other installs)."""
    return installed_kit(installs, "gradescope")


def submit(root, tmp_path, sample=None, files=None, **env):
    """Put a submission into /autograder/submission as Gradescope does (the notebook at the
    top) and run run_autograder; returns (process, results)."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    (root / "results").mkdir(exist_ok=True)
    (root / "results" / "results.json").unlink(missing_ok=True)
    submission.mkdir()
    if sample is not None:
        course = tmp_path / "course"
        shutil.copytree(ROOT / "release" / A, course / "release" / A, dirs_exist_ok=True)
        for path in write_submission(course, A, sample).iterdir():
            shutil.copy(path, submission / path.name)
    for name, make in (files or {}).items():
        make(submission / name)
    proc = subprocess.run([str(root / "source" / "run_autograder")], cwd=tmp_path,
                          env=clean_env(AUTOGRADER_ROOT=str(root), **env),
                          capture_output=True, text=True, timeout=600)
    results = root / "results" / "results.json"
    return proc, (json.loads(results.read_text()) if results.exists() else None)


TRANSPOSED = Sample("s", "transposed dw", answers={"affine_backward": with_bug(
    "affine_backward", "dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T")})


def by_name(results):
    return {t["name"]: t for t in results["tests"]}


def test_setup_installs_the_wheels_and_hides_the_grader(autograder):
    site = next((autograder / "venv" / "lib").glob("python3.*/site-packages"))
    for package in ("autograder", "solutions"):
        assert (site / package / "__init__.py").is_file()
        assert (site / package).stat().st_mode & 0o077 == 0, package
        assert not (site / package).is_symlink()
    assert (site / "backproplab").stat().st_mode & 0o005 == 0o005  # the child may read it
    assert (autograder / "source").stat().st_mode & 0o077 == 0
    assert not list(site.glob("__editable__*"))


def test_results_follow_gradescopes_format_one_test_per_function(autograder, tmp_path):
    proc, results = submit(autograder, tmp_path, TRANSPOSED)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_gradescope_format(results)
    tests = by_name(results)
    assert list(tests) == solutions.ASSIGNMENTS[A]
    assert tests["affine_backward"]["status"] == "failed"
    assert "transpose" in tests["affine_backward"]["output"]
    assert tests["affine_forward"]["status"] == "passed"
    assert tests["affine_forward"]["score"] == tests["affine_forward"]["max_score"] > 0
    assert results["score"] == pytest.approx(sum(t["score"] for t in tests.values()))
    assert "containment: namespaces" in results["output"]


def test_a_link_in_the_submission_is_refused_never_followed(autograder, tmp_path):
    """A submission holding no code, only a link to the instructor's source notebook (copied
    as root, a link would have been followed: full marks). Beside it an honest student whose
    score must not move, and one whose stray link affects nothing it is graded on."""
    source_nb = autograder / "source" / "kit" / "source" / A / f"{A}.ipynb"
    _, honest = submit(autograder, tmp_path, Sample("h", "reference"))
    full = sum(t["max_score"] for t in honest["tests"])
    assert honest["score"] == pytest.approx(full) and full > 0

    proc, attack = submit(autograder, tmp_path, files={
        f"{A}.ipynb": lambda path: path.symlink_to(source_nb)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_gradescope_format(attack)
    assert attack["score"] == 0.0
    assert "symbolic link" in attack["output"]

    _, stray = submit(autograder, tmp_path, Sample("h", "reference"), files={
        "notes.txt": lambda path: path.symlink_to(source_nb)})
    assert stray["score"] == pytest.approx(full)
    # the link is flagged without its name (a name the student chose is never echoed)
    assert "an entry of your submission (symlink) is a symbolic link" in stray["output"]
    assert "notes.txt" not in stray["output"]


def test_student_code_on_gradescope_can_read_no_grader_file_nor_write_results(
        autograder, tmp_path):
    """As in Gradescope's container: no namespaces, so Landlock, seccomp and a user without
    privileges hold the walls. The attacker reads the kit's solutions to define
    affine_forward and writes results.json itself; it must get neither."""
    site = next((autograder / "venv" / "lib").glob("python3.*/site-packages"))
    results = autograder / "results" / "results.json"
    attack = (
        "try:\n"
        f"    exec(open({str(site / 'solutions' / 'layers.py')!r}).read())\n"
        "except Exception:\n    pass\n"
        f"for path in ({str(results)!r}, {str(site / 'autograder' / 'judging' / 'judge.py')!r}):\n"
        "    try:\n        open(path, 'w').write('{\"score\": 999}')\n"
        "    except Exception:\n        pass\n")
    sample = Sample("s", "blank, reads the solutions, writes results", all_blank=True,
                    extra_cells=[attack])
    proc, output = submit(autograder, tmp_path, sample, BACKPROPLAB_CONTAINMENT="landlock")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert output["score"] == 0.0
    assert "containment: landlock" in output["output"]
    assert "999" not in (site / "autograder" / "judging" / "judge.py").read_text()


def test_no_containment_on_the_host_is_an_instructor_visible_refusal(autograder, tmp_path):
    proc, results = submit(autograder, tmp_path, Sample("h", "reference"),
                           BACKPROPLAB_CONTAINMENT="none")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_gradescope_format(results)
    assert results["score"] == 0.0
    hidden = [t for t in results["tests"] if t["visibility"] == "hidden"]
    assert len(hidden) == 1 and "Landlock" in hidden[0]["output"]
    assert "--no-containment" in hidden[0]["output"]
    assert "could not be graded" in results["output"]


def test_setup_stops_on_a_python_older_than_311_naming_the_image(zip_path, tmp_path_factory):
    old = find_python("3.10")
    if old is None:
        pytest.skip("no Python 3.10 on this machine (PATH, pyenv) to stand for Ubuntu 22.04's")
    root = new_autograder_root(tmp_path_factory.getbasetemp())
    unpack(zip_path, root)
    proc = start_setup(root, old)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode != 0
    assert "needs Python 3.11 or newer" in output and "Python 3.10" in output
    assert "Ubuntu 24.04" in output
    assert not (root / "venv").exists()


def test_zip_holds_wheels_and_source_not_the_checkout(zip_path):
    names = zipfile.ZipFile(zip_path).namelist()
    assert not any(n.startswith(("kit/autograder", "kit/solutions", "kit/lib", "kit/release"))
                   for n in names)
    assert os.path.basename(sorted(n for n in names if n.endswith(".whl"))[0]).startswith(
        "backproplab-")
