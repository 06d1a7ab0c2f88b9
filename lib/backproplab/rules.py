"""The grader's rule, checked early: a graded function computes with your own code.

When your notebook is graded, ``backproplab`` is replaced by a stand-in whose every function
refuses: a graded function must compute its result with your own code (and NumPy), not with
this package, which is for checking and plotting. Inside ``with grading():`` the real package
refuses in the same way, with the grader's message::

    with grading():
        backproplab.rel_error(a, b)   # GraderOnly: backproplab.rel_error is not available
                                      # while grading: a graded function must compute its
                                      # result with your own code

The self-checks (``check_layer``, ``check_loss``, ``check_function`` and the checks written in
the notebooks) call your functions this way, and only your functions: their own finite
differences, printing and plotting run normally, and so does everything outside the block.
"""
import functools
import inspect
import sys
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["GraderOnly", "grading", "is_grading"]

_GRADING = ContextVar("backproplab_grading", default=False)


class GraderOnly(RuntimeError):
    """A function of backproplab was called from a graded function (see ``grading``)."""


@contextmanager
def _grading():
    token = _GRADING.set(True)
    try:
        yield
    finally:
        _GRADING.reset(token)


def _path(module_name, name, obj):
    """How a student reaches ``obj``: ``backproplab.NAME`` when the package exports it."""
    package = sys.modules.get("backproplab")
    if package is not None and vars(package).get(name) is obj:
        return f"backproplab.{name}"
    return f"{module_name}.{name}"


def _refuse(module_name, name, obj):
    raise GraderOnly(f"{_path(module_name, name, obj)} is not available while grading: a "
                     f"graded function must compute its result with your own code")


def _guarded_function(fn, module_name, name):
    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        if _GRADING.get():
            _refuse(module_name, name, guarded)
        return fn(*args, **kwargs)
    guarded.__backproplab_guarded__ = True
    return guarded


def _guard_class(cls, module_name, name):
    """Refuse to make an instance of ``cls`` while grading (exceptions stay usable)."""
    init = cls.__dict__.get("__init__")
    if issubclass(cls, BaseException) or init is None or getattr(init, "__backproplab_guarded__",
                                                                   False):
        return

    @functools.wraps(init)
    def guarded_init(self, *args, **kwargs):
        if _GRADING.get():
            _refuse(module_name, name, cls)
        return init(self, *args, **kwargs)
    guarded_init.__backproplab_guarded__ = True
    cls.__init__ = guarded_init


def _protect(module_name):
    """Guard every public function and class defined in the module ``module_name``.

    Called at the end of each module of the package: the module's own names are replaced by
    guarded ones, so every way of reaching them (``backproplab.x``, ``backproplab.mod.x``,
    ``from backproplab.mod import x``) refuses while grading. Private helpers are left as they
    are: the package calls them, never a student's graded function.
    """
    module = sys.modules[module_name]
    for name, obj in list(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module_name:
            continue
        if inspect.isclass(obj):
            _guard_class(obj, module_name, name)
        elif inspect.isfunction(obj) and not getattr(obj, "__backproplab_guarded__", False):
            setattr(module, name, _guarded_function(obj, module_name, name))


def grading():
    """Context manager: inside it, every function of backproplab refuses as the grader does,
    raising ``GraderOnly`` with the grader's message. The self-checks call your graded
    functions inside it."""
    return _grading()


def is_grading():
    """True inside ``grading()``."""
    return _GRADING.get()


_protect(__name__)
