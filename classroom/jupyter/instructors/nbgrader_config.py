# nbgrader for an instructor's server in the classroom: the shared course folder (its own
# nbgrader_config.py holds the gradebook and the grading preprocessors) and the shared exchange.
import os

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.course_id = os.environ.get("CLASSROOM_COURSE_ID", "alliance-workbook")
c.CourseDirectory.root = os.environ.get("CLASSROOM_COURSE", "/srv/alliance-classroom/course")
c.Exchange.root = os.environ.get("CLASSROOM_EXCHANGE", "/srv/nbgrader/exchange")
# The classroom's exchange: per-student inboxes; collect refuses and flags impersonation.
import classroom_exchange  # noqa: E402 (installed into the classroom's venv by install.sh)

classroom_exchange.configure(c)
