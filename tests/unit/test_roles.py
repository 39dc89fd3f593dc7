"""LMS roles to Rapport roles."""

import pytest

from lti_plugin.lti.roles import rapport_role

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


@pytest.mark.parametrize(
    "roles,expected",
    [
        ([M + "Learner"], "student"),
        ([M + "Instructor"], "staff"),
        (
            ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
            "staff",
        ),
        ([M + "Mentor"], "staff"),
        ([M + "Learner", M + "Instructor"], "staff"),
        (
            ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor", M + "Learner"],
            "student",
        ),
        (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], "other"),
        (["Learner"], "student"),
        ([], "other"),
        ([M + "Observer"], "other"),
    ],
)
def test_rapport_role(roles, expected) -> None:
    assert rapport_role(roles) == expected
