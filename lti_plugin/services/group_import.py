"""Workshop groups and encounters from a CSV file: checked line by line, previewed, then applied whole.

Groups:      group,role,person             (role: coach or student)
Encounters:  encounter,role,person[,date]  (role: sp, coach or student; date as 2026-05-14)

`person` is the email or the LMS user id of someone of the course. Every group or encounter
named in the file gets exactly the members the file lists; the others are left as they are.
Nothing changes unless the whole file is right.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Encounter, EncounterMember, GroupMember, User, WorkshopGroup
from .errors import PlayerError
from .groups import MAX_COACHES, NAME_LIMIT, clear_members
from .people import CourseAccess, known_people, name_role, require_instructor

MAX_BYTES = 512 * 1024
MAX_ROWS = 5000
KINDS = {
    "groups": ("group", ("coach", "student")),
    "encounters": ("encounter", ("sp", "coach", "student")),
}


@dataclass(frozen=True)
class Line:
    """One member line of the file."""

    number: int
    name: str
    role: str
    user: User


@dataclass
class Plan:
    """What an import would do, or why it cannot."""

    kind: str
    lines: list[Line] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dates: dict[str, date | None] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)  # name -> current member count

    def by_name(self) -> dict[str, list[Line]]:
        """The lines grouped by group or encounter name, in file order."""
        grouped: dict[str, list[Line]] = {}
        for line in self.lines:
            grouped.setdefault(line.name, []).append(line)
        return grouped


def _lookup(people: dict[int, User]) -> tuple[dict[str, list[User]], dict[str, User]]:
    emails: dict[str, list[User]] = {}
    subs: dict[str, User] = {}
    for user in people.values():
        if user.email:
            emails.setdefault(user.email.strip().casefold(), []).append(user)
        subs[user.sub] = user
    return emails, subs


def parse(who: CourseAccess, kind: str, text: str) -> Plan:
    """Check a CSV file against the course's people; every problem is reported with its line number."""
    require_instructor(who)
    if kind not in KINDS:
        raise PlayerError("Rapport imports groups or encounters.", 404)
    name_column, roles = KINDS[kind]
    plan = Plan(kind)
    if len(text.encode("utf-8")) > MAX_BYTES:
        plan.errors.append(f"The file is larger than {MAX_BYTES // 1024} KB; split it into several imports.")
        return plan
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    header: list[str] | None = None
    emails, subs = _lookup(known_people(who.course_id))
    seen: dict[tuple[str, int], int] = {}
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().casefold() for cell in row]
                missing = [c for c in (name_column, "role", "person") if c not in header]
                if missing:
                    plan.errors.append(f"Line {reader.line_num}: the first line must name the columns "
                                       f"{name_column},role,person{',date' if kind == 'encounters' else ''} "
                                       f"(missing: {', '.join(missing)}).")
                    return plan
                continue
            if len(plan.lines) + len(plan.errors) >= MAX_ROWS:
                plan.errors.append(f"The file has more than {MAX_ROWS} lines; split it into several imports.")
                break
            _line(plan, reader.line_num, dict(zip(header, (c.strip() for c in row))), name_column, roles,
                  emails, subs, seen)
    except csv.Error as error:
        plan.errors.append(f"Line {reader.line_num}: this is not valid CSV ({error}).")
    if header is None:
        plan.errors.append(f"The file is empty: it needs a first line {name_column},role,person and one line per member.")
    _check_groups(plan)
    names = list(plan.by_name())
    found: list[WorkshopGroup | Encounter] = []
    if kind == "groups":
        found.extend(db.session.scalars(select(WorkshopGroup).where(WorkshopGroup.course_id == who.course_id,
                                                                    WorkshopGroup.name.in_(names))))
    else:
        found.extend(db.session.scalars(select(Encounter).where(Encounter.course_id == who.course_id,
                                                                Encounter.name.in_(names))))
    for row_found in found:
        plan.existing[row_found.name] = len(row_found.members)
    return plan


def _line(plan: Plan, number: int, cells: dict[str, str], name_column: str, roles: tuple[str, ...],
          emails: dict[str, list[User]], subs: dict[str, User], seen: dict[tuple[str, int], int]) -> None:
    where = f"Line {number}"
    name, role, person = cells.get(name_column, ""), cells.get("role", "").casefold(), cells.get("person", "")
    problems = []
    if not name:
        problems.append(f"{where}: the {name_column} name is empty.")
    elif len(name) > NAME_LIMIT:
        problems.append(f"{where}: the {name_column} name is longer than {NAME_LIMIT} characters.")
    if role not in roles:
        problems.append(f"{where}: the role must be {' or '.join(roles)}, not {role[:30]!r}.")
    user: User | None = None
    matches = emails.get(person.casefold(), [])
    if not person:
        problems.append(f"{where}: the person is empty (give an email or an LMS user id).")
    elif person in subs:
        user = subs[person]
    elif len(matches) == 1:
        user = matches[0]
    elif len(matches) > 1:
        problems.append(f"{where}: several people of this course have the email {person[:80]!r}; "
                        "give their LMS user id instead.")
    else:
        problems.append(f"{where}: nobody in this course has the email or LMS user id {person[:80]!r} "
                        "(refresh the roster on the People page if they joined recently).")
    if plan.kind == "encounters" and name:
        raw = cells.get("date", "")
        try:
            when = date.fromisoformat(raw) if raw else None
        except ValueError:
            problems.append(f"{where}: the date must look like 2026-05-14, not {raw[:20]!r}.")
        else:
            if name in plan.dates and raw and plan.dates[name] not in (None, when):
                problems.append(f"{where}: {name} already has the date {plan.dates[name]} on an earlier line.")
            elif when is not None or name not in plan.dates:
                plan.dates[name] = when
    if user is not None and name:
        first = seen.get((name, user.id))
        if first is not None:
            problems.append(f"{where}: {user.display_name} is already in {name} (line {first}).")
        seen.setdefault((name, user.id), number)
    if problems:
        plan.errors.extend(problems)
    elif user is not None:
        plan.lines.append(Line(number, name, role, user))


def _check_groups(plan: Plan) -> None:
    if plan.kind != "groups":
        return
    for name, lines in plan.by_name().items():
        coaches = [line.number for line in lines if line.role == "coach"]
        if len(coaches) > MAX_COACHES:
            plan.errors.append(f"{name} has {len(coaches)} coaches (lines {', '.join(map(str, coaches))}); "
                               f"a group has one or two.")


def apply(who: CourseAccess, plan: Plan) -> int:
    """Make the course's groups or encounters what the file says (the caller commits); members set."""
    require_instructor(who)
    if plan.errors:
        raise PlayerError("The file has problems; nothing was imported.", 422)
    for name, lines in plan.by_name().items():
        row: WorkshopGroup | Encounter | None
        if plan.kind == "groups":
            row = db.session.scalar(select(WorkshopGroup).where(WorkshopGroup.course_id == who.course_id,
                                                                WorkshopGroup.name == name))
            if row is None:
                row = WorkshopGroup(course_id=who.course_id, name=name)
                db.session.add(row)
        else:
            row = db.session.scalar(select(Encounter).where(Encounter.course_id == who.course_id,
                                                            Encounter.name == name))
            if row is None:
                row = Encounter(course_id=who.course_id, name=name, open_to_all=False)
                db.session.add(row)
            row.occurs_on = plan.dates.get(name) or row.occurs_on
        db.session.flush()
        clear_members(row)
        for line in lines:
            if line.role in ("coach", "sp"):
                name_role(who.course_id, line.user.id, line.role, who.user_id)
            member = (GroupMember(group_id=row.id, user_id=line.user.id, role=line.role) if plan.kind == "groups"
                      else EncounterMember(encounter_id=row.id, user_id=line.user.id, role=line.role))
            db.session.add(member)
        db.session.flush()
    return len(plan.lines)
