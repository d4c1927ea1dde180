# Settings shared by the classroom scripts (sourced, not run).
#
# Every value can be set in the environment or in $CLASSROOM_ETC/classroom.env (written by install.sh);
# the environment wins.  The defaults are those of a real one-machine course.

: "${CLASSROOM_ETC:=/etc/alliance-classroom}"
if [ -f "$CLASSROOM_ETC/classroom.env" ]; then
  # shellcheck disable=SC1091
  . "$CLASSROOM_ETC/classroom.env"
fi

: "${CLASSROOM_PREFIX:=/opt/alliance-classroom}"          # venv/ (hub + servers), proxy/, classroom/
: "${CLASSROOM_SRV:=/srv/alliance-classroom}"             # state/ (hub db, logs), course/, content.git
: "${CLASSROOM_EXCHANGE:=/srv/nbgrader/exchange}"         # nbgrader's filesystem exchange
: "${CLASSROOM_COURSE_ID:=alliance-workbook}"
: "${CLASSROOM_STUDENTS:=classroom-students}"             # Linux group of the students
: "${CLASSROOM_INSTRUCTORS:=classroom-instructors}"       # Linux group of the instructors (hub admins)
: "${CLASSROOM_BIND_URL:=http://:8000}"                   # where students connect (the proxy)
: "${CLASSROOM_HUB_PORT:=8081}"                           # the hub itself, on 127.0.0.1
: "${CLASSROOM_PROXY_API_PORT:=8001}"                     # the proxy's REST API, on 127.0.0.1
: "${CLASSROOM_AUTH:=pam}"                                # pam (real accounts) | test (CI only, loopback only)
: "${CLASSROOM_IDLE_MINUTES:=60}"                         # stop a server idle this long (0: never)
: "${CLASSROOM_DATA:=}"                                   # a data folder, only if the wheel has none

CLASSROOM_VENV="$CLASSROOM_PREFIX/venv"
CLASSROOM_STATE="$CLASSROOM_SRV/state"
CLASSROOM_COURSE="$CLASSROOM_SRV/course"
CLASSROOM_CONTENT="$CLASSROOM_SRV/content.git"
CLASSROOM_PIDFILE="$CLASSROOM_STATE/jupyterhub.pid"
CLASSROOM_LOG="$CLASSROOM_STATE/jupyterhub.log"

export CLASSROOM_ETC CLASSROOM_PREFIX CLASSROOM_SRV CLASSROOM_EXCHANGE CLASSROOM_COURSE_ID \
  CLASSROOM_STUDENTS CLASSROOM_INSTRUCTORS CLASSROOM_BIND_URL CLASSROOM_HUB_PORT \
  CLASSROOM_PROXY_API_PORT CLASSROOM_AUTH CLASSROOM_IDLE_MINUTES CLASSROOM_DATA \
  CLASSROOM_VENV CLASSROOM_STATE CLASSROOM_COURSE CLASSROOM_CONTENT CLASSROOM_PIDFILE CLASSROOM_LOG

classroom_say() { echo "[classroom] $*"; }
classroom_die() { echo "[classroom] error: $*" >&2; exit 2; }
classroom_need_root() { [ "$(id -u)" = "0" ] || classroom_die "run this as root (sudo $0 ...)"; }
