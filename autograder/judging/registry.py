"""Every graded name's hidden checks, gathered from the modules that hold them."""
from functools import lru_cache


@lru_cache(maxsize=1)
def all_checks():
    from ..assignments.hw1_graphs import operations
    from ..assignments.hw2_layers import backprop
    from ..assignments.hw4_training import train_epoch
    from . import pairs
    table = dict(pairs.checks())
    for module in (operations, backprop, train_epoch):
        table.update(module.checks())
    return table
