"""Rapport's data, one module per area."""
from .admin import AdminUser, LaunchRefusal, RegistrationAttempt
from .base import Base, utcnow
from .launch import LaunchSession, LoginState, UsedNonce
from .lti import Deployment, Registration, SigningKey
from .outbox import ScoreDelivery
from .people import Course, Membership, ResourceLink, User
from .progress import Acknowledgement, ModuleProgress, QuizAttempt, VideoProgress
from .surveys import SurveyResponse, SurveySchedule, SurveyWindow
from .groups import (CourseRole, CourseRoster, Encounter, EncounterMember, GroupMember, PeerAssignment,
                     RosterMember, WorkshopGroup)
from .ratings import ChecklistSetting, RatingAnswer, RatingDraft, RatingEvent, RatingSubmission
from .reflections import Reflection

__all__ = [
    "Base", "utcnow", "Registration", "Deployment", "SigningKey", "User", "Course",
    "ResourceLink", "Membership", "LoginState", "UsedNonce", "LaunchSession",
    "ModuleProgress", "VideoProgress", "Acknowledgement", "QuizAttempt",
    "ScoreDelivery", "AdminUser", "LaunchRefusal", "RegistrationAttempt",
    "SurveySchedule", "SurveyWindow", "SurveyResponse",
    "CourseRole", "CourseRoster", "RosterMember", "WorkshopGroup", "GroupMember", "Encounter",
    "EncounterMember", "PeerAssignment", "ChecklistSetting", "RatingDraft", "RatingSubmission", "RatingAnswer",
    "RatingEvent", "Reflection",
]
