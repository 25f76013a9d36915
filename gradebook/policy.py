"""A late policy: one TOML file per assignment, and what it does to each student's total.

::

    # policy.toml, for mle
    deadline = 2026-05-01T23:59:00      # local time in `timezone` (a TOML date-time or a string)
    timezone = "Europe/Berlin"          # an IANA zone (zoneinfo)
    grace_minutes = 10                  # this late still counts as on time

    [late]
    penalty_percent = 10                # lost per started period ...
    per = "day"                         # ... of a "day" or an "hour"
    of = "score"                        # of the points scored ("score") or of the maximum ("max")
    nothing_after = 3                   # later than this many periods: nothing (0 points)
    without_evidence = "no-penalty"     # no time to go by: "no-penalty" (the default) or "zero"
    canvas_late = "no-penalty"          # Canvas marked it late, no time: "no-penalty" or "one-period"
    lms_timezone = "Europe/Berlin"      # the zone of Blackboard's attempt stamps (default: `timezone`)

    [extensions]                        # per student: a new deadline, in `timezone`
    smithbob_340934 = 2026-05-03T23:59:00

A student is named in ``[extensions]`` as the gradebook names them: the
LMS download's name (Canvas ``lastfirst_<id>``, Moodle ``Full Name_<id>``,
Blackboard's username) or the student's folder name.

Submission times come only from evidence the student cannot write
(:func:`evidence`): Blackboard's attempt stamp in the download's file name
(the server's clock), Canvas's own ``late`` mark in its file names (whether,
not when), the server's push time that ``frontdoors.classroom.collect``
recorded. Never a file's modification time, which the student's archive
sets. Without evidence the row says so, and ``without_evidence`` decides
(default: no penalty).

Lateness is measured from the student's deadline (their extension, else the
deadline); up to ``grace_minutes`` after it counts as on time; past the
grace, the periods are counted from the deadline itself, every started one
(a minute past the grace is one started day).
"""
from __future__ import annotations

import datetime as dt
import math
import tomllib
import zoneinfo
from dataclasses import dataclass, field

from autograder import files
from autograder.text import one_line

#: the largest policy file read
MAX_POLICY_BYTES = 1 << 20
PERIODS = {"day": dt.timedelta(days=1), "hour": dt.timedelta(hours=1)}
TOP_KEYS = {"deadline", "timezone", "grace_minutes", "late", "extensions"}
LATE_KEYS = {"penalty_percent", "per", "of", "nothing_after", "without_evidence", "canvas_late", "lms_timezone"}


class PolicyError(ValueError):
    """A policy file that cannot be used; ``str()`` names the key and says how to fix it."""


@dataclass
class Policy:
    """A parsed late policy (see the module's docstring for the file)."""

    deadline: dt.datetime                  # aware
    zone: zoneinfo.ZoneInfo
    grace: dt.timedelta = dt.timedelta(0)
    percent: float = 0.0
    per: str = "day"
    of: str = "score"
    nothing_after: int | None = None
    without_evidence: str = "no-penalty"
    canvas_late: str = "no-penalty"
    lms_zone: zoneinfo.ZoneInfo | None = None
    extensions: dict = field(default_factory=dict)   # student -> aware datetime
    source: str = ""

    def rule(self):
        """The rule in one sentence, as the gradebook, the feedback pages and the class report state it."""
        grace = f", {self.grace.total_seconds() / 60:g} minutes' grace" if self.grace else ""
        text = f"Deadline {_shown(self.deadline)}{grace}"
        if self.percent:
            text += (f"; late work loses {self.percent:g} % of its {'score' if self.of == 'score' else 'maximum'} "
                     f"per started {self.per}")
        else:
            text += "; late work loses nothing"
        if self.nothing_after is not None:
            text += f", and scores nothing more than {self.nothing_after} {self.per}{'s' * (self.nothing_after != 1)} late"
        text += ("; without evidence of the submission time: "
                 + ("no penalty" if self.without_evidence == "no-penalty" else "scored nothing"))
        if self.extensions:
            text += f"; {len(self.extensions)} extension{'s' * (len(self.extensions) != 1)}"
        return text + "."


def _shown(when):
    """``2026-05-01 23:59 Europe/Berlin (UTC+02:00)``: the zone's IANA name where it has one."""
    zone = getattr(when.tzinfo, "key", None) or when.tzname() or ""
    offset = when.strftime("%z")
    return f"{when:%Y-%m-%d %H:%M} {zone} (UTC{offset[:3]}:{offset[3:]})"


def _zone(value, key):
    if not isinstance(value, str) or not value:
        raise PolicyError(f"{key} must be an IANA time zone name such as \"Europe/Berlin\" or \"UTC\"")
    try:
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"{key} = {one_line(value, 60)!r} is no time zone known here; give an IANA name "
                          "such as \"Europe/Berlin\", \"America/New_York\" or \"UTC\"") from None


def _when(value, key, zone):
    """A TOML local date-time (or such a string) in ``zone``; an offset given in the file wins."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise PolicyError(f"{key} = {one_line(value, 60)!r} is no date and time; write it as "
                              "2026-05-01T23:59:00 (local time in `timezone`)") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        raise PolicyError(f"{key} is a date without a time; write the time too, e.g. {value.isoformat()}T23:59:00")
    if not isinstance(value, dt.datetime):
        raise PolicyError(f"{key} must be a date and time such as 2026-05-01T23:59:00")
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _number(table, key, shown, default, *, integer=False, low=0.0, high=None):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)) \
            or not math.isfinite(value) or value < low or (high is not None and value > high):
        kind = "a whole number" if integer else "a number"
        bounds = f" from {low:g}" + (f" to {high:g}" if high is not None else "")
        raise PolicyError(f"{shown} must be {kind}{bounds} (it is {one_line(repr(value), 60)})")
    return value


def _choice(table, key, shown, choices, default):
    value = table.get(key, default)
    if value not in choices:
        raise PolicyError(f"{shown} must be one of {', '.join(repr(c) for c in choices)} "
                          f"(it is {one_line(repr(value), 60)})")
    return value


def parse(text, source="policy"):
    """The :class:`Policy` of a policy file's ``text``; raises :class:`PolicyError` naming the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source} is not valid TOML: {one_line(exc, 200)}") from None
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise PolicyError(f"unknown key {one_line(unknown[0], 60)!r} in {source}; the keys are "
                          + ", ".join(sorted(TOP_KEYS)))
    for key in ("deadline", "timezone"):
        if key not in data:
            raise PolicyError(f"{source} has no {key}: add e.g. "
                              + ("deadline = 2026-05-01T23:59:00" if key == "deadline" else 'timezone = "Europe/Berlin"'))
    zone = _zone(data["timezone"], "timezone")
    late = data.get("late", {})
    if not isinstance(late, dict):
        raise PolicyError("late must be a table: [late] with penalty_percent, per, nothing_after ...")
    unknown = sorted(set(late) - LATE_KEYS)
    if unknown:
        raise PolicyError(f"unknown key late.{one_line(unknown[0], 60)} in {source}; the keys of [late] are "
                          + ", ".join(sorted(LATE_KEYS)))
    extensions = data.get("extensions", {})
    if not isinstance(extensions, dict):
        raise PolicyError("extensions must be a table: [extensions] with one line per student, "
                          "student = 2026-05-03T23:59:00")
    nothing_after = late.get("nothing_after")
    return Policy(
        deadline=_when(data["deadline"], "deadline", zone), zone=zone,
        grace=dt.timedelta(minutes=_number(data, "grace_minutes", "grace_minutes", 0, high=7 * 24 * 60)),
        percent=float(_number(late, "penalty_percent", "late.penalty_percent", 0, high=100)),
        per=_choice(late, "per", "late.per", tuple(PERIODS), "day"),
        of=_choice(late, "of", "late.of", ("score", "max"), "score"),
        nothing_after=None if nothing_after is None else _number(late, "nothing_after", "late.nothing_after",
                                                                  None, integer=True),
        without_evidence=_choice(late, "without_evidence", "late.without_evidence", ("no-penalty", "zero"),
                                 "no-penalty"),
        canvas_late=_choice(late, "canvas_late", "late.canvas_late", ("no-penalty", "one-period"), "no-penalty"),
        lms_zone=_zone(late["lms_timezone"], "late.lms_timezone") if "lms_timezone" in late else None,
        extensions={str(k): _when(v, f"extensions.{one_line(k, 60)}", zone) for k, v in extensions.items()},
        source=source)


def load(path):
    """The :class:`Policy` of the file ``path`` (a regular file, never through a link, at most
    :data:`MAX_POLICY_BYTES`); raises :class:`PolicyError` saying what is wrong."""
    shown = one_line(str(path), 200)
    try:
        raw = files.read_regular(path, MAX_POLICY_BYTES, display=shown)
    except files.NotRead as exc:
        raise PolicyError(f"the policy file {shown} was not read ({exc.short}): give a regular file "
                          f"of at most {files.size_text(MAX_POLICY_BYTES)}") from None
    except OSError as exc:
        raise PolicyError(f"the policy file {shown} cannot be read: {one_line(exc.strerror or exc, 100)}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"the policy file {shown} is not UTF-8 text (TOML is)") from None
    return parse(text, source=shown)


@dataclass
class Evidence:
    """When a submission reached the LMS, and how we know: ``at`` (aware) or None, ``late`` (Canvas's
    mark: True / False / None for no mark to go by), ``source`` (said in the row)."""

    at: dt.datetime | None
    late: bool | None
    source: str


def evidence(identity, policy, pushed=None):
    """The :class:`Evidence` of a student's submission time, from what the student cannot write.

    ``identity`` is what ``grade-all`` keeps of the student (``Student.identity()``): Blackboard's
    attempt stamp (``YYYY-MM-DD-hh-mm-ss``, the server's clock, read in ``late.lms_timezone``),
    Canvas's ``late`` mark; ``pushed`` the server's push time (ISO 8601) that Classroom's collect
    recorded. Never a file's modification time.
    """
    if pushed:
        try:
            at = dt.datetime.fromisoformat(pushed.replace("Z", "+00:00"))
        except ValueError:
            at = None
        if at is not None:
            at = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
            return Evidence(at, None, "the server's push time (collected.csv)")
    if identity.get("lms") == "blackboard" and identity.get("stamp"):
        try:
            at = dt.datetime.strptime(identity["stamp"], "%Y-%m-%d-%H-%M-%S")
        except ValueError:
            at = None
        if at is not None:
            return Evidence(at.replace(tzinfo=policy.lms_zone or policy.zone), None,
                            "Blackboard's attempt stamp in the download's file name")
    if identity.get("lms") == "canvas":
        marked = bool(identity.get("late_marker"))
        return Evidence(None, marked, "Canvas marked it late in the download's file name (no time given)"
                        if marked else "Canvas did not mark it late in the download's file name")
    return Evidence(None, None, "no evidence of the time")


def _fmt_delta(delta):
    minutes = int(delta.total_seconds() // 60)
    d, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    parts = [f"{d} d"] * bool(d) + [f"{h} h"] * bool(h) + [f"{m} min"] * bool(m or not (d or h))
    return " ".join(parts)


def apply(policy, who, raw, max_score, ev):
    """One student's row: ``{submitted_at, late_by, penalty, evidence, raw, total, periods}``.

    ``raw`` is the score before the penalty (None for a student not graded: no penalty, no total).
    """
    deadline = policy.extensions.get(who, policy.deadline)
    ext = " (extension)" if who in policy.extensions else ""
    row = {"submitted_at": "", "late_by": "", "penalty": 0.0, "raw": raw, "total": raw, "periods": 0,
           "evidence": ev.source, "deadline": _shown(deadline) + ext}
    periods = 0
    if ev.at is not None:
        at = ev.at.astimezone(policy.zone)
        row["submitted_at"] = at.isoformat(timespec="seconds")
        late_by = at - deadline
        if late_by > policy.grace:
            row["late_by"] = _fmt_delta(late_by)
            periods = math.ceil(late_by / PERIODS[policy.per])
        else:
            row["late_by"] = "on time" if late_by <= dt.timedelta(0) else f"{_fmt_delta(late_by)}, within the grace"
    elif ev.late is True and ext:
        row["evidence"] += ("; Canvas's mark is against its own due date, not this extension: "
                            + _unknown(policy, row))
        periods = _unknown_periods(policy)
    elif ev.late is True:
        if policy.canvas_late == "one-period":
            row["late_by"], periods = f"late (by at most 1 {policy.per} charged: canvas_late = \"one-period\")", 1
        else:
            row["late_by"] = "late (time unknown)"
            row["evidence"] += "; no penalty applied (canvas_late = \"no-penalty\")"
    elif ev.late is False:
        row["late_by"] = "on time (by Canvas's due date)"
    else:
        row["evidence"] += ": " + _unknown(policy, row)
        periods = _unknown_periods(policy)
    row["periods"] = periods
    if raw is None:
        row["penalty"] = 0.0
        return row
    if periods == -1 or (policy.nothing_after is not None and periods > policy.nothing_after):
        penalty = raw
    else:
        base = raw if policy.of == "score" else max_score
        penalty = min(raw, base * policy.percent / 100 * periods)
    row["penalty"] = round(penalty, 6)
    row["total"] = round(raw - penalty, 6)
    return row


def last_accepted(policy, who, now=None):
    """The latest time a submission of ``who`` still counts for something (aware), or None when late
    work is accepted without end: their deadline plus the grace, or plus ``nothing_after`` periods.

    What Classroom's collect takes: the last push before it, whose server time then decides the penalty.
    """
    deadline = policy.extensions.get(who, policy.deadline)
    if policy.nothing_after is None:
        return None if policy.percent < 100 else deadline + policy.grace
    return deadline + max(policy.grace, policy.nothing_after * PERIODS[policy.per])


def _unknown(policy, row):
    return "no penalty applied" if policy.without_evidence == "no-penalty" else "scored nothing (without_evidence = \"zero\")"


def _unknown_periods(policy):
    return 0 if policy.without_evidence == "no-penalty" else -1
