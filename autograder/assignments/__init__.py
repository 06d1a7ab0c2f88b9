"""One package per assignment, one module per graded function (its stem: the name without
``_forward``/``_backward``; hw1's operations share ``operations.py``). A module holds everything
the grader knows about its function: hidden case recipes, named slips and their messages, its
checks with their specs (roles and weights), its in-notebook inputs and its own diagnosis kinds.
It imports the shared judging modules and the probes, never a sibling."""
