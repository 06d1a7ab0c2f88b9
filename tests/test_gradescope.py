"""The Gradescope autograder zip, run as Gradescope would in a simulated /autograder tree."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

from notebook_utils import ROOT

from autograder.round.gradescope import build_zip
from autograder.round.samples import Sample, with_bug, write_submission

A = "hw2_layers"


def run_autograder(tmp_path, sample, extra_env=None):
    """Build the zip, unpack it as Gradescope does, run ``run_autograder`` on ``sample``;
    returns (the process, the /autograder root)."""
    course = tmp_path / "course"
    (course / "release").mkdir(parents=True)
    shutil.copytree(ROOT / "release" / A, course / "release" / A)
    shutil.copytree(ROOT / "source" / A, course / "source" / A)
    archive = build_zip(course, A, tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert {"setup.sh", "run_autograder"} <= set(names)
        assert not any("release/" in n or "submitted" in n for n in names)
        z.extractall(root / "source")
    os.chmod(root / "source" / "run_autograder", 0o755)
    submitted = write_submission(course, A, sample)
    shutil.copytree(submitted, root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "BACKPROPLAB_PYTHON": sys.executable,
           "PYTHONPATH": str(root / "source" / "kit"), **(extra_env or {})}
    proc = subprocess.run([str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=600)
    return proc, root


def test_run_autograder_writes_gradescope_results(tmp_path):
    sample = Sample("s", "transposed dw", answers={"affine_backward": with_bug(
        "affine_backward", "dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T")})
    proc, root = run_autograder(tmp_path, sample)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((root / "results" / "results.json").read_text())
    tests = {t["name"]: t for t in results["tests"]}
    assert all({"name", "score", "max_score", "output"} <= set(t) for t in tests.values())
    transposed = [t for n, t in tests.items() if n.startswith("affine_backward:")
                  and t["score"] < t["max_score"]]
    assert transposed and "transpose" in transposed[0]["output"]
    assert tests["affine_forward: values on hidden inputs"]["score"] == \
        tests["affine_forward: values on hidden inputs"]["max_score"] > 0
    assert 0 < results["score"] < sum(t["max_score"] for t in tests.values())


def test_student_code_on_gradescope_can_read_no_grader_file_nor_write_results(tmp_path):
    """As in Gradescope's container: no namespaces, so Landlock, seccomp and a user without
    privileges hold the walls. The attacker reads the kit's solutions to define
    affine_forward and writes results.json itself; it must get neither."""
    kit = tmp_path / "autograder" / "source" / "kit"
    results = tmp_path / "autograder" / "results" / "results.json"
    attack = (
        "try:\n"
        f"    exec(open({str(kit / 'solutions' / 'layers.py')!r}).read())\n"
        "except Exception:\n    pass\n"
        "for path in ("
        f"{str(results)!r}, {str(kit / 'autograder' / 'judge.py')!r}):\n"
        "    try:\n        open(path, 'w').write('{\"score\": 999}')\n"
        "    except Exception:\n        pass\n")
    sample = Sample("s", "blank, reads the solutions, writes results", all_blank=True,
                    extra_cells=[attack])
    proc, root = run_autograder(tmp_path, sample, {"BACKPROPLAB_CONTAINMENT": "landlock"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    output = json.loads(results.read_text())
    assert output["score"] == 0.0
    assert "containment: landlock" in output["output"]
    assert "999" not in (kit / "autograder" / "judge.py").read_text()
