"""The instructor's command on bad input: a clear message naming what is wrong, no traceback."""
from autograder.cli import main


def test_unknown_assignment_is_named_with_the_known_ones(tmp_path, capsys):
    assert main(["--course", str(tmp_path), "grade", "hw9_magic"]) == 2
    err = capsys.readouterr().err
    assert "unknown assignment 'hw9_magic'" in err and "hw2_layers" in err


def test_stats_before_grading_says_what_to_run(tmp_path, capsys):
    assert main(["--course", str(tmp_path), "stats", "hw2_layers"]) == 1
    assert "run `backproplab grade` first" in capsys.readouterr().out
