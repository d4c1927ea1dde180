"""What ParallelAutograde and the preprocessors take from nbgrader beyond its documented API.

``workbook.course.autograde`` overrides and calls nbgrader's converter internals. pyproject.toml
keeps nbgrader below 0.10; if an upgrade renames or reshapes any of these, this test fails with the
name, before any grade is wrong.
"""

from __future__ import annotations

import inspect

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")
from nbgrader.converters.autograde import Autograde  # noqa: E402
from nbgrader.converters.base import BaseConverter  # noqa: E402

#: name -> the parameters it must take (after self), as ParallelAutograde calls or overrides it.
METHODS = {
    "init_destination": ["assignment_id", "student_id"],
    "init_single_notebook_resources": ["notebook_filename"],
    "write_single_notebook": ["output", "resources"],
    "convert_single_notebook": ["notebook_filename"],
    "convert_notebooks": [],
    "set_permissions": ["assignment_id", "student_id"],
    "_format_dest": ["assignment_id", "student_id", "escape"],
    "_init_preprocessors": [],
}
#: attributes ParallelAutograde reads or sets on the converter (traits or plain attributes).
ATTRIBUTES = ["_sanitizing", "exporter", "writer", "notebooks", "assignments", "force", "coursedir"]


@pytest.mark.parametrize("name", sorted(METHODS))
def test_converter_method_still_has_its_shape(name):
    method = getattr(Autograde, name, None)
    assert callable(method), f"nbgrader's Autograde.{name} is gone"
    params = [p for p in inspect.signature(method).parameters if p != "self"]
    assert params == METHODS[name], f"Autograde.{name}{tuple(params)} changed"


def test_converter_attributes_still_exist():
    source = inspect.getsource(Autograde) + inspect.getsource(BaseConverter)
    for name in ATTRIBUTES:
        assert name in Autograde.class_traits() or f"self.{name}" in source, f"Autograde.{name} is gone"
    assert "self._sanitizing" in inspect.getsource(Autograde._init_preprocessors)


def test_helpers_and_execute_traits_still_exist():
    from nbgrader import utils
    from nbgrader.preprocessors import Execute

    for name in ("setenv", "rmtree", "is_grade", "is_solution", "compute_checksum"):
        assert callable(getattr(utils, name, None)), f"nbgrader.utils.{name} is gone"
    assert "timeout" in Execute.class_traits(), "nbgrader's Execute.timeout is gone"
