"""The practice LMS's settings: who it is, where Rapport is, its key, its people."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Person:
    """Someone enrolled in the practice course."""

    id: str
    name: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]
    label: str


MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"

DEFAULT_PEOPLE = (
    Person("stu-ana", "Ana Ribeiro", "Ana", "Ribeiro", "ana.ribeiro@example.edu", (MEMBERSHIP + "Learner",), "Student"),
    Person("stu-ben", "Ben Okafor", "Ben", "Okafor", "ben.okafor@example.edu", (MEMBERSHIP + "Learner",), "Student"),
    Person("stu-chen", "Chen Wei", "Chen", "Wei", "chen.wei@example.edu", (MEMBERSHIP + "Learner",), "Student"),
    Person("stu-dara", "Dara Nolan", "Dara", "Nolan", "dara.nolan@example.edu", (MEMBERSHIP + "Learner",), "Student"),
    Person("ins-iris", "Dr Iris Mendes", "Iris", "Mendes", "iris.mendes@example.edu", (MEMBERSHIP + "Instructor",), "Instructor"),
    Person("coach-kofi", "Dr Kofi Asante", "Kofi", "Asante", "kofi.asante@example.edu",
           ("http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",), "Coach"),
    Person("sp-maria", "Maria Santos", "Maria", "Santos", "maria.santos@example.edu",
           ("http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",), "Standardized patient"),
    Person("stu-eli", "Eli Haddad", "Eli", "Haddad", "eli.haddad@example.edu", (MEMBERSHIP + "Learner",), "Student"),
    Person("stu-farah", "Farah Iqbal", "Farah", "Iqbal", "farah.iqbal@example.edu", (MEMBERSHIP + "Learner",), "Student"),
    Person("coach-lena", "Dr Lena Novak", "Lena", "Novak", "lena.novak@example.edu", (MEMBERSHIP + "Mentor",), "Coach"),
    Person("sp-tomas", "Tomás Ruiz", "Tomás", "Ruiz", "tomas.ruiz@example.edu",
           ("http://example.edu/roles#StandardizedPatient",), "Standardized patient"),
)


@dataclass(frozen=True)
class PlatformSettings:
    """Everything the practice LMS needs to know."""

    issuer: str
    client_id: str
    deployment_id: str
    private_key_pem: str
    tool_login_url: str
    tool_launch_url: str
    tool_jwks_url: str
    course_id: str = "practice-course-1"
    course_title: str = "Relational Skills in Clinical Practice (practice course)"
    course_label: str = "RSCP-101"
    people: tuple[Person, ...] = field(default=DEFAULT_PEOPLE)
    course_file: str = ""  # where the course and gradebook are kept between runs; empty: in memory only

    @classmethod
    def from_file(cls, path: str | Path) -> "PlatformSettings":
        """Read settings from a JSON file (the run command writes it)."""
        data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        key_file = data.pop("private_key_file", None)
        if key_file:
            data["private_key_pem"] = Path(key_file).read_text(encoding="utf-8")
        return cls(**data)

    def person(self, person_id: str) -> Person | None:
        """The person with this id, if enrolled."""
        return next((p for p in self.people if p.id == person_id), None)
