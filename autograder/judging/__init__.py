"""Judging student code: the judge (``judge.py``) and what every assignment's checks share
(``finite_differences``, ``tally``, ``compare``, ``recipes``, ``pairs``, ``losses``,
``in_notebook``), the declared diagnosis kinds (``kinds``, ``diagnose``), the check specs and
grades (``grades``), the weights made from the specs (``weights``) and the registry that finds
each assignment's checks and fails loudly (``registry``)."""
