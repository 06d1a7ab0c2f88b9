"""The code is clean by ruff's rules (pyproject.toml's [tool.ruff]: pycodestyle, pyflakes,
import order, bugbear, pyupgrade, lines of 100): what CI runs on autograder/, lib/ and
solutions/."""
import shutil
import subprocess
import sys
from pathlib import Path

from support import ROOT


def ruff():
    """The ruff of the environment running the tests (the [test] extra installs it)."""
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.exists() else shutil.which("ruff") or "ruff"


def test_ruff_finds_nothing_in_the_grader_the_student_package_and_the_solutions():
    done = subprocess.run([ruff(), "check", "autograder", "lib", "solutions"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
