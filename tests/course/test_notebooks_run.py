"""Notebooks run in a real kernel: the source ones clean (solutions filled in, every hidden
test passing), the released ones up to the first unimplemented function."""
import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from support import ASSIGNMENTS, ROOT, notebooks

from autograder.course import nbgrader


def copy_folder(tmp_path, folder):
    shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path / folder


def execute(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_runs_clean(assignment, tmp_path):
    folder = copy_folder(tmp_path, "source")
    for path in notebooks(folder, assignment):
        nb = execute(path)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                assert out.output_type != "error", f"{path.name}: {out.get('ename')}"
                assert not (out.output_type == "stream" and "Traceback" in out.text), path.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_validate_passes_on_source(assignment, tmp_path):
    folder = copy_folder(tmp_path, "source")
    for path in notebooks(folder, assignment):
        proc = nbgrader(path.parent, "validate", path.name)
        assert "Success! Your notebook passes all the tests." in proc.stdout, proc.stdout[-2000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebook_stops_at_the_first_unimplemented_function(assignment, tmp_path):
    folder = copy_folder(tmp_path, "release")
    for path in notebooks(folder, assignment):
        nb = nbformat.read(path, as_version=4)
        first_answer = next(i for i, c in enumerate(nb.cells)
                            if c.metadata.get("nbgrader", {}).get("solution")
                            and c.cell_type == "code")
        client = NotebookClient(nb, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        with pytest.raises(CellExecutionError) as failure:
            client.execute()
        assert failure.value.ename == "NotImplementedError", str(failure.value)[-1500:]
        failed = next(i for i, c in enumerate(nb.cells)
                      if any(o.output_type == "error" for o in c.get("outputs", [])))
        assert failed > first_answer, f"{path.name}: cell {failed + 1} fails before any answer"
