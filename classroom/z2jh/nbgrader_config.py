# nbgrader in the Kubernetes classroom: the exchange is ngshare, a JupyterHub service that knows
# each user by their hub login (not the pod's uid, which is 1000 for everyone).
import os

from ngshare_exchange import configureExchange

c = get_config()  # noqa: F821 (provided by nbgrader)
configureExchange(c, os.environ.get("NGSHARE_URL", "http://ngshare:8080/services/ngshare"))
c.CourseDirectory.course_id = os.environ.get("CLASSROOM_COURSE_ID", "alliance-workbook")
