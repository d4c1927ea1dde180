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
: "${CLASSROOM_MEMORY_LIMIT:=2G}"                         # memory of all one person runs (0: none)
: "${CLASSROOM_CPU_LIMIT:=1}"                             # CPU cores one person may keep busy (0: none)
: "${CLASSROOM_PIDS_LIMIT:=512}"                          # processes + threads of one person (0: none)
: "${CLASSROOM_CGROUP:=alliance-classroom}"               # the cgroup folder holding one per person
: "${CLASSROOM_DISK_QUOTA:=0}"                            # disk space of one person, e.g. 5G (0: none)
: "${CLASSROOM_QUOTA_PATHS:=}"                            # where (default: the homes' and exchange's disks)
: "${CLASSROOM_TLS_CERT:=}"                               # TLS through nginx: certificate chain (PEM) ...
: "${CLASSROOM_TLS_KEY:=}"                                #   ... and its key; the hub then binds to loopback
: "${CLASSROOM_TLS_PORT:=443}"                            #   ... on this port

CLASSROOM_VENV="$CLASSROOM_PREFIX/venv"
CLASSROOM_STATE="$CLASSROOM_SRV/state"
CLASSROOM_COURSE="$CLASSROOM_SRV/course"
CLASSROOM_CONTENT="$CLASSROOM_SRV/content.git"
CLASSROOM_PIDFILE="$CLASSROOM_STATE/jupyterhub.pid"
CLASSROOM_LOG="$CLASSROOM_STATE/jupyterhub.log"

export CLASSROOM_ETC CLASSROOM_PREFIX CLASSROOM_SRV CLASSROOM_EXCHANGE CLASSROOM_COURSE_ID \
  CLASSROOM_STUDENTS CLASSROOM_INSTRUCTORS CLASSROOM_BIND_URL CLASSROOM_HUB_PORT \
  CLASSROOM_PROXY_API_PORT CLASSROOM_AUTH CLASSROOM_IDLE_MINUTES CLASSROOM_DATA \
  CLASSROOM_MEMORY_LIMIT CLASSROOM_CPU_LIMIT CLASSROOM_PIDS_LIMIT CLASSROOM_CGROUP \
  CLASSROOM_DISK_QUOTA CLASSROOM_QUOTA_PATHS CLASSROOM_TLS_CERT CLASSROOM_TLS_KEY CLASSROOM_TLS_PORT \
  CLASSROOM_VENV CLASSROOM_STATE CLASSROOM_COURSE CLASSROOM_CONTENT CLASSROOM_PIDFILE CLASSROOM_LOG

classroom_say() { echo "[classroom] $*"; }
classroom_die() { echo "[classroom] error: $*" >&2; exit 2; }
classroom_need_root() { [ "$(id -u)" = "0" ] || classroom_die "run this as root (sudo $0 ...)"; }

# A student's own inbox in the exchange: only they can write there, only instructors read it.
classroom_inbox() {
  local inbound="$CLASSROOM_EXCHANGE/$CLASSROOM_COURSE_ID/inbound"
  [ -d "$inbound" ] || return 0
  mkdir -p "$inbound/$1"
  chown "$1:$CLASSROOM_INSTRUCTORS" "$inbound/$1"
  chmod 2750 "$inbound/$1"
}

# A person's disk quota (CLASSROOM_DISK_QUOTA, a hard limit) on each filesystem that holds homes or
# the exchange, where that filesystem has user quotas on (mount option usrquota; Debian's `quota`).
classroom_quota() {
  local name="$1" kb mount path
  [ "${CLASSROOM_DISK_QUOTA:-0}" != 0 ] || return 0
  if ! command -v setquota >/dev/null; then
    classroom_say "$name: no disk quota (setquota is missing: apt-get install quota)"
    return 0
  fi
  kb=$(( $(numfmt --from=iec "${CLASSROOM_DISK_QUOTA%B}") / 1024 ))
  for path in ${CLASSROOM_QUOTA_PATHS:-$(dirname "$(getent passwd "$name" | cut -d: -f6)") $CLASSROOM_EXCHANGE}; do
    mount="$(df --output=target "$path" 2>/dev/null | tail -n 1)"
    [ -n "$mount" ] || continue
    if quotaon -pu "$mount" 2>/dev/null | grep -q "is on"; then
      setquota -u "$name" 0 "$kb" 0 0 "$mount"
      classroom_say "$name: disk quota $CLASSROOM_DISK_QUOTA on $mount"
    else
      classroom_say "$name: no disk quota on $mount (user quotas are not on there: see README)"
    fi
  done
}
