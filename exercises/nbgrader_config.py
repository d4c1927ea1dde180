# nbgrader configuration for the alliance-workbook exercises.
#
# Run every nbgrader command from this folder (exercises/), e.g.
#     nbgrader generate_assignment ex02_one_percent --force
# or use the `workbook release` / `workbook grade` wrappers, which do that for you.
# The preprocessors named "workbook.course.grading.*" come from this package (src/workbook/course/grading.py), so
# run nbgrader in the environment where the workbook is installed (pip install -e ".[instructor]").

import os

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

HERE = os.path.dirname(os.path.abspath(__file__))

# --- the course -------------------------------------------------------------------------------------
c.CourseDirectory.course_id = "alliance-workbook"
c.CourseDirectory.root = HERE
# A local sqlite gradebook next to this file (ignored by git). No JupyterHub needed.
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db").replace(os.sep, "/")

# --- running students' notebooks (autograde, validate) ----------------------------------------------
# Seconds one cell may run before it is interrupted. A cell that loops forever is stopped, gets a
# "CellTimeoutError" and 0 points for its checks, and the rest of the notebook still runs.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.SanitizeHTML.enabled = True
# Students' code runs in a sandbox (bubblewrap: no network, nothing of the host but Python, the
# packages and the workbook's data, read-only; see exercises/README.md). The limits per submission
# are defined once, in workbook.course.sandbox.Limits (10 min a notebook, 3 GB, 256 processes,
# 128 MB of disk, 100,000 output characters a cell); change one here if your course needs it, e.g.
# c.SandboxedExecute.memory_mb = 2048
# Only for submissions you trust (your own tests): run them unsandboxed, with your rights.
# c.SandboxedExecute.trusted_submissions = True
# Keep a runaway print loop from filling the gradebook and the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# --- autograde: sanitize what students handed in -----------------------------------------------------
# nbgrader's defaults, with OverwriteCells replaced by a version that puts back deleted test cells and
# written-answer cells (and does not crash when neighbouring cells were deleted too). Edited test cells
# are restored from the gradebook by the same step; duplicated cells lose their grading ids.
# nbgrader copies a submission's other files before the first of these runs: refuse links before that.
from workbook.course.grading import refuse_links_before_copying  # noqa: E402

refuse_links_before_copying()
c.Autograde.sanitize_preprocessors = [
    "workbook.course.grading.RefuseLinks",  # a submission holding links is not graded, not followed
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "workbook.course.grading.RestoreMissingCells",
    "workbook.course.grading.CheckCellMetadata",  # nbgrader's, the schema checked once
]

# --- autograde: run what was sanitized, in the sandbox, then save the grades -----------------------------
# nbgrader's defaults with Execute replaced by the sandboxed one (`nbgrader autograde` here is then
# sandboxed too, one submission at a time; `workbook grade` runs them in parallel).
c.Autograde.autograde_preprocessors = [
    "workbook.course.autograde.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "workbook.course.grading.CheckCellMetadata",  # nbgrader's, the schema checked once
]

# --- feedback: what students get back ------------------------------------------------------------------
# By default nbgrader shows students the hidden tests (nbgrader issues #917, #1363): in the test cell's
# source and in the traceback of a failed check. Remove the hidden regions (and any mark scheme) from
# the instructor's cells (nbgrader's own versions fail on a student who typed a marker into an answer),
# and show test cells only as passed or "ErrorName: message".
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "workbook.course.grading.ClearHiddenTests",
    "workbook.course.grading.ClearMarkScheme",
    "workbook.course.grading.HideGradeTracebacks",
    # HTML and JavaScript a submission displayed: sanitised (bleach), never run in a feedback page
    "nbconvert.preprocessors.sanitize.SanitizeHTML",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
