"""The kit as it is installed: its distributions and their wheels.

What Gradescope's image and a cluster's workers install is the kit's wheels, never a
checkout. ``kit_wheels`` gives them wherever the kit runs from: built from the checkout when
the running code sits in one (a maintainer's editable install), else packed again from the
installed distributions (an instructor who installed the wheels has no source tree).
"""
import base64
import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

DISTRIBUTIONS = ("backproplab-instructor", "backproplab")  # the grader's, the students'
CHECKOUT = Path(__file__).resolve().parents[2]
# What a wheel build of the checkout copies (never .venv, build outputs or course folders).
CHECKOUT_ITEMS = ("pyproject.toml", "autograder", "solutions", "lib/pyproject.toml",
                  "lib/backproplab")
NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


class KitError(RuntimeError):
    """The kit's wheels could not be had; the message says where it looked."""


def in_checkout():
    """Whether the running ``autograder`` package is a checkout's (not an installed copy)."""
    return ((CHECKOUT / "pyproject.toml").is_file()
            and (CHECKOUT / "lib" / "pyproject.toml").is_file())


def kit_wheels(out):
    """Write one wheel per distribution of the kit into ``out``; returns their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if in_checkout():
        return build_checkout_wheels(CHECKOUT, out)
    return [repack(name, out) for name in DISTRIBUTIONS]


def build_checkout_wheels(checkout, out):
    """``pip wheel`` of both packages of ``checkout``, built from a clean copy of what they
    ship (so no build folder lands in the checkout and no stray file in a wheel)."""
    with tempfile.TemporaryDirectory() as tmp:
        for item in CHECKOUT_ITEMS:
            src, dst = Path(checkout) / item, Path(tmp) / item
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, ignore=NOT_SHIPPED)
            else:
                shutil.copy(src, dst)
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                               "-w", str(out), tmp, str(Path(tmp) / "lib")],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise KitError(f"could not build the kit's wheels from {checkout}:\n"
                           + "\n".join(proc.stderr.splitlines()[-10:]))
    return sorted(Path(out).glob("*.whl"))


def repack(name, out):
    """The installed distribution ``name`` as a pure-Python wheel in ``out``: its files as
    installed (no byte code, no scripts: pip makes those again) and its metadata."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise KitError(f"{name} is not installed in {sys.prefix}; install the kit's wheels "
                       "(see the README's instructor section)") from None
    if editable(dist):
        raise KitError(f"{name} is installed editable from a folder that is not a checkout "
                       "of the kit; build its wheels there with `pip wheel`")
    info = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}.dist-info"
    members = {}
    for file in dist.files or []:
        parts = file.parts
        if ".." in parts or "__pycache__" in parts or file.suffix == ".pyc":
            continue
        if parts[0].endswith(".dist-info"):
            if parts[-1] not in ("METADATA", "entry_points.txt", "top_level.txt"):
                continue
            parts = (info, *parts[1:])
        members["/".join(parts)] = Path(dist.locate_file(file)).read_bytes()
    members[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: backproplab.kit\n"
                                b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    path = Path(out) / f"{info[:-len('.dist-info')]}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for arcname in sorted(members):
            wheel.writestr(arcname, members[arcname])
        wheel.writestr(f"{info}/RECORD", record(members, f"{info}/RECORD"))
    return path


def editable(dist):
    text = dist.read_text("direct_url.json")
    return bool(text and json.loads(text).get("dir_info", {}).get("editable"))


def record(members, own_name):
    """A wheel's RECORD: path, sha256 and size of every member, then itself."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for arcname in sorted(members):
        digest = base64.urlsafe_b64encode(hashlib.sha256(members[arcname]).digest())
        writer.writerow([arcname, f"sha256={digest.rstrip(b'=').decode()}",
                         len(members[arcname])])
    writer.writerow([own_name, "", ""])
    return buffer.getvalue()
