"""Grading stopped cleanly (Ctrl+C, `kill`, a closed terminal) at a stage, then resumed: the same
gradebook and CSV as an uninterrupted run, row by row.  The power cuts are in test_grading_resume.py,
which holds the course, the cases and the check; this file exists so both halves run at once.
Marker: ``grading``.
"""

from __future__ import annotations

import pytest
from test_grading_resume import CASES, check_resume, reference  # noqa: F401 - reference is a fixture

pytestmark = pytest.mark.grading


@pytest.mark.parametrize(("how", "stage", "via"), [c for c in CASES if c[0] != "SIGKILL"])
def test_stopped_run_resumes_to_the_same_gradebook_and_csv(reference, how, stage, via):  # noqa: F811
    check_resume(reference, how, stage, via)
