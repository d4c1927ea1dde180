"""The course wing: what runs on the instructor's machine, never in a student's kernel.

Releasing exercises, grading them in the sandbox, and nbgrader's preprocessors live here
(``workbook.course.commands``, ``.init``, ``.grading``, ``.autograde``, ``.sandbox``,
``.sandbox_runner``, ``.judge``, ``.regions``). The student wing (the rest of ``workbook``) never imports
from this package; ``tests/test_wings.py`` checks that.
"""
