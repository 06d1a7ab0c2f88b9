"""The kit as users install it: its wheels built once per test session, installed into fresh
virtual environments outside the checkout, one per supported Python found on this machine.

Every command run through ``Installed.run`` starts in a folder outside the checkout with no
``PYTHONPATH``, so nothing of the checkout can be imported: a kit that works only editable
fails here.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from support import ROOT

from autograder.round.gradescope import build_zip
from autograder.round.kit import build_checkout_wheels

SUPPORTED = ("3.11", "3.12", "3.13")  # pyproject.toml's classifiers; README says the same
CURRENT = f"{sys.version_info.major}.{sys.version_info.minor}"


def find_python(minor_version):
    """An interpreter of ``minor_version`` ("3.12") that runs: this one, one under pyenv, or
    one on PATH (a pyenv shim of a version not selected does not run); or None."""
    if minor_version == CURRENT:
        return sys.executable
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(glob.glob(str(pyenv / "versions" / f"{minor_version}.*" / "bin" /
                                      f"python{minor_version}")), reverse=True)
    candidates.append(shutil.which(f"python{minor_version}"))
    for python in filter(None, candidates):
        probe = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == str(
                tuple(map(int, minor_version.split(".")))):
            return python
    return None


def clean_env(**extra):
    """The environment of a user's shell: nothing that points into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")}
    return {**env, **extra}


@dataclass
class Installed:
    """A fresh virtual environment holding the kit's wheels."""

    version: str
    venv: Path
    home: Path  # a folder outside the checkout to run commands in

    def run(self, *args, cwd=None, timeout=600, check=True, **env):
        """``backproplab ARGS`` (or ``python ARGS`` when the first is "python")."""
        exe = self.venv / "bin" / ("python" if args[0] == "python" else "backproplab")
        argv = [str(exe), *(args[1:] if args[0] == "python" else args)]
        proc = subprocess.run(argv, cwd=cwd or self.home, env=clean_env(**env),
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args)} (Python {self.version}) exited "
                                 f"{proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc


def build_wheels(out):
    """The kit's two wheels, built from the checkout as `pip wheel` builds them."""
    wheels = build_checkout_wheels(ROOT, out)
    assert sorted(w.name.split("-")[0] for w in wheels) == ["backproplab",
                                                           "backproplab_instructor"], wheels
    return wheels


def start_install(python, wheels, venv):
    """Start making ``venv`` with ``python`` and installing ``wheels`` into it (not editable,
    dependencies from the package index); returns the running process."""
    script = (f'"{python}" -m venv "{venv}" && "{venv}/bin/pip" install -q '
              + " ".join(f'"{w}"' for w in wheels))
    return subprocess.Popen(["bash", "-c", script], cwd=venv.parent, env=clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def new_autograder_root(where):
    """A simulated /autograder: searchable by other users, as Gradescope's is."""
    root = Path(tempfile.mkdtemp(prefix="autograder-", dir=where))
    root.chmod(0o711)
    for parent in root.parents:  # pytest's base folder is 0700: let the student user pass
        if parent == Path(tempfile.gettempdir()):
            break
        parent.chmod(parent.stat().st_mode | 0o111)
    return root


def unpack(zip_path, root):
    """A Gradescope zip into /autograder/source, its scripts executable as Gradescope makes
    them."""
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)


def start_setup(root, python):
    """Start Gradescope's image build: ``setup.sh`` as root, in ``root`` for /autograder."""
    return subprocess.Popen(["bash", str(root / "source" / "setup.sh")], cwd=root / "source",
                            env=clean_env(AUTOGRADER_ROOT=str(root),
                                          BACKPROPLAB_BASE_PYTHON=python),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


GRADESCOPE_ASSIGNMENT = "hw2_layers"


def install_everywhere(wheels, where):
    """{minor version: Installed, or the reason it is absent or failed, and "gradescope": the
    /autograder root after setup.sh}: the wheels installed under every supported Python found
    and in a Gradescope image of the zip made from them, all running side by side."""
    running = {}
    root = new_autograder_root(where)
    unpack(build_zip(ROOT, GRADESCOPE_ASSIGNMENT, Path(where) / "autograder.zip",
                     wheels=wheels), root)
    running["gradescope"] = (start_setup(root, sys.executable), root, None)
    for version in SUPPORTED:
        python = find_python(version)
        if python is None:
            running[version] = f"no Python {version} on this machine (PATH, pyenv)"
            continue
        venv = Path(where) / f"venv-{version}"
        home = Path(where) / f"home-{version}"
        home.mkdir(parents=True)
        running[version] = (start_install(python, wheels, venv), venv, home)
    installed = {}
    for version, job in running.items():
        if isinstance(job, str):
            installed[version] = job
            continue
        proc, path, home = job
        output, _ = proc.communicate(timeout=900)
        if proc.returncode != 0:
            installed[version] = AssertionError(
                f"installing the wheels ({version}) failed:\n" + "\n".join(
                    line for line in output.splitlines()
                    if not line.startswith("WARNING: Location"))[-3000:])
        else:
            installed[version] = path if home is None else Installed(version, path, home)
    return installed
