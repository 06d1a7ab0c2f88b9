"""Every graded name's hidden checks, gathered from the modules that hold them."""
from functools import lru_cache


@lru_cache(maxsize=1)
def all_checks():
    from . import checks_layers
    table = dict(checks_layers.checks())
    for module in ("checks_graphs", "checks_backprop", "checks_training"):
        try:
            mod = __import__(f"autograder.{module}", fromlist=["checks"])
        except ImportError:
            continue
        table.update(mod.checks())
    return table
