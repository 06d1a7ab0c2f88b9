"""The classroom round trip, as on a JupyterHub, through a local exchange directory:
the instructor releases, a student fetches and submits, the instructor collects and grades."""
import json
import os
import shutil
import subprocess
import sys

from notebook_utils import ROOT

from autograder.pipeline import grade_all
from autograder.samples import Sample, fill, with_bug

A = "hw2_layers"


def run(args, cwd, user):
    env = {**os.environ, "USER": user, "LOGNAME": user, "PATH": os.path.dirname(sys.executable) + os.pathsep +
           os.environ["PATH"]}
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
    return proc


def test_release_fetch_submit_collect_grade(tmp_path):
    course, exchange, home = tmp_path / "course", tmp_path / "exchange", tmp_path / "alice"
    course.mkdir()
    home.mkdir()
    exchange.mkdir(mode=0o777)
    shutil.copytree(ROOT / "source" / A, course / "source" / A)
    shutil.copytree(ROOT / "release" / A, course / "release" / A)
    config = (f'c = get_config()\nc.CourseDirectory.course_id = "backproplab"\n'
              f'c.Exchange.root = "{exchange}"\n')
    (course / "nbgrader_config.py").write_text(config)
    (home / "nbgrader_config.py").write_text(config)
    run(["generate_assignment", A, "--force"], course, "instructor")
    run(["release_assignment", A, "--force"], course, "instructor")
    run(["fetch_assignment", A, "--course", "backproplab"], home, "alice")
    notebook = home / A / f"{A}.ipynb"
    sample = Sample("alice", "dw transposed", answers={"affine_backward": with_bug(
        "affine_backward", "dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T")})
    nb = fill(json.loads(notebook.read_text()), sample, {"affine_forward", "affine_backward",
                                                          "relu_forward", "relu_backward"})
    notebook.write_text(json.dumps(nb))
    run(["submit", A, "--course", "backproplab", "--student", "alice"], home, "alice")
    run(["collect", A], course, "instructor")
    assert (course / "submitted" / "alice" / A / f"{A}.ipynb").exists()
    report = grade_all(course, A, jobs=1, progress=False)["alice"]
    functions = report["functions"]
    assert functions["affine_forward"]["score"] == functions["affine_forward"]["max_score"]
    assert 0 < functions["affine_backward"]["score"] < functions["affine_backward"]["max_score"]
    assert functions["sigmoid_forward"]["score"] == 0  # still the released stub
    assert not [f for f in report["flags"] if f["code"] == "stray_files"]
