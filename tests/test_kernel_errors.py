"""In a real kernel: a failed answer cell is not judged by ``check``, and beginner errors are explained.

One small notebook runs in a Jupyter kernel (nbclient, errors allowed), and the outputs a student
would see are inspected: the friendly block (HTML with the traceback folded in <details>, and plain
text), the real exception type kept, the cell still failing, and the switch that turns it off.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow  # a real kernel

CELLS = [
    "import workbook\nfrom workbook import load, check",  # 0
    'workbook.checks.register("99.1", kind="integer", expected=lambda: 7, hints=("h1", "h2"))',
    "answer_99_1 = 5",  # 2 runs
    'check("99.1", answer_99_1)',  # 3: Not yet (try 1)
    "answer_99_1 = undefined_helper + 1",  # 4 raises
    'check("99.1", answer_99_1)',  # 5: must say stale
    "answer_99_1 = 6",  # 6 runs again
    'check("99.1", answer_99_1)',  # 7: Not yet (try 2)
    'load("claims")["valeu"]',  # 8 misspelt column
    "answer_02_4 = GNP",  # 9 unquoted word
    'load("claimz")',  # 10 the workbook's own error
    "1 / 0",  # 11 not recognised: usual traceback
    "claims = load('claims')\nprint(claim)",  # 12 nearest defined name
    "answer_05_5 = East China Sea",  # 13 words without quotes
    'import sys; sys.modules["workbook"].friendly_errors.disable()',  # 14
    'load("claims")["valeu"]',  # 15 after the switch
    'sys.modules["workbook"].friendly_errors.enable()',  # 16
    "### BEGIN HIDDEN TESTS\nassert answer_zz == 1\n### END HIDDEN TESTS",  # 17 a grader's hidden test
    'load(nmae="claims")',  # 18 a misspelt argument
]


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}},
    ).execute()
    return nb.cells


def _texts(cell, mime="text/plain") -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type in ("display_data", "execute_result"):
            parts.append(str(out.data.get(mime, "")))
        elif out.output_type == "stream":
            parts.append(out.text)
    return "\n".join(parts)


def _error(cell):
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1, cell.outputs
    return errors[0]


def test_a_failed_answer_cell_is_not_judged_and_costs_no_try(ran):
    assert "Not yet." in _texts(ran[3])
    stale = _texts(ran[5])
    assert "stopped with an error (NameError)" in stale and "answer_99_1" in stale
    assert "Not yet" not in stale and "try 2" not in stale
    assert "Not yet (try 2)" in _texts(ran[7])  # the stale check did not count


def test_misspelt_column_names_the_nearest_and_lists_the_columns(ran):
    cell = ran[8]
    assert _error(cell).ename == "KeyError"  # the real type, and the cell still fails
    text, page = _texts(cell), _texts(cell, "text/html")
    assert "KeyError: this table has no column called 'valeu'" in text
    assert "Did you mean 'value'?" in text and "claim_id" in text
    assert "<details>" in page and "Did you mean &#x27;value&#x27;?" in page
    assert "Traceback" not in "".join(_error(cell).traceback)
    assert "__getitem__" in page.split("<details>")[1]  # the full traceback is folded, not lost


def test_unquoted_word_in_an_answer_cell_says_put_it_in_quotes(ran):
    cell = ran[9]
    assert _error(cell).ename == "NameError"
    assert 'put text in quotes: answer_02_4 = "GNP"' in _texts(cell)


def test_the_workbooks_own_error_is_one_block(ran):
    cell = ran[10]
    assert _error(cell).ename == "UnknownName"
    assert "There is no table called 'claimz'" in _texts(cell)


def test_other_errors_keep_the_usual_traceback(ran):
    cell = ran[11]
    assert _error(cell).ename == "ZeroDivisionError"
    assert not _texts(cell)
    assert "ZeroDivisionError" in "".join(_error(cell).traceback)


def test_the_handler_can_be_switched_off(ran):
    cell = ran[15]
    assert _error(cell).ename == "KeyError" and not _texts(cell)
    assert "Traceback" in "".join(_error(cell).traceback) or len(_error(cell).traceback) > 3


def test_an_unknown_name_suggests_defined_names(ran):
    assert _error(ran[12]).ename == "NameError"
    assert "Did you mean claims" in _texts(ran[12])


def test_words_without_quotes_in_an_answer_cell(ran):
    assert _error(ran[13]).ename == "SyntaxError"
    assert 'put text in quotes: answer_05_5 = "East China Sea"' in _texts(ran[13])


def test_graders_hidden_tests_get_the_usual_traceback_only(ran):
    cell = ran[17]
    assert _error(cell).ename == "NameError" and not _texts(cell)  # no extra block to leak from
    assert "answer_zz" in "".join(_error(cell).traceback)


def test_plain_python_installs_nothing():
    from workbook import friendly_errors

    assert not friendly_errors.enabled()
    assert friendly_errors._running_shell() is None


def test_a_misspelt_argument_of_a_workbook_function(ran):
    assert _error(ran[18]).ename == "TypeError"
    assert "load() has no argument called 'nmae'" in _texts(ran[18]) and "Did you mean name=" in _texts(
        ran[18]
    )
