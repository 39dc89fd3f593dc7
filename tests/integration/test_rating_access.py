"""The authorization matrix: every rater, report and course-setup endpoint × every role × own/other data.

Columns (roles): anon (no launch), student (Ana), peer (Chen, asked to rate Ana), coach (Kofi, Ana's
group), sp (Maria, Ana's encounter), instructor (Iris), outsider (Olga, instructor of another course),
outsider_student (Zed, a student of that other course).

Each cell is two letters, for the role's own data and for someone else's: A allow, D deny, - not
applicable (the endpoint takes no id: it only ever acts within the launch's own course). To cover a
new endpoint, add a Row and its expectations; the test runs every cell and reports every mismatch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from lti_plugin.content import get_library
from lti_plugin.extensions import db
from lti_plugin.models import PeerAssignment, RatingSubmission
from tests.helpers.ratings import PEOPLE, RatingCourse, answers

ROLES = ("anon", "student", "peer", "coach", "sp", "instructor", "outsider", "outsider_student")
PERSONA = {"student": "ana", "peer": "chen", "coach": "kofi", "sp": "maria", "instructor": "iris",
           "outsider": "olga", "outsider_student": "zed"}
ALLOWED = (200, 201, 303)


@dataclass(frozen=True)
class Row:
    """One endpoint (with the placement its launch opens) and the expected cell per role."""

    name: str
    method: str
    path: str  # may hold {id}
    placement: str
    expect: str  # eight cells, in ROLES order, e.g. "D- A- ..."
    target: str = ""  # what {id} or the data names: subject, rating, release, person, group, encounter, peer
    data: dict[str, Any] = field(default_factory=dict)
    as_json: bool = False

    def cells(self) -> dict[str, str]:
        """The expectation per role."""
        parts = self.expect.split()
        assert len(parts) == len(ROLES), self.name
        return dict(zip(ROLES, parts))


def form_rows(placement: str, expect: str) -> list[Row]:
    """The form, a draft and a submission for one placement share their expectations."""
    return [
        Row(f"form {placement}", "GET", "/rate/form", placement, expect, "subject"),
        Row(f"draft {placement}", "POST", "/rate/draft", placement, expect, "subject", as_json=True),
        Row(f"submit {placement}", "POST", "/rate/submit", placement, expect, "subject", as_json=True),
    ]


#                     anon student peer coach sp instructor outsider outsider_student
ROWS: list[Row] = [
    Row("placement page", "GET", "/rate", "coach-student", "D- A- A- A- A- A- A- A-"),
    Row("own feedback page", "GET", "/feedback", "coach-student", "D- A- A- A- A- A- A- A-"),
    *form_rows("coach-student", "DD DD DD AD DD DD DD DD"),
    *form_rows("sp-student", "DD DD DD DD AD DD DD DD"),
    *form_rows("student-peer", "DD AD AD DD DD DD DD DD"),
    *form_rows("student-self", "DD AD AD DD DD DD DD AD"),
    *form_rows("student-coach", "DD AD AD DD DD DD DD DD"),
    *form_rows("coach-self", "DD DD DD AD DD DD DD DD"),
    Row("one rating", "GET", "/rate/ratings/{id}", "coach-student", "DD AD AD AD AD AD AD AD", "rating"),
    Row("release a rating", "POST", "/rate/release", "student-self", "DD DD DD DD DD AD AD DD", "release"),
    Row("placement settings", "POST", "/rate/settings", "coach-student", "D- D- D- D- D- A- A- D-",
        data={"source": "coach", "release": "immediate"}),
    Row("people page", "GET", "/course/people", "coach-student", "D- D- D- D- D- A- A- D-"),
    Row("roster refresh", "POST", "/course/people/refresh", "coach-student", "D- D- D- D- D- A- A- D-"),
    Row("name coach or SP", "POST", "/course/people/{id}/roles", "coach-student", "DD DD DD DD DD AD AD DD",
        "person"),
    Row("groups page", "GET", "/course/groups", "coach-student", "D- D- D- D- D- A- A- D-"),
    Row("new group", "POST", "/course/groups", "coach-student", "D- D- D- D- D- A- A- D-", "new"),
    Row("add to a group", "POST", "/course/groups/{id}/members", "coach-student", "DD DD DD DD DD AD AD DD", "group"),
    Row("remove from a group", "POST", "/course/groups/{id}/members/{user}/remove", "coach-student",
        "DD DD DD DD DD AD AD DD", "group-remove"),
    Row("encounters page", "GET", "/course/encounters", "coach-student", "D- D- D- D- D- A- A- D-"),
    Row("add to an encounter", "POST", "/course/encounters/{id}/members", "coach-student", "DD DD DD DD DD AD AD DD",
        "encounter"),
    Row("import groups (preview)", "POST", "/course/groups/import", "coach-student", "D- D- D- D- D- A- A- D-",
        data={"csv": "group,role,person\n"}),
    Row("peers page", "GET", "/course/peers", "coach-student", "D- D- D- D- D- A- A- D-"),
    Row("remove a peer assignment", "POST", "/course/peers/{id}/remove", "coach-student", "DD DD DD DD DD AD AD DD",
        "peer"),
]

# Whom each role asks to rate, per placement: (in their assignment, outside it). SELF: themselves.
SUBJECTS: dict[str, dict[str, tuple[str, str]]] = {
    "coach-student": {"*": ("ana", "chen")},
    "sp-student": {"*": ("ana", "chen")},
    "student-peer": {"student": ("ben", "chen"), "peer": ("ana", "ben"), "*": ("ana", "chen")},
    "student-self": {"student": ("SELF", "ben"), "*": ("SELF", "ana")},
    "student-coach": {"student": ("kofi", "lena"), "peer": ("lena", "kofi"), "*": ("kofi", "lena")},
    "coach-self": {"*": ("SELF", "ana")},
}


class Matrix:
    """The course of tests/helpers/ratings.py plus another course with its own data."""

    def __init__(self, app: Any, client: Any, platform: Any) -> None:
        self.library = get_library(app.config["CONTENT_DIR"])
        self.course = RatingCourse(app, client, platform)
        self.course.custom["student-self"] = {"rapport_release": "instructor"}
        self.course.set_up()
        c, lib = self.course, self.library
        self.ids = {p: c.user_id(p) for p in PEOPLE}
        self.station = c.row_ids("encounters")[0]
        self.rating: dict[str, int] = {}
        for key, (rater, checklist, subject, extra) in {
            "coach_ana": ("kofi", "coach-student", "ana", {}),
            "coach_ben": ("kofi", "coach-student", "ben", {}),
            "sp_ana": ("maria", "sp-student", "ana", {"encounter": self.station}),
            "peer_ana": ("chen", "student-peer", "ana", {}),
            "self_ana": ("ana", "student-self", "ana", {}),
        }.items():
            response = c.submit(rater, checklist, subject, lib, client_id=f"matrix-{key}", **extra)
            assert response.status_code == 201, (key, response.get_data(as_text=True))
            self.rating[key] = response.get_json()["id"]
        # The other course: a group, an encounter, a peer pair and a waiting self-assessment of its own.
        assert c.post("olga", "/course/groups", {"name": "Other group"}).status_code == 303
        assert c.post("olga", "/course/encounters", {"name": "Other station"}).status_code == 303
        assert c.post("olga", "/course/peers", {"rater": self.ids["zed"], "subject": self.ids["yan"]}).status_code == 303
        assert c.post("iris", "/course/peers", {"rater": self.ids["ben"], "subject": self.ids["chen"]}).status_code == 303
        self.group = {"own": c.row_ids("groups")[1]}
        self.encounter = {"own": self.station}
        with app.app_context():
            from lti_plugin.models import Encounter, WorkshopGroup

            self.group["other"] = db.session.scalar(select(WorkshopGroup.id).where(WorkshopGroup.name == "Other group"))
            self.encounter["other"] = db.session.scalar(select(Encounter.id).where(Encounter.name == "Other station"))
            pairs = {(p.rater_id, p.subject_id): p.id for p in db.session.scalars(select(PeerAssignment))}
        self.peer = {"course": pairs[(self.ids["ben"], self.ids["chen"])], "other": pairs[(self.ids["zed"], self.ids["yan"])]}
        response = c.submit("zed", "student-self", "zed", lib, client_id="matrix-other-self")
        assert response.status_code == 201
        self.rating["other_self"] = response.get_json()["id"]

    # -- what {id} and the data name, per role and variant ---------------------------------------
    def outsider(self, role: str) -> bool:
        return role.startswith("outsider")

    def subject(self, row: Row, role: str, variant: str) -> str:
        person = PERSONA.get(role, "ana")
        table = SUBJECTS[row.placement]
        pick = table.get(role, table["*"])[0 if variant == "own" else 1]
        return person if pick == "SELF" else pick

    def rating_for(self, role: str, variant: str) -> int:
        own = {"student": "coach_ana", "peer": "peer_ana", "coach": "coach_ana", "sp": "sp_ana", "instructor": "coach_ana",
               "outsider": "other_self", "outsider_student": "other_self", "anon": "coach_ana"}
        other = {"student": "coach_ben", "peer": "coach_ana", "coach": "sp_ana", "sp": "coach_ana",
                 "instructor": "other_self", "outsider": "coach_ana", "outsider_student": "coach_ana", "anon": "coach_ben"}
        return self.rating[(own if variant == "own" else other)[role]]

    def mine_or_theirs(self, role: str, variant: str, course_value: Any, other_value: Any) -> Any:
        """The object of the role's own course for `own`, of the other course for `other` (and back for outsiders)."""
        in_course = (variant == "own") != self.outsider(role)
        return course_value if in_course else other_value

    def request(self, row: Row, role: str, variant: str) -> tuple[str, dict[str, Any]]:
        path, data = row.path, dict(row.data)
        if row.target == "subject":
            data.update(subject=str(self.course.user_id(self.subject(row, role, variant))),
                        client_id=f"cell-{row.name.split()[0]}-{row.placement}-{role}-{variant}")
            if row.placement == "sp-student" and role == "sp":
                data["encounter"] = str(self.station)
            if row.name.startswith("submit"):
                data.update(answers(self.library.checklist(row.placement), **{k: data[k] for k in ("subject", "client_id")}))
        elif row.target == "rating":
            path = path.format(id=self.rating_for(role, variant))
        elif row.target == "release":
            data["submission"] = str(self.mine_or_theirs(role, variant, self.rating["self_ana"], self.rating["other_self"]))
        elif row.target == "person":
            person = self.mine_or_theirs(role, variant, "maria", "zed")
            path = path.format(id=self.ids[person])
            if person == "maria":
                data["role"] = "sp"  # as she is: the change is allowed, and changes nothing
        elif row.target == "new":
            data["name"] = f"Matrix group {role} {variant}"
        elif row.target in ("group", "group-remove"):
            group = self.mine_or_theirs(role, variant, self.group["own"], self.group["other"])
            person = self.mine_or_theirs(role, variant, "tomas", "yan")
            if row.target == "group":
                data.update(user=str(self.ids[person]), role="student")
            else:  # remove again whom the row above added
                path = path.replace("{user}", str(self.ids[person]))
            path = path.format(id=group)
        elif row.target == "encounter":
            encounter = self.mine_or_theirs(role, variant, self.encounter["own"], self.encounter["other"])
            person = self.mine_or_theirs(role, variant, "tomas", "yan")
            path = path.format(id=encounter)
            data.update(user=str(self.ids[person]), role="student")
        elif row.target == "peer":
            path = path.format(id=self.mine_or_theirs(role, variant, self.peer["course"], self.peer["other"]))
        return path, data

    def send(self, row: Row, role: str, variant: str) -> int:
        path, data = self.request(row, role, variant)
        client = self.course.client
        headers: dict[str, str] = {}
        if role != "anon":
            token = self.course.launch(PERSONA[role], row.placement)
            headers["X-Rapport-Launch"] = token
        if row.method == "GET":
            return client.get(path, query_string=data, headers=headers).status_code
        if row.as_json:
            return client.post(path, json=data, headers={**headers, "Accept": "application/json"}).status_code
        return client.post(path, data=data, headers=headers).status_code


@pytest.fixture
def matrix(app, client, platform) -> Matrix:
    return Matrix(app, client, platform)


def test_authorization_matrix(app, matrix: Matrix) -> None:
    mismatches: list[str] = []
    checked = 0
    for row in ROWS:
        for role, cell in row.cells().items():
            for variant, letter in zip(("own", "other"), cell):
                if letter == "-":
                    continue
                before = submissions(app) if letter == "D" and row.name.startswith("submit") else None
                status = matrix.send(row, role, variant)
                checked += 1
                if letter == "A":
                    ok = status in ALLOWED
                else:
                    ok = status == 401 if role == "anon" else status in (403, 404)
                    if before is not None and submissions(app) != before:  # a refused rating leaves no row
                        mismatches.append(f"{row.name} · {role} · {variant}: refused, yet a submission was stored")
                if not ok:
                    mismatches.append(f"{row.name} · {role} · {variant}: expected {'allow' if letter == 'A' else 'deny'},"
                                      f" got {status}")
    assert not mismatches, "\n".join(mismatches)
    assert checked > 250


def submissions(app: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(db.func.count(RatingSubmission.id))))
