"""nbgrader's filesystem exchange with per-student inboxes: a submission belongs to whoever made it.

The install lays the exchange out so that the kernel enforces who may write what:

    <root>/                      root, 0755          students cannot create course folders
    <root>/<course>/             root, 0755
        outbound/                root:instructors 2775   instructors release, everyone reads
        feedback/                root:instructors 2771   instructors write, students reach their own file
        inbound/                 root:instructors 0751   nobody but instructors can list who submitted
        inbound/<student>/       <student>:instructors 2750  only that student can write here

Students submit into their own inbox (``ClassroomSubmit``: never in another name).  Instructors
collect (``ClassroomCollect``) only a submission whose folder name, inbox and every file's owner are
the same account; anything else is refused, logged as an error naming the accounts and written to
``flagged-submissions.txt`` in the course folder, and never replaces the real student's work.
Enabled for both roles by the classroom's nbgrader_config.py (``ExchangeFactory``).
"""

from __future__ import annotations

import base64
import datetime
import glob
import os
import pwd
import re
import stat

from nbgrader.exchange.default import (
    ExchangeCollect,
    ExchangeFetchAssignment,
    ExchangeFetchFeedback,
    ExchangeList,
    ExchangeReleaseAssignment,
    ExchangeReleaseFeedback,
    ExchangeSubmit,
)
from nbgrader.utils import check_mode, get_username

FLAG_FILE = "flagged-submissions.txt"


class InstalledFolders:
    """The exchange's root and course folders are made (root-owned) by the install, not by nbgrader."""

    def ensure_root(self):
        if not (os.path.isdir(self.root) and check_mode(self.root, read=True, execute=True)):
            self.fail(f"The exchange {self.root} is missing or unreadable: ask your administrator")

    def ensure_directory(self, path, mode):
        if not os.path.isdir(path):
            self.fail(f"{path} does not exist: run classroom/install.sh (it makes the exchange's folders)")


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


class ClassroomSubmit(InstalledFolders, ExchangeSubmit):
    """Submit into inbound/<me>/, only ever under my own account name, readable by instructors only."""

    def init_dest(self):
        me = get_username()
        course = self.coursedir.course_id
        if course == "":
            self.fail("No course id specified. Re-run with --course flag.")
        if self.coursedir.student_id not in ("*", "", me):
            self.fail(
                f"Refused: you are {me}; a submission can only be made in your own name, "
                f"not as {self.coursedir.student_id!r}."
            )
        if not self.authenticator.has_access(me, course):
            self.fail("You do not have access to this course.")
        self.inbound_path = os.path.join(self.root, course, "inbound", me)
        if not os.path.isdir(self.inbound_path):
            self.fail(f"You have no inbox in this course ({self.inbound_path}): ask your instructor.")
        if not check_mode(self.inbound_path, write=True, execute=True):
            self.fail(f"You cannot write to your inbox {self.inbound_path}: ask your instructor.")
        self.cache_path = os.path.join(self.cache, course)
        random_str = base64.urlsafe_b64encode(os.urandom(9)).decode("ascii")
        self.assignment_filename = f"{me}+{self.coursedir.assignment_id}+{self.timestamp}+{random_str}"

    def copy_files(self):
        super().copy_files()
        # nbgrader makes the submission 0777 "so the instructor can delete it": here the instructors'
        # group reads it and nobody else even reaches it.
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), 0o2750)


class ClassroomCollect(InstalledFolders, ExchangeCollect):
    """Collect the latest genuine submission of each student; refuse and flag every impersonation."""

    def init_src(self):
        course = self.coursedir.course_id
        if course == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, course)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You cannot read the inboxes in {self.inbound_path}: are you an instructor?")
        student = self.coursedir.student_id or "*"
        assignment = self.coursedir.assignment_id
        genuine = {}
        pattern = os.path.join(self.inbound_path, "*", f"{student}+{assignment}+*")
        for path in sorted(glob.glob(pattern)):
            inbox = os.path.basename(os.path.dirname(path))
            claimed = os.path.basename(path).split("+", 1)[0]
            problem = self.impersonation(path, inbox, claimed)
            record = None
            if problem is None:
                try:
                    record = self._path_to_record(path)
                except Exception:  # noqa: BLE001 - any unreadable name is refused, not fatal
                    problem = "its name is not <student>+<assignment>+<timestamp>"
            if problem is not None:
                self.flag(path, claimed, inbox, problem)
                continue
            record["filename"] = os.path.join(inbox, record["filename"])
            genuine.setdefault(claimed, []).append(record)

        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(assignment).duedate
            except MissingEntry:
                self.duedate = None
        self.src_records = []
        for records in genuine.values():
            records = self._sort_by_timestamp(records)
            if self.duedate is not None and self.before_duedate:
                before = [r for r in records if r["timestamp"] <= self.duedate]
                records = before or records
            self.src_records.append(records[0])

    @staticmethod
    def impersonation(path: str, inbox: str, claimed: str) -> str | None:
        """Why this submission is not the inbox owner's own, or None when it is."""
        if claimed != inbox:
            return f"it is named for {claimed} but lies in {inbox}'s inbox"
        strangers = set()
        if owner_name(os.lstat(path).st_uid) != claimed:
            strangers.add(owner_name(os.lstat(path).st_uid))

        def unreadable(error):
            raise error

        try:
            walked = list(os.walk(path, onerror=unreadable))
        except OSError as error:
            return f"the instructors cannot read all of it ({error.strerror}: {error.filename})"
        for folder, dirs, files in walked:
            for entry in [folder] + [os.path.join(folder, n) for n in dirs + files]:
                info = os.lstat(entry)
                if stat.S_ISLNK(info.st_mode):
                    return f"it holds a symbolic link ({os.path.relpath(entry, path)})"
                name = owner_name(info.st_uid)
                if name != claimed:
                    strangers.add(name)
        if strangers:
            return f"it is named for {claimed} but written by {', '.join(sorted(strangers))}"
        return None

    def flag(self, path: str, claimed: str, inbox: str, problem: str) -> None:
        try:
            owner = owner_name(os.lstat(path).st_uid)
        except OSError:
            owner = "unknown"
        message = (
            f"REFUSED {os.path.relpath(path, self.inbound_path)}: {problem}. Not collected; "
            f"made by {owner}, claiming {claimed}. Flagged in {FLAG_FILE}."
        )
        self.log.error(message)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = "\t".join(
            [now, self.coursedir.assignment_id, f"made by {owner}", f"claims {claimed}", message]
        )
        path = os.path.join(self.coursedir.root, FLAG_FILE)
        with open(path, "a") as f:
            f.write(line + "\n")
        if os.stat(path).st_uid == os.getuid():
            os.chmod(path, 0o660)  # every instructor (the course folder's group) appends to it


class ClassroomList(InstalledFolders, ExchangeList):
    """`nbgrader list --inbound` reads the per-student inboxes."""

    def init_dest(self):
        super().init_dest()
        if self.inbound:
            course = self.coursedir.course_id or "*"
            assignment = self.coursedir.assignment_id or "*"
            student = self.coursedir.student_id or "*"
            pattern = os.path.join(self.root, course, "inbound", "*", f"{student}+{assignment}+*")
            self.assignments = sorted(glob.glob(pattern))

    def parse_assignment(self, assignment):
        if self.inbound:
            assignment = re.sub(r"/inbound/[^/]+/", "/inbound/", assignment)
        return super().parse_assignment(assignment)


class ClassroomReleaseAssignment(InstalledFolders, ExchangeReleaseAssignment):
    """Release into the install's outbound folder."""


class ClassroomReleaseFeedback(InstalledFolders, ExchangeReleaseFeedback):
    """Release feedback into the install's feedback folder."""


class ClassroomFetchAssignment(InstalledFolders, ExchangeFetchAssignment):
    """Fetch from a root-owned exchange."""


class ClassroomFetchFeedback(InstalledFolders, ExchangeFetchFeedback):
    """Fetch feedback from a root-owned exchange."""


def configure(c) -> None:
    """Point nbgrader's exchange at these classes (called from the classroom's nbgrader_config.py)."""
    for action, cls in {
        "submit": ClassroomSubmit,
        "collect": ClassroomCollect,
        "list": ClassroomList,
        "release_assignment": ClassroomReleaseAssignment,
        "release_feedback": ClassroomReleaseFeedback,
        "fetch_assignment": ClassroomFetchAssignment,
        "fetch_feedback": ClassroomFetchFeedback,
    }.items():
        setattr(c.ExchangeFactory, action, f"{__name__}.{cls.__name__}")
