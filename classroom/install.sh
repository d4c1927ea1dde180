#!/usr/bin/env bash
# Install the alliance-workbook classroom on this machine and start it (run as root):
#
#     sudo classroom/install.sh            # install (or upgrade) and start
#     sudo classroom/stop [--all]          # stop the hub (--all: the proxy and every server too)
#
# What it does (each step is skipped when already done, so running it again upgrades in place):
#   1. Debian packages: python3-venv, git, nodejs/npm (Node >= 20 is needed by the proxy).
#   2. $CLASSROOM_PREFIX/venv: a venv made from /usr/bin/python3 (readable by every user) holding
#      the workbook (student install), JupyterHub, nbgitpuller and nbgrader: `pip install ".[hub]"`.
#   3. $CLASSROOM_PREFIX/proxy: configurable-http-proxy from classroom/package-lock.json.
#   4. The Linux groups of students and instructors, nbgrader's exchange ($CLASSROOM_EXCHANGE, owned
#      by root, an inbox per student: see classroom_exchange.py), the course folder
#      ($CLASSROOM_SRV/course, a copy of exercises/, instructors only), the
#      content repository that nbgitpuller links pull from ($CLASSROOM_SRV/content.git).
#   5. $CLASSROOM_ETC: classroom.env (the settings), per-role Jupyter configuration.
#   6. Starts the hub: a systemd service when systemd runs, else classroom/start.
#
# Options: --no-apt (skip step 1), --no-start (skip step 6).  Settings: see classroom/settings.sh;
# any CLASSROOM_* variable set in the environment is written to classroom.env.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
APT=1
START=1
for arg in "$@"; do
  case "$arg" in
    --no-apt) APT=0 ;;
    --no-start) START=0 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=settings.sh
. "$HERE/settings.sh"
classroom_need_root
umask 022
# TLS (optional): nginx in front, and then the hub's proxy listens on loopback only.
TLS=0
if [ -n "${CLASSROOM_TLS_CERT:-}" ] || [ -n "${CLASSROOM_TLS_KEY:-}" ]; then
  [ -r "${CLASSROOM_TLS_CERT:-}" ] && [ -r "${CLASSROOM_TLS_KEY:-}" ] || classroom_die "CLASSROOM_TLS_CERT and \
CLASSROOM_TLS_KEY must both name readable files (the certificate chain and its key, PEM)"
  TLS=1
  port="${CLASSROOM_BIND_URL##*:}"; port="${port%%/*}"
  case "$port" in ''|*[!0-9]*) port=8000 ;; esac
  CLASSROOM_BIND_URL="http://127.0.0.1:$port"
fi

# --- 1. Debian packages ---------------------------------------------------------------------------------
if [ "$APT" = 1 ]; then
  need=()
  /usr/bin/python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
  command -v git >/dev/null || need+=(git)
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
  [ "$TLS" = 1 ] && ! command -v nginx >/dev/null && need+=(nginx)
  if [ ${#need[@]} -gt 0 ]; then
    classroom_say "installing Debian packages: ${need[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
  fi
fi
node_major="$(node -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0)"
[ "$node_major" -ge 20 ] || classroom_die "configurable-http-proxy needs Node.js 20 or newer (found: \
$(node --version 2>/dev/null || echo none)). Debian 12's nodejs is 18: install Node 20 first."
command -v git >/dev/null || classroom_die "git is needed (nbgitpuller): apt-get install git"

# --- 2. the venv ------------------------------------------------------------------------------------------
mkdir -p "$CLASSROOM_PREFIX"
chmod 755 "$CLASSROOM_PREFIX"
if [ ! -x "$CLASSROOM_VENV/bin/python" ]; then
  classroom_say "creating $CLASSROOM_VENV"
  /usr/bin/python3 -m venv "$CLASSROOM_VENV"
fi
stamp="$CLASSROOM_VENV/.classroom-installed"
digest="$(cd "$REPO" && find pyproject.toml constraints.txt LICENSE src data notebooks -type f ! -path '*__pycache__*' -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-32)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  classroom_say "installing the workbook, JupyterHub, nbgitpuller and nbgrader into $CLASSROOM_VENV"
  build="$(mktemp -d)"
  # Build from a copy: pip must not write build/ or egg-info into the checkout.
  (cd "$REPO" && tar --exclude=.venv --exclude=.git --exclude=node_modules --exclude='*.egg-info' \
    --exclude=build --exclude=test-artifacts -cf - pyproject.toml constraints.txt README.md LICENSE src data notebooks) \
    | tar -xf - -C "$build"
  # (this machine's pip configuration may print a warning per package about a missing local
  # index: only those lines are hidden)
  if ! "$CLASSROOM_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      --upgrade -c "$build/constraints.txt" "$build[hub]" 2>&1 | { grep -v "^WARNING: Location .* is ignored" || true; }; then
    classroom_die "pip install failed (see above)"
  fi
  rm -rf "$build"
  echo "$digest" > "$stamp"
fi
# Students get nbgrader's assignment list only: the per-role labconfig hides the instructors' panels.
# The classroom's nbgrader exchange (per-student inboxes, a collect that refuses impersonation).
purelib="$("$CLASSROOM_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
install -m 644 "$HERE/classroom_exchange.py" "$purelib/classroom_exchange.py"
# Limits per student (cgroups, made by the hub's spawner), and in every kernel a hint naming the
# limit a student's code hit.
install -m 644 "$HERE/classroom_limits.py" "$purelib/classroom_limits.py"
mkdir -p "$CLASSROOM_VENV/etc/ipython"
cat > "$CLASSROOM_VENV/etc/ipython/ipython_kernel_config.py" <<'PY'
# Written by classroom/install.sh: a classroom limit's error says which limit it was.
c = get_config()  # noqa: F821
c.IPKernelApp.exec_lines.append("import classroom_limits as _cl; _cl.hint(); del _cl")
PY
# Every kernel of the venv loads the workbook (check, cite, load, friendly errors from any first cell),
# and Lab opens quietly: no "news" pop-up, the (only) Python kernel without asking, and a word when
# Run All is clicked while the kernel still starts (workbook.kernel.LAB_SETTINGS, the laptop's too).
"$CLASSROOM_VENV/bin/workbook" setup >/dev/null
chmod -R a+rX "$CLASSROOM_VENV"

# The data folder: the wheel ships it (importlib.resources); an older wheel without it reads a copy.
if ! "$CLASSROOM_VENV/bin/python" -c "import sys, workbook.data as d; sys.exit(not (d.default_data_dir() / 'datapackage.json').is_file())" 2>/dev/null; then
  CLASSROOM_DATA="$CLASSROOM_PREFIX/data"
  classroom_say "this workbook wheel has no data/: servers read the copy in $CLASSROOM_DATA"
  rm -rf "$CLASSROOM_DATA" && cp -r "$REPO/data" "$CLASSROOM_DATA" && chmod -R a+rX "$CLASSROOM_DATA"
else
  CLASSROOM_DATA=""
fi

# --- 3. the proxy -------------------------------------------------------------------------------------------
proxy="$CLASSROOM_PREFIX/proxy"
mkdir -p "$proxy"
if ! cmp -s "$HERE/package-lock.json" "$proxy/package-lock.json" \
    || [ ! -x "$proxy/node_modules/.bin/configurable-http-proxy" ]; then
  classroom_say "installing configurable-http-proxy into $proxy"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$proxy/"
  # `npm ci --prefix classroom` (CI does it) leaves an install here to copy; else install from the lock.
  if [ -x "$HERE/node_modules/.bin/configurable-http-proxy" ]; then
    rm -rf "$proxy/node_modules" && cp -a "$HERE/node_modules" "$proxy/node_modules"
  else
    npm ci --prefix "$proxy" --omit=dev --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
chmod -R a+rX "$proxy"

# --- 4. groups, exchange, course, content ---------------------------------------------------------------------
for group in "$CLASSROOM_STUDENTS" "$CLASSROOM_INSTRUCTORS"; do
  getent group "$group" >/dev/null || groupadd "$group"
done
mkdir -p "$CLASSROOM_STATE" "$CLASSROOM_EXCHANGE" "$CLASSROOM_SRV"
chmod 755 "$CLASSROOM_SRV"
chmod 700 "$CLASSROOM_STATE"
# The exchange: made here, owned by root, so that the kernel decides who writes what (see
# classroom_exchange.py): students cannot create course folders, list who submitted, or write
# anywhere but their own inbox (inbound/<student>/, made by add-user).
exchange_course="$CLASSROOM_EXCHANGE/$CLASSROOM_COURSE_ID"
mkdir -p "$exchange_course/outbound" "$exchange_course/feedback" "$exchange_course/inbound"
chown root:root "$CLASSROOM_EXCHANGE" "$exchange_course"
chmod 755 "$CLASSROOM_EXCHANGE" "$exchange_course"
chown root:"$CLASSROOM_INSTRUCTORS" "$exchange_course/outbound" "$exchange_course/feedback" "$exchange_course/inbound"
chmod 2775 "$exchange_course/outbound"   # instructors release; everyone reads
chmod 2771 "$exchange_course/feedback"   # instructors write; a student reaches only their own file
chmod 0751 "$exchange_course/inbound"    # instructors list the inboxes; students only pass through
for student in $(getent group "$CLASSROOM_STUDENTS" | cut -d: -f4 | tr ',' ' '); do
  classroom_inbox "$student"
done
if [ ! -d "$CLASSROOM_COURSE" ]; then
  classroom_say "course folder: $CLASSROOM_COURSE (from exercises/)"
  mkdir -p "$CLASSROOM_COURSE"
  cp -r "$REPO/exercises/source" "$REPO/exercises/nbgrader_config.py" "$CLASSROOM_COURSE/"
  [ -f "$REPO/exercises/README.md" ] && cp "$REPO/exercises/README.md" "$CLASSROOM_COURSE/"
fi
# Instructors share the course (solutions, gradebook); nobody else may read it.
chgrp -R "$CLASSROOM_INSTRUCTORS" "$CLASSROOM_COURSE"
chmod -R u+rwX,g+rwX "$CLASSROOM_COURSE"
chmod o-rwx "$CLASSROOM_COURSE"   # the folder itself keeps others out; the files inside keep
                                   # their read bits, which nbgrader copies to the exchange (feedback)
find "$CLASSROOM_COURSE" -type d -exec chmod g+s {} +

# --- 5. settings and per-role Jupyter configuration -------------------------------------------------------------
mkdir -p "$CLASSROOM_ETC"
chmod 755 "$CLASSROOM_ETC"
rm -rf "$CLASSROOM_ETC/jupyter" && cp -r "$HERE/jupyter" "$CLASSROOM_ETC/jupyter"
chmod -R a+rX "$CLASSROOM_ETC/jupyter"
{
  echo "# Settings of the alliance-workbook classroom (written by classroom/install.sh)."
  echo "# A variable set in the environment wins over its line here."
  for name in CLASSROOM_PREFIX CLASSROOM_SRV CLASSROOM_EXCHANGE CLASSROOM_COURSE_ID CLASSROOM_STUDENTS \
      CLASSROOM_INSTRUCTORS CLASSROOM_BIND_URL CLASSROOM_HUB_PORT CLASSROOM_PROXY_API_PORT CLASSROOM_AUTH \
      CLASSROOM_IDLE_MINUTES CLASSROOM_DATA CLASSROOM_MEMORY_LIMIT CLASSROOM_CPU_LIMIT CLASSROOM_PIDS_LIMIT \
      CLASSROOM_CGROUP CLASSROOM_DISK_QUOTA CLASSROOM_QUOTA_PATHS CLASSROOM_TLS_CERT CLASSROOM_TLS_KEY CLASSROOM_TLS_PORT; do
    printf ': "${%s:=%s}"\n' "$name" "${!name}"
  done
} > "$CLASSROOM_ETC/classroom.env"
chmod 644 "$CLASSROOM_ETC/classroom.env"
# Users' servers read this as git's system config (see jupyterhub_config.py): the content repository
# belongs to root, and git only clones another account's repository when it is marked safe.
{
  [ -f /etc/gitconfig ] && printf '[include]\n\tpath = /etc/gitconfig\n'
  printf '[safe]\n\tdirectory = %s\n' "$CLASSROOM_CONTENT"
} > "$CLASSROOM_ETC/gitconfig"
chmod 644 "$CLASSROOM_ETC/gitconfig"

# The scripts and the hub's configuration, so that the service does not depend on this checkout.
mkdir -p "$CLASSROOM_PREFIX/classroom"
for f in settings.sh start stop add-user remove-user publish grade jupyterhub_config.py README.md; do
  cp "$HERE/$f" "$CLASSROOM_PREFIX/classroom/$f"
done
chmod -R a+rX "$CLASSROOM_PREFIX/classroom"

# The content repository (what nbgitpuller links deliver): the notebooks of the installed workbook.
if [ ! -d "$CLASSROOM_CONTENT" ]; then
  "$HERE/publish" --source "$REPO"
fi

# --- TLS: nginx's site for the classroom ---------------------------------------------------------------------------
if [ "$TLS" = 1 ]; then
  command -v nginx >/dev/null || classroom_die "CLASSROOM_TLS_CERT is set but nginx is missing: apt-get install nginx"
  sed -e "s#@CERT@#$CLASSROOM_TLS_CERT#g" -e "s#@KEY@#$CLASSROOM_TLS_KEY#g" -e "s#@PORT@#$port#g" \
    -e "s#@TLS_PORT@#${CLASSROOM_TLS_PORT:-443}#g" "$HERE/tls/nginx-classroom.conf" > "$CLASSROOM_ETC/nginx-classroom.conf"
  ln -sf "$CLASSROOM_ETC/nginx-classroom.conf" /etc/nginx/conf.d/alliance-classroom.conf
  nginx -t -q || classroom_die "nginx refused the classroom's site ($CLASSROOM_ETC/nginx-classroom.conf)"
  if [ -d /run/systemd/system ]; then systemctl reload-or-restart nginx; elif pgrep -x nginx >/dev/null; then nginx -s reload; else nginx; fi
  classroom_say "TLS: nginx serves https on port ${CLASSROOM_TLS_PORT:-443}; the hub listens on $CLASSROOM_BIND_URL only"
fi

# --- 6. start -----------------------------------------------------------------------------------------------------
if [ "$START" = 1 ]; then
  if [ -d /run/systemd/system ] && [ "$CLASSROOM_ETC" = /etc/alliance-classroom ]; then
    sed -e "s#@PREFIX@#$CLASSROOM_PREFIX#g" "$HERE/alliance-classroom.service" \
      > /etc/systemd/system/alliance-classroom.service
    systemctl daemon-reload
    systemctl enable --now alliance-classroom.service
    classroom_say "started as the systemd service alliance-classroom (journalctl -u alliance-classroom)"
  else
    "$CLASSROOM_PREFIX/classroom/start"
  fi
fi
classroom_say "installed. Add people with: sudo $CLASSROOM_PREFIX/classroom/add-user [--instructor] NAME ..."
