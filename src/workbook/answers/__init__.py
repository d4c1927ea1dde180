"""The exercises' answers: one module per notebook, ``nNN.py`` for the check ids ``"NN.k"``.

Each module calls :func:`workbook.checks.register` once per exercise, with ``expected`` as a
function that computes the answer from ``workbook.load(...)`` (no number from the readings is
typed in).  ``workbook.checks`` imports a module the first time one of its ids is checked, so
nothing here runs, and no data is read, until a student checks an answer.
"""
