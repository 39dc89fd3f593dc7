"""Recording a validated launch: the user, the course, the link, the membership, a launch session."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import Table, and_, bindparam, exists, literal, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from ..content.library import ContentLibrary
from ..extensions import db
from ..lti import claims as c
from ..lti.config_cache import DeploymentInfo, RegistrationInfo
from ..lti.roles import rapport_role
from ..lti.state import digest
from ..models import (Acknowledgement, Course, Deployment, LaunchSession, Membership, ModuleProgress, QuizAttempt,
                      Registration, ResourceLink, User, utcnow)
from ..observability import note_launch_opened
from . import activities
from .core_rows import connection, insert_row, loaded


LAST_LAUNCH_PRECISION = timedelta(seconds=60)

# Built once: every launch runs these, and building a statement costs more than running it.
_USER = select(User).where(User.issuer == bindparam("issuer"), User.sub == bindparam("sub"))
# Every page shows the user and the course and most need the link: one query for all four.
_LS = cast(Table, LaunchSession.__table__)
_UJ, _CJ, _LJ = (cast(Table, model.__table__).alias(name) for model, name in
                 ((User, "u"), (Course, "c"), (ResourceLink, "l")))
_LAUNCH_SESSION = (
    select(*(column.label("s_" + column.key) for column in _LS.c),
           *(column.label(f"{alias.name}_{column.key}") for alias in (_UJ, _CJ, _LJ) for column in alias.c))
    .select_from(_LS.join(_UJ, _UJ.c.id == _LS.c.user_id).outerjoin(_CJ, _CJ.c.id == _LS.c.course_id)
                 .outerjoin(_LJ, _LJ.c.id == _LS.c.resource_link_id))
    .where(_LS.c.token_hash == bindparam("token_hash")))


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def upsert_user(issuer: str, body: dict[str, Any]) -> User:
    """The user for this platform's `sub`, with the name and email the launch sent."""
    user = db.session.scalar(_USER, {"issuer": issuer, "sub": body["sub"]})
    if user is None:
        user = User(issuer=issuer, sub=body["sub"])
        db.session.add(user)
    for field, value in _user_fields(body).items():
        setattr(user, field, value)
    return user


def _user_fields(body: dict[str, Any]) -> dict[str, str]:
    # Only what was sent: a platform that hides names keeps them hidden.
    return {field: _text(body[field], limit) for field, limit in _USER_FIELDS if field in body}


_USER_FIELDS = (("name", 255), ("given_name", 255), ("family_name", 255), ("email", 320), ("picture", 1024))


# -- the launch's own records, written with prebuilt Core statements (see core_rows) ------------
_U, _C, _L, _M, _D = (cast(Table, model.__table__) for model in (User, Course, ResourceLink, Membership, Deployment))
# One lookup for the launch's four records (each unique, so one row, NULLs for what is new).
_ONE = select(literal(1).label("one")).subquery("one")
_WORK = tuple(cast(Table, model.__table__) for model in (ModuleProgress, QuizAttempt))


def any_work(user_id: Any, link_id: Any) -> ColumnElement[bool]:
    """Whether the learner has work in the placement: a module opened (progress) or a quiz attempted."""
    return or_(*(exists().where(work.c.user_id == user_id, work.c.resource_link_id == link_id) for work in _WORK))


_ACKS = cast(Table, Acknowledgement.__table__)
# The progress row of the module the link shows, when it shows one (an alias: the EXISTS above
# reads module_progress too, and must not be correlated with this join).
_PJ = cast(Table, ModuleProgress.__table__).alias("p")


def _exists_for_learner(table: Table) -> ColumnElement[bool]:
    return exists().where(table.c.user_id == _U.c.id, table.c.resource_link_id == _L.c.id)


# It also answers what work the learner has in the placement yet (a graded placement's first
# launch reports "Started" only before there is any; the first page need not look for quiz
# attempts or confirmations that do not exist), and brings the progress row of the module the
# link shows: the first page's reads, answered by the launch's one lookup.
_LOOKUP = (
    select(*(column.label(prefix + column.key) for table, prefix in ((_U, "u_"), (_C, "c_"), (_L, "l_"), (_M, "m_"))
             for column in table.c),
           *(column.label("p_" + column.key) for column in _PJ.c),
           *(_exists_for_learner(table).label(name) for table, name in
             ((_WORK[0], "any_progress"), (_WORK[1], "any_attempt"), (_ACKS, "any_acknowledgement"))))
    .select_from(
        _ONE.outerjoin(_U, and_(_U.c.issuer == bindparam("issuer"), _U.c.sub == bindparam("sub")))
        .outerjoin(_C, and_(_C.c.deployment_id == bindparam("deployment_id"), _C.c.context_id == bindparam("context_id")))
        .outerjoin(_L, and_(_L.c.deployment_id == bindparam("deployment_id"), _L.c.resource_link_id == bindparam("link_id")))
        .outerjoin(_M, and_(_M.c.course_id == _C.c.id, _M.c.user_id == _U.c.id))
        .outerjoin(_PJ, and_(_PJ.c.user_id == _U.c.id, _PJ.c.resource_link_id == _L.c.id,
                             _L.c.content_kind == "module", _PJ.c.module_id == _L.c.content_id))))
# Without .values(): the SET clause is the parameters given, besides row_id (and onupdate columns).
_UPDATE = {table: update(table).where(table.c.id == bindparam("row_id")) for table in (_U, _C, _L, _M)}
_TOUCH_DEPLOYMENT = update(_D).where(
    _D.c.id == bindparam("row_id"),
    or_(_D.c.last_launch_at.is_(None), _D.c.last_launch_at < bindparam("before"))).values(last_launch_at=bindparam("now"))


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The values that differ from the object's, set on it as written (the caller writes them)."""
    changed = {key: value for key, value in values.items() if getattr(obj, key) != value}
    for key, value in changed.items():
        set_committed_value(obj, key, value)
    return changed


def _write(model: type[Any], table: Table, found: Any, prefix: str, values: dict[str, Any]) -> Any:
    """The row found (its columns labelled `prefix`...; updated where `values` differ) as an ORM object, or a new row."""
    if found is None:
        return insert_row(model(**values))
    obj = loaded(model, found, prefix)
    changed = _changes(obj, values)
    if changed:
        connection().execute(_UPDATE[table], {"row_id": obj.id, **changed})
        # the onupdate time the UPDATE wrote is not read back: expire it rather than show a stale one
        if "updated_at" in table.c:
            db.session.expire(obj, ["updated_at"])
    return obj


def _link_values(library: ContentLibrary | None, link: dict[str, Any], found: Any, course: Course | None,
                 body: dict[str, Any]) -> dict[str, Any]:
    """The link's values from the launch; `found`: the lookup's row when the link exists."""
    known = found is not None
    values: dict[str, Any] = {"course_id": course.id if course is not None else None,
                              "title": _text(link.get("title"), 512) or (found.l_title if known else "")}
    custom = body.get(c.CUSTOM)
    if isinstance(custom, dict):
        values["custom"] = {str(k)[:100]: str(v)[:1000] for k, v in custom.items()}
    if library is not None:
        # What deep linking chose, from the custom parameters: the same as bind_from_custom on the row.
        probe = ResourceLink(custom=values.get("custom", found.l_custom if known else {}),
                             content_kind=found.l_content_kind if known else None,
                             content_id=found.l_content_id if known else None,
                             points=found.l_points if known else None)
        activities.bind_from_custom(library, probe)
        values.update(content_kind=probe.content_kind, content_id=probe.content_id, points=probe.points)
    return values


def record_launch(
    registration: Registration | RegistrationInfo, deployment: Deployment | DeploymentInfo, body: dict[str, Any],
    kept: dict[str, Any], lifetime: int, library: ContentLibrary | None = None,
) -> tuple[str, LaunchSession]:
    """Store what a validated launch says and open a launch session; returns its secret token.

    With `library`, the placement is also bound to what deep linking chose (its custom parameters).
    A handful of prebuilt statements: a lookup per record, an INSERT for each new one, an UPDATE
    only for what changed.
    """
    now = utcnow()
    context = body.get(c.CONTEXT)
    context = context if isinstance(context, dict) else None
    link_claim = body.get(c.RESOURCE_LINK)
    link_claim = link_claim if isinstance(link_claim, dict) and link_claim.get("id") else None
    row = connection().execute(_LOOKUP, {
        "issuer": registration.issuer, "sub": body["sub"], "deployment_id": deployment.id,
        "context_id": context["id"] if context is not None else None,
        "link_id": link_claim["id"] if link_claim is not None else None,
    }).one()
    found_user = row if row.u_id is not None else None
    user: User = _write(User, _U, found_user, "u_", {"issuer": registration.issuer, "sub": body["sub"],
                                                     **_user_fields(body)} if found_user is None else _user_fields(body))
    course: Course | None = None
    found_course = row if context is not None and row.c_id is not None else None
    if context is not None:
        values: dict[str, Any] = {"title": _text(context.get("title"), 512), "label": _text(context.get("label"), 255)}
        values = {k: v for k, v in values.items() if v}  # an empty title keeps the one known
        if found_course is None:
            values.update(deployment_id=deployment.id, context_id=context["id"][:255])
        course = _write(Course, _C, found_course, "c_", values)
    link: ResourceLink | None = None
    if link_claim is not None:
        found_link = row if row.l_id is not None else None
        values = _link_values(library, link_claim, found_link, course, body)
        if found_link is None:
            values.update(deployment_id=deployment.id, resource_link_id=link_claim["id"][:255])
        link = _write(ResourceLink, _L, found_link, "l_", values)
    lti_roles = [r for r in body.get(c.ROLES, []) if isinstance(r, str)][:50]
    role = rapport_role(lti_roles)
    if course is not None:
        found_membership = row if found_course is not None and row.m_id is not None else None
        values = {"lti_roles": lti_roles, "role": role}
        if found_membership is None:
            values.update(course_id=course.id, user_id=user.id)
        _write(Membership, _M, found_membership, "m_", values)
    _touch(deployment, now)
    token = secrets.token_urlsafe(32)
    session = LaunchSession(
        token_hash=digest(token), registration_id=registration.id, deployment_id=deployment.id,
        user_id=user.id, course_id=course.id if course is not None else None,
        resource_link_id=link.id if link is not None else None, message_type=body[c.MESSAGE_TYPE], role=role,
        lti_roles=lti_roles, claims=kept, created_at=now, expires_at=now + timedelta(seconds=lifetime),
    )
    insert_row(session)
    # set_committed_value: the relationships as loaded, not as changes for the next flush
    for name, value in (("user", user), ("course", course), ("resource_link", link)):
        set_committed_value(session, name, value)
    note_launch_opened(session.course_id, session.user_id, session.message_type)
    if found_user is None:
        setattr(session, _NEW_USER_MARK, True)
    work = WorkFound(bool(row.any_progress), bool(row.any_attempt), bool(row.any_acknowledgement))
    if work.progress and link is not None and row.l_id is not None and row.l_content_kind == "module" \
            and link.content_kind == "module" and link.content_id == row.l_content_id:
        # the module the link showed before this launch and still shows: its row, or that there is none
        work.modules[row.l_content_id] = loaded(ModuleProgress, row, "p_") if row.p_id is not None else None
    setattr(session, _WORK_MARK, work)
    return token, session


def _touch(deployment: Deployment | DeploymentInfo, now: datetime) -> None:
    """Note the deployment's last launch, at most once a minute per process.

    Every launch of a course goes through the same deployment row: writing it each time would
    make simultaneous launches queue on its lock. A minute's precision is enough to show admins.
    """
    last = deployment.last_launch_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    # The deployment may be a cached copy a few seconds old: this process remembers what it wrote
    # through that same copy (a fresh copy, or a recreated row, is read as it is).
    touched: dict[int, tuple[object, datetime]] = current_app.extensions.setdefault("rapport_last_launch_written", {})
    memo = touched.get(deployment.id)
    if memo is not None and memo[0] is deployment and (last is None or memo[1] > last):
        last = memo[1]
    if last is None or now - last >= LAST_LAUNCH_PRECISION:
        touched[deployment.id] = (deployment, now)
        connection().execute(_TOUCH_DEPLOYMENT, {"row_id": deployment.id, "now": now,
                                                 "before": now - LAST_LAUNCH_PRECISION})


_NEW_USER_MARK = "_rapport_opened_for_new_user"
_WORK_MARK = "_rapport_work_when_opened"


@dataclass
class WorkFound:
    """What the launch's lookup found of the learner's work in the placement.

    The three flags say what existed when the launch looked; `modules` holds progress rows by
    module id for the modules whose row this request knows: the row, or None when there is none
    (yet), including rows the request has created since (note_progress). Kept on the launch
    session object of the request that opened it, never in the database; a request that records
    an attempt or a confirmation drops it (note_new_work).
    """

    progress: bool
    attempts: bool
    acknowledgements: bool
    modules: dict[str, ModuleProgress | None] = field(default_factory=dict)


def opened_for_new_user(launch: LaunchSession) -> bool:
    """True when this launch session was opened in this transaction for a user it created.

    Such a user has no progress, attempts or scores anywhere yet, so the first launch of a
    class need not look for them. The mark lives on the Python object only, never in the database.
    """
    return bool(getattr(launch, _NEW_USER_MARK, False))


def _work(launch: LaunchSession) -> WorkFound | None:
    return cast("WorkFound | None", getattr(launch, _WORK_MARK, None))


def work_when_opened(launch: LaunchSession) -> bool | None:
    """Whether the learner had work in the placement (a module opened, a quiz attempted) when this
    launch session was opened in this transaction (the launch's lookup asked); None for a
    session read back from the database."""
    work = _work(launch)
    return None if work is None else work.progress or work.attempts


def attempts_known_absent(launch: LaunchSession) -> bool:
    """True when the launch that opened this session in this request found no quiz attempt in the placement."""
    work = _work(launch)
    return work is not None and not work.attempts


def acknowledgements_known_absent(launch: LaunchSession) -> bool:
    """True when the launch that opened this session in this request found no confirmation in the placement."""
    work = _work(launch)
    return work is not None and not work.acknowledgements


def known_progress(launch: LaunchSession, module_id: str) -> tuple[bool, ModuleProgress | None]:
    """(True, the row or None when there is none) when this request knows the learner's progress
    row for the module without asking the database; (False, None) when it must ask."""
    work = _work(launch)
    if work is None:
        return False, None
    if module_id in work.modules:
        return True, work.modules[module_id]
    return (True, None) if not work.progress else (False, None)


def note_progress(launch: LaunchSession, module_id: str, row: ModuleProgress) -> None:
    """Remember a progress row this request created, for the request's later look-ups."""
    work = _work(launch)
    if work is not None:
        work.modules[module_id] = row


def note_new_work(launch: LaunchSession) -> None:
    """This request recorded a quiz attempt or a confirmation: what the launch found no longer holds."""
    if _work(launch) is not None:
        delattr(launch, _WORK_MARK)


def find_launch_session(token: str) -> LaunchSession | None:
    """The unexpired launch session for a token, or None (its user, course and link loaded with it)."""
    if not token or len(token) > 128:
        return None
    row = connection().execute(_LAUNCH_SESSION, {"token_hash": digest(token)}).first()
    if row is None or row.s_expires_at < utcnow():
        return None
    session = loaded(LaunchSession, row, "s_")
    set_committed_value(session, "user", loaded(User, row, "u_"))
    set_committed_value(session, "course", loaded(Course, row, "c_") if row.c_id is not None else None)
    set_committed_value(session, "resource_link", loaded(ResourceLink, row, "l_") if row.l_id is not None else None)
    return session
