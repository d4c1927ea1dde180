# nbgrader for a student's server in the classroom: fetch, submit and fetch feedback through the
# shared exchange.  The hub sets the CLASSROOM_* variables (classroom/jupyterhub_config.py).
import os

c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.course_id = os.environ.get("CLASSROOM_COURSE_ID", "alliance-workbook")
c.Exchange.root = os.environ.get("CLASSROOM_EXCHANGE", "/srv/nbgrader/exchange")
# The classroom's exchange: per-student inboxes; collect refuses and flags impersonation.
import classroom_exchange  # noqa: E402 (installed into the classroom's venv by install.sh)

classroom_exchange.configure(c)
