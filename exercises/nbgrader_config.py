# nbgrader configuration for the alliance-workbook exercises.
#
# Run every nbgrader command from this folder (exercises/), e.g.
#     nbgrader generate_assignment ex02_one_percent --force
# or use the `workbook release` / `workbook grade` wrappers, which do that for you.
# The preprocessors named "workbook.grading.*" come from this package (src/workbook/grading.py), so
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
# Keep a runaway print loop from filling the gradebook and the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 40

# --- autograde: sanitize what students handed in -----------------------------------------------------
# nbgrader's defaults, with OverwriteCells replaced by a version that puts back deleted test cells and
# written-answer cells (and does not crash when neighbouring cells were deleted too). Edited test cells
# are restored from the gradebook by the same step; duplicated cells lose their grading ids.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "workbook.grading.RestoreMissingCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- feedback: what students get back ------------------------------------------------------------------
# By default nbgrader shows students the hidden tests (nbgrader issues #917, #1363): in the test cell's
# source and in the traceback of a failed check. Remove the hidden regions (and any mark scheme), and
# cut the error output of test cells down to "ErrorName: message".
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "workbook.grading.HideGradeTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
