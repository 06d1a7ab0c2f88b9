from .reuse import functions_from_notebook
