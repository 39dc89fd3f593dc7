"""A registered platform whose key the test holds, and launches into Rapport through it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lti_plugin.extensions import db
from lti_plugin.models import Deployment, Registration
from tests.helpers.keys import TestKey
from tests.helpers.lti import LEARNER, LTI, begin_login, claims, launch_token, post_launch

ISSUER = "https://lms.example.edu"
CLIENT_ID = "rapport-client-1"
DEPLOYMENT = "deployment-1"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


@dataclass
class Platform:
    """A registered platform whose signing key the test holds."""

    key: TestKey
    issuer: str = ISSUER
    client_id: str = CLIENT_ID
    deployment_id: str = DEPLOYMENT
    extra: dict[str, Any] = field(default_factory=dict)


def register(app: Any, key_set_url: str, token_url: str = "https://lms.example.edu/token") -> Platform:
    """Register a platform (and a second client id of the same issuer) serving keys at key_set_url."""
    key = TestKey.generate()
    with app.app_context():
        registration = Registration(
            issuer=ISSUER, client_id=CLIENT_ID, auth_login_url="https://lms.example.edu/auth",
            auth_token_url=token_url, key_set_url=key_set_url,
        )
        registration.deployments.append(Deployment(deployment_id=DEPLOYMENT, active=True))
        other = Registration(
            issuer=ISSUER, client_id="another-tool", auth_login_url="https://lms.example.edu/auth",
            auth_token_url=token_url, key_set_url=key_set_url,
        )
        db.session.add_all([registration, other])
        db.session.commit()
    return Platform(key)


def launch_response(client: Any, p: Platform, *, sub: str = "user-1", roles: list[str] | None = None,
                    link: str = "link-1", custom: dict[str, str] | None = None, **overrides: Any) -> Any:
    """Launch as a user and return Rapport's answer to the launch post (its first page, or a redirect)."""
    login = begin_login(client, p.issuer, p.client_id)
    values: dict[str, Any] = {"sub": sub, "lti_roles": roles or [LEARNER], "lti_resource_link": {"id": link, "title": "Activity"}}
    if custom is not None:
        values["lti_custom"] = custom
    values.update(overrides)
    return post_launch(client, p.key.sign(claims(p.issuer, p.client_id, p.deployment_id, login.nonce, **values)), login.state)


def launch(client: Any, p: Platform, **options: Any) -> str:
    """Launch as a user and return the launch token of the page Rapport opened (options: launch_response's)."""
    return launch_token(launch_response(client, p, **options))


def deep_linking_launch(client: Any, p: Platform, settings: dict[str, Any], roles: list[str]) -> str:
    """A deep linking request; returns the launch token of the catalogue page."""
    return launch(client, p, roles=roles, lti_message_type="LtiDeepLinkingRequest", lti_resource_link=None,
                  **{DL_SETTINGS: settings})


__all__ = ["LTI", "Platform", "register", "launch", "launch_response", "deep_linking_launch"]
