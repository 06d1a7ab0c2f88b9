"""The instructor's command on bad input: a clear message naming what is wrong, no traceback."""
from autograder.cli import main


def test_unknown_assignment_is_named_with_the_known_ones(tmp_path, capsys):
    assert main(["--course", str(tmp_path), "grade", "hw9_magic"]) == 2
    err = capsys.readouterr().err
    assert "unknown assignment 'hw9_magic'" in err and "hw2_layers" in err


def test_stats_before_grading_says_what_to_run(tmp_path, capsys):
    assert main(["--course", str(tmp_path), "stats", "hw2_layers"]) == 1
    assert "run `backproplab grade` first" in capsys.readouterr().out


# ------------------------------------------------------------------ options where hands put them

import argparse
import os
import re
import shutil

import pytest
from support import ROOT

from autograder import cli
from autograder.round.pipeline import report_path
from autograder.round.samples import demo_class, write_submission

A = "hw2_layers"
SUBCOMMANDS = ["build", "release", "grade", "similarity", "export", "stats", "gradescope",
               "doctor", "demo"]


def subparsers():
    """{name: its argparse parser} of every sub-command."""
    action = next(a for a in cli.build_parser()._actions
                  if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_sub_command_is_known():
    assert sorted(subparsers()) == sorted(SUBCOMMANDS)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_global_options_work_before_and_after_the_sub_command(command):
    rest = [A] if command in {"grade", "similarity", "stats", "gradescope"} else []
    after = cli.parse_args([command, *rest, "--course", "/c", "--db", "sqlite:///g.db"])
    before = cli.parse_args(["--course", "/c", "--db", "sqlite:///g.db", command, *rest])
    neither = cli.parse_args([command, *rest])
    assert (after.course, after.db) == (before.course, before.db) == ("/c", "sqlite:///g.db")
    assert (neither.course, neither.db) == (".", None)


def test_jobs_default_to_the_cores_available():
    assert cli.parse_args(["grade", A]).jobs == len(os.sched_getaffinity(0))
    assert cli.parse_args(["grade", A, "--jobs", "3"]).jobs == 3


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.parse_args(["--version"])
    assert stop.value.code == 0
    assert re.fullmatch(r"backproplab \d+\.\d+\.\d+\n", capsys.readouterr().out)


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_help_gives_an_example_the_readme_agrees_with(command, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args([command, "--help"])
    help_text = capsys.readouterr().out
    assert "example" in help_text and f"backproplab {command}" in help_text
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## For instructors"):readme.index("## For students")]
    row = next((line for line in table.splitlines()
                if line.startswith(f"| `backproplab {command}")), None)
    assert row is not None, f"README's instructor table has no row for {command}"
    options = [s for a in subparsers()[command]._actions for s in a.option_strings
               if s.startswith("--") and s not in {"--help", "--course", "--db"}]
    missing = [o for o in options if o not in row]
    assert not missing, f"README's row for {command} does not mention {missing}"
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    assert len(cells) == 3 and f"`backproplab {command}" in cells[2], \
        f"README's row for {command} has no example in its third column"


def small_class(path):
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder / A, path / folder / A)
    shutil.copy(ROOT / "nbgrader_config.py", path)
    for sample in demo_class():
        if sample.student in ("ada", "dev"):
            write_submission(path, A, sample)
    return path


def test_one_student_is_regraded_and_everyone_else_kept(tmp_path, capsys):
    course = small_class(tmp_path)
    assert cli.main(["grade", A, "--course", str(course), "--jobs", "1"]) == 0
    ada, dev = (report_path(course, A, s) for s in ("ada", "dev"))
    graded = {p: p.stat().st_mtime_ns for p in (ada, dev)}
    # ada's notebook changes, but only dev is asked for: ada's result stays as it was
    notebook = course / "submitted" / "ada" / A / f"{A}.ipynb"
    notebook.write_text(notebook.read_text() + "\n")
    capsys.readouterr()
    assert cli.main(["grade", A, "--student", "dev", "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert "graded 1 chosen students" in out
    assert ada.stat().st_mtime_ns == graded[ada]
    assert dev.stat().st_mtime_ns == graded[dev]  # unchanged since graded: kept
    assert cli.main(["grade", A, "--student", "dev", "--force", "--course", str(course)]) == 0
    assert dev.stat().st_mtime_ns != graded[dev]  # --force: graded again
    assert ada.stat().st_mtime_ns == graded[ada]


def test_an_unknown_student_is_named(tmp_path, capsys):
    course = small_class(tmp_path)
    assert cli.main(["grade", A, "--course", str(course), "--student", "nobody"]) == 2
    err = capsys.readouterr().err
    assert "'nobody'" in err and "2 students have one" in err
