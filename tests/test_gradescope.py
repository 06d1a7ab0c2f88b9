"""The Gradescope autograder zip, run as Gradescope would in a simulated /autograder tree."""
import json
import os
import subprocess
import sys
import zipfile

from notebook_utils import ROOT

from autograder.gradescope import build_zip
from autograder.samples import Sample, with_bug, write_submission

A = "hw2_layers"


def test_run_autograder_writes_gradescope_results(tmp_path):
    course = tmp_path / "course"
    (course / "release").mkdir(parents=True)
    import shutil
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
    sample = Sample("s", "transposed dw", answers={"affine_backward": with_bug(
        "affine_backward", "dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T")})
    submitted = write_submission(course, A, sample)
    shutil.copytree(submitted, root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "BACKPROPLAB_PYTHON": sys.executable,
           "PYTHONPATH": str(root / "source" / "kit")}
    proc = subprocess.run([str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=600)
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
