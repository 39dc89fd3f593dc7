"""A course for rating tests: every persona launched for real (signed id_tokens), set up by its instructor
through Rapport's own course pages."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup
from sqlalchemy import select

from lti_plugin.extensions import db
from lti_plugin.models import Course, User
from lti_plugin.services import groups
from tests.helpers.lti import INSTRUCTOR, LEARNER
from tests.helpers.platform import Platform, launch

TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
SP_ROLE = "http://example.edu/roles#StandardizedPatient"
COURSE = {"id": "course-1", "title": "Relational Skills 101", "label": "RS101"}
OTHER_COURSE = {"id": "course-2", "title": "Another course", "label": "AC200"}

# name -> (LMS roles, display name, course)
PEOPLE: dict[str, tuple[list[str], str, dict[str, str]]] = {
    "ana": ([LEARNER], "Ana Ribeiro", COURSE),
    "ben": ([LEARNER], "Ben Okafor", COURSE),
    "chen": ([LEARNER], "Chen Wei", COURSE),
    "kofi": ([TA], "Dr Kofi Asante", COURSE),
    "lena": ([MENTOR], "Dr Lena Novak", COURSE),
    "maria": ([TA], "Maria Santos", COURSE),
    "tomas": ([SP_ROLE], "Tomás Ruiz", COURSE),
    "iris": ([INSTRUCTOR], "Dr Iris Mendes", COURSE),
    "zed": ([LEARNER], "Zed Other", OTHER_COURSE),
    "olga": ([INSTRUCTOR], "Dr Olga Other", OTHER_COURSE),
    "yan": ([LEARNER], "Yan Other", OTHER_COURSE),
}
LINKS = {"coach-student": "link-coach", "sp-student": "link-sp", "student-self": "link-self",
         "student-peer": "link-peer", "student-coach": "link-student-coach", "coach-self": "link-coach-self"}


def answers(checklist: Any, value: int = 4, **extra: Any) -> dict[str, Any]:
    """A complete set of answers for a checklist: every item `value`, the first N/A."""
    fields: dict[str, Any] = {f"item-{item.id}": str(value) for item in checklist.items}
    fields[f"item-{checklist.items[0].id}"] = "na"
    fields["global"] = str(value)
    fields.update({f"comment-{c.id}": f"{c.id} comment" for c in checklist.comments})
    fields.update(extra)
    return fields


@dataclass
class RatingCourse:
    """The personas, their launch tokens per placement, and the course's setup."""

    app: Any
    client: Any
    platform: Platform
    tokens: dict[tuple[str, str | None], str] = field(default_factory=dict)
    custom: dict[str, dict[str, str]] = field(default_factory=dict)

    def launch(self, person: str, checklist: str | None = "coach-student", **custom: str) -> str:
        """A launch token of the person in a checklist placement (cached unless custom is given)."""
        key = (person, checklist)
        if key in self.tokens and not custom:
            return self.tokens[key]
        roles, name, course = PEOPLE[person]
        params = {"rapport_kind": "checklist", "rapport_id": checklist, **self.custom.get(checklist or "", {}), **custom} \
            if checklist else {}
        link = LINKS.get(checklist or "", "link-module")
        if course is OTHER_COURSE:
            link = "other-" + link
        token = launch(self.client, self.platform, sub=person, roles=roles, link=link, custom=params,
                       name=name, email=f"{person}@example.edu", lti_context=course)
        self.tokens[key] = token
        return token

    def launch_report(self, person: str, view: str) -> str:
        """A launch token of the person in a report placement (`report:<view>`, as deep linking adds it)."""
        key = (person, f"report:{view}")
        if key not in self.tokens:
            roles, name, course = PEOPLE[person]
            link = f"link-report-{view}" if course is COURSE else f"other-link-report-{view}"
            self.tokens[key] = launch(self.client, self.platform, sub=person, roles=roles, link=link,
                                      custom={"rapport_kind": "report", "rapport_id": view}, name=name,
                                      email=f"{person}@example.edu", lti_context=course)
        return self.tokens[key]

    def user_id(self, person: str) -> int:
        """The person's user id in Rapport."""
        with self.app.app_context():
            user = db.session.scalar(select(User).where(User.sub == person))
            assert user is not None, person
            return user.id

    def post(self, person: str, url: str, data: dict[str, Any] | None = None, checklist: str | None = "coach-student",
             **kwargs: Any) -> Any:
        """POST as the person, the launch token in the form."""
        return self.client.post(url, data={"lt": self.launch(person, checklist), **(data or {})}, **kwargs)

    def get(self, person: str, url: str, checklist: str | None = "coach-student", **params: Any) -> Any:
        """GET as the person."""
        return self.client.get(url, query_string={"lt": self.launch(person, checklist), **params})

    def set_up(self) -> None:
        """Everyone launches once; the instructor names coaches and SPs, makes groups, an encounter, a peer pair."""
        for person in PEOPLE:
            self.launch(person)
        ids = {p: self.user_id(p) for p in PEOPLE}
        ok = (200, 303)
        assert self.post("iris", f"/course/people/{ids['maria']}/roles", {"role": "sp"}).status_code in ok
        assert self.post("iris", f"/course/people/{ids['tomas']}/roles", {"role": "sp"}).status_code in ok
        for name in ("Workshop A", "Workshop B"):
            assert self.post("iris", "/course/groups", {"name": name}).status_code == 303
        group_a, group_b = self.row_ids("groups")
        for person, role, group in (("kofi", "coach", group_a), ("ana", "student", group_a), ("ben", "student", group_a),
                                    ("lena", "coach", group_b), ("chen", "student", group_b)):
            response = self.post("iris", f"/course/groups/{group}/members", {"user": ids[person], "role": role})
            assert response.status_code == 303, response.get_data(as_text=True)
        assert self.post("iris", "/course/encounters", {"name": "Station 1", "occurs_on": "2026-05-14"}).status_code == 303
        (station,) = self.row_ids("encounters")
        for person, role in (("maria", "sp"), ("ana", "student"), ("ben", "student")):
            assert self.post("iris", f"/course/encounters/{station}/members",
                             {"user": ids[person], "role": role}).status_code == 303
        assert self.post("iris", "/course/peers", {"rater": ids["chen"], "subject": ids["ana"]}).status_code == 303

    def row_ids(self, kind: str) -> list[int]:
        """Ids of the course's groups or encounters, in the order the instructor's page lists them."""
        with self.app.app_context():
            course_id = db.session.scalar(select(Course.id).where(Course.context_id == COURSE["id"]))
            rows = groups.groups(course_id) if kind == "groups" else groups.encounters(course_id)
            return [row.id for row in rows]

    def submit(self, person: str, checklist: str, subject: str, library: Any, *, value: int = 4,
               encounter: int | None = None, client_id: str | None = None, **extra: Any) -> Any:
        """Submit a rating as the person (JSON, as the page's script sends it)."""
        fields = answers(library.checklist(checklist), value, subject=str(self.user_id(subject)),
                         client_id=client_id or f"cid-{person}-{subject}-{checklist}-{value}", **extra)
        if encounter is not None:
            fields["encounter"] = str(encounter)
        return self.client.post("/rate/submit", json=fields,
                                headers={"X-Rapport-Launch": self.launch(person, checklist), "Accept": "application/json"})
