"""The students every assignment's demo class has, whatever the assignment: the reference, the
notebook handed in untouched, a cheat, and a file that is not a notebook."""
from ..samples import Sample

CHEATING_CELLS = [
    "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
    "np.testing.assert_allclose = lambda *a, **k: None",
    "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
    "import builtins\nbuiltins.__import__('os')._exit(0)",
]
CHEATS = "patches numpy, reads the answer from the instructor's notebook, hooks IPython, exits"


def stealing_cell(assignment, name):
    """A cell that runs the instructor's cell of ``name``, read from the course's source
    notebook where nbgrader keeps it."""
    return (f"import json\n"
            f"source = json.load(open('../../../source/{assignment}/{assignment}.ipynb'))\n"
            f"cells = [''.join(c['source']) for c in source['cells']]\n"
            f"exec(next(c for c in cells if c.startswith('def {name}(')))\n")


def cheating_cells(assignment, name):
    """Cells that try to earn ``name``'s points without computing it: numpy's comparisons made
    to pass, the instructor's answer read and run, IPython told to drop the test cells, the
    process ended before a test can fail."""
    return [CHEATING_CELLS[0], stealing_cell(assignment, name), *CHEATING_CELLS[1:]]


def perfect():
    """ada: the reference everywhere."""
    return Sample("ada", "correct, as the reference writes it")


def untouched():
    """cleo: the released notebook handed back as it was."""
    return Sample("cleo", "handed in the notebook untouched", all_blank=True)


def cheat(assignment, name, wrong, what, kind):
    """gus: ``wrong`` (a source of ``name`` that earns nothing: ``what``, diagnosed ``kind``),
    then the cells of ``cheating_cells`` aimed at ``name``."""
    return Sample("gus", f"{what}, then tries to cheat ({CHEATS})", answers={name: wrong},
                  extra_cells=cheating_cells(assignment, name), bugs={name: (kind,)},
                  attacks=(name,))


def unreadable():
    """hana: a file cut off in the middle, so not JSON."""
    return Sample("hana", "a notebook that is not valid JSON", raw='{"cells": [ {"cell_type": ')
