"""Glue between Flask and lti1p3platform, with the strictness real platforms have."""
from __future__ import annotations

import typing as t

from cryptography.hazmat.primitives import serialization

from flask import Request as FlaskRequest
from flask import render_template
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest

from .settings import PlatformSettings


def public_pem(private_pem: str) -> str:
    """The public half of a PEM private key, as PEM."""
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


class FlaskPlatformRequest(Request):
    """A Flask request described the way lti1p3platform expects."""

    def build_metadata(self, request: FlaskRequest) -> TRequest:
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": dict(request.headers),
            "content_type": request.content_type,
            "path": request.path,
            "json": request.get_json(silent=True),
        }


class PracticePlatform(LTI1P3PlatformConfAbstract):
    """The practice LMS's one registration of Rapport."""

    def init_platform_config(self, **kwargs: t.Any) -> None:
        self.settings: PlatformSettings = kwargs["settings"]

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        s = self.settings
        registration = (
            Registration()
            .set_iss(s.issuer)
            .set_client_id(s.client_id)
            .set_deployment_id(s.deployment_id)
            .set_oidc_login_url(s.tool_login_url)
            .set_launch_url(s.tool_launch_url)
            .set_platform_private_key(s.private_key_pem)
        )
        registration.set_tool_key_set_url(s.tool_jwks_url)
        registration.set_platform_public_key(public_pem(s.private_key_pem))
        return registration


class PracticeMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    """A launch message rendered as the auto-submitting form browsers post to the tool."""

    def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any) -> str:
        return render_template("autopost.html", action=launch_data["launch_url"],
                               fields={"id_token": launch_data["id_token"], "state": launch_data["state"]})
