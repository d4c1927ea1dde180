"""The exercises' answers: one module per notebook, ``nNN.py`` for the check ids ``"NN.k"``.

Each module declares its exercises beside the functions that compute their answers
(``@exercise("03.1", ...)`` above a function reading ``workbook.load(...)``; no number from the
readings is typed in), and ``written(...)`` for the answers a rubric marks.  Declaring registers
nothing: ``workbook.checks`` reads a module the first time one of its ids is checked.  Helpers
that several notebooks use live in ``_shared.py``.
"""
