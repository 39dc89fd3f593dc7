"""Launch validation: pylti1p3's message launch with the checks the 1EdTech Security Framework asks for.

pylti1p3 2.0.0 leaves several holes (nonces never consumed, `aud`/`azp` barely checked, no
leeway, bare exceptions on unknown issuers, launch data in the session cookie). Rapport runs
every step itself, in an order that verifies the signature before anything is written, and
turns each failure into a `LaunchRefused` with a stable reason code.
"""
from __future__ import annotations

import hmac
from typing import Any

import jwt
from flask import current_app
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Deployment
from . import claims as c
from .errors import ADMIN_HINT_APPROVE, ADMIN_HINT_REGISTRATION, ADMIN_HINT_RETRY, REGISTRATION_INACTIVE, LaunchRefused
from .login import same_origin
from .platform_keys import signing_key
from .platform_storage import StoredLogin, relaunch_url, unverified_nonce
from .state import PendingLogin, StateStore, digest
from .config_cache import DeploymentInfo, RegistrationInfo, forget
from .tool_config import DatabaseToolConf, find_deployment_info

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")


def _refuse(code: str, message: str, hint: str = ADMIN_HINT_RETRY, status: int = 400) -> LaunchRefused:
    return LaunchRefused(code, message, hint, status)


class RapportMessageLaunch(FlaskMessageLaunch):
    """A message launch validated strictly, with state and nonces in shared storage."""

    def __init__(self, form: dict[str, str], browser_id: str | None, store: StateStore, base_url: str,
                 *, stored: StoredLogin | None = None, login_url: str = "") -> None:
        """`stored`: state and nonce read from platform storage, standing in for the browser cookie."""
        super().__init__(FlaskRequest(request_data=form), DatabaseToolConf())
        self._form = form
        self._browser_id = browser_id
        self._stored = stored
        self._login_url = login_url
        self._store = store
        self._base_url = base_url
        self._pending: PendingLogin | None = None
        self._nonce_taken: str | None = None  # the nonce validate_state used along with the login
        self._nonce_fresh: bool | None = None  # whether it was new then (None: not used there)
        self.registration_row: RegistrationInfo | None = None
        self.deployment_row: DeploymentInfo | None = None

    def _get_request_param(self, key: str) -> str:
        return self._form.get(key, "")

    # -- the order Rapport validates in ---------------------------------------------------
    def validate(self) -> "RapportMessageLaunch":
        """Run every check; on success the launch data is available, nothing is stored yet."""
        self._validated = True
        try:
            self.validate_request_shape()
            self.validate_state()
            self.validate_jwt_format()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_nonce()
            self.validate_message()
            self.validate_deployment()
        except Exception:
            self._validated = False
            raise
        return self

    def validate_request_shape(self) -> None:
        """The form carries an id_token of sane size and a state."""
        if self._form.get("error"):
            raise _refuse(
                "platform_error",
                f"The platform refused the login: {self._form.get('error_description') or self._form['error']}.",
            )
        token = self._form.get("id_token", "")
        if not token:
            raise _refuse("id_token_missing", "The launch arrived without an id_token.")
        if len(token) > current_app.config["MAX_ID_TOKEN_BYTES"]:
            raise _refuse("id_token_too_large", "The launch's id_token is larger than Rapport accepts.", status=413)
        if not self._form.get("state"):
            raise _refuse("state_missing", "The launch arrived without its state.")

    def validate_state(self) -> "RapportMessageLaunch":
        """The state was issued by Rapport for this browser, and is spent now.

        The browser is recognised by Rapport's cookie or, when the login offered platform
        storage and the cookie was blocked, by the state and nonce the platform kept for it.
        """
        # The nonce is used here too, in the same transaction, when the login was issued with the
        # token's (still unverified) nonce: the login is spent whatever follows, and its nonce
        # can then never be used again anyway. validate_nonce checks it in its turn as before.
        self._nonce_taken = unverified_nonce(self._form["id_token"])
        pending, self._nonce_fresh = self._store.take_login_and_nonce(
            self._form["state"], self._nonce_taken, current_app.config["NONCE_SECONDS"])
        if pending is None:
            raise _refuse(
                "state_unknown",
                "This launch has expired or was already used.",
                "Go back to the course page and open the activity again; each launch works once.",
            )
        if self._stored is not None:
            self._validate_stored(pending, self._stored)
            self._pending = pending
            return self
        if not self._browser_id:
            refusal = _refuse(
                "browser_cookie_missing",
                "Your browser blocked Rapport's cookie inside this page, so this launch cannot be "
                "tied to you.",
                "Open the activity in a new window, where your browser lets Rapport keep its cookie.",
            )
            refusal.new_window_url = relaunch_url(self._login_url, pending.relaunch) if self._login_url else None
            raise refusal
        if digest(self._browser_id) != pending.browser_hash:
            raise _refuse(
                "state_other_browser",
                "This launch was started in another browser.",
                "Open the activity again from the course page in this browser.",
                403,
            )
        self._pending = pending
        return self

    def _validate_stored(self, pending: PendingLogin, stored: StoredLogin) -> None:
        """The platform's storage held this very login's state and nonce for this browser."""
        if not pending.storage_target:
            raise _refuse(
                "storage_not_offered",
                "This launch did not start with your platform's storage, so it cannot be finished with it.",
                status=403,
            )
        if not hmac.compare_digest(stored.state, self._form["state"]):
            raise _refuse("storage_state_mismatch", "Your platform's storage holds another login than this launch.",
                          status=403)
        if not hmac.compare_digest(digest(stored.nonce), pending.nonce_hash):
            raise _refuse("storage_nonce_mismatch", "Your platform's storage holds another login than this launch.",
                          status=403)

    def validate_jwt_format(self) -> "RapportMessageLaunch":
        """Three base64url parts whose header and body are JSON objects."""
        try:
            super().validate_jwt_format()
        except LtiException:
            raise _refuse("id_token_malformed", "The launch's id_token is not a well-formed JWT.") from None
        if not isinstance(self._jwt.get("header"), dict) or not isinstance(self._jwt.get("body"), dict):
            raise _refuse("id_token_malformed", "The launch's id_token is not a well-formed JWT.")
        return self

    def _client_id(self, body: dict[str, Any]) -> str:
        """The client id the token is for: `aud` alone, or `azp` when there are several audiences."""
        aud = body.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud
        if not isinstance(audiences, list) or not audiences or not all(isinstance(a, str) for a in audiences):
            raise _refuse("aud_missing", "The launch does not say which tool it is for (aud).")
        azp = body.get("azp")
        if len(audiences) > 1 and not azp:
            raise _refuse(
                "azp_missing",
                "The launch names several audiences but not which one is Rapport (azp).",
                status=401,
            )
        if azp is not None:
            if not isinstance(azp, str) or azp not in audiences:
                raise _refuse("azp_not_ours", "The launch's authorized party (azp) is not among its audiences.", status=401)
            return azp
        return audiences[0]

    def validate_registration(self) -> "RapportMessageLaunch":
        """The issuer and client id are a registration of Rapport, the one the login began with."""
        body = self._jwt["body"]
        iss = body.get("iss")
        if not isinstance(iss, str) or not iss:
            raise _refuse("iss_missing", "The launch does not name its platform (iss).")
        client_id = self._client_id(dict(body))
        registration = DatabaseToolConf().find_registration_by_params(iss, client_id)
        assert self._pending is not None
        if registration is None or registration.row.id != self._pending.registration_id:
            raise _refuse(
                "aud_not_ours",
                "This launch was meant for another tool or another registration of Rapport.",
                ADMIN_HINT_REGISTRATION,
                401,
            )
        if not registration.row.active:  # turned off between the login and this launch
            raise _refuse("registration_inactive", REGISTRATION_INACTIVE, ADMIN_HINT_APPROVE, 403)
        self._registration = registration
        self.registration_row = registration.row
        return self

    def validate_jwt_signature(self) -> "RapportMessageLaunch":
        """The signature verifies with the platform's key; exp, iat, iss and aud hold, with leeway."""
        header = self._jwt["header"]
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALLOWED_ALGORITHMS:
            raise _refuse("bad_algorithm", f"The launch is signed with an algorithm Rapport does not accept ({alg}).", status=401)
        if not isinstance(kid, str) or not kid:
            raise _refuse("kid_missing", "The launch does not say which platform key signed it (kid).", status=401)
        assert self.registration_row is not None
        key = signing_key(self.registration_row, kid, alg)
        body = self._jwt["body"]
        try:
            jwt.decode(
                self._form["id_token"],
                key,
                algorithms=[alg],
                audience=self._client_id(dict(body)),
                issuer=self.registration_row.issuer,
                leeway=current_app.config["LAUNCH_LEEWAY_SECONDS"],
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.InvalidSignatureError:
            raise _refuse("bad_signature", "The launch's signature does not match the platform's key.", ADMIN_HINT_REGISTRATION, 401) from None
        except jwt.ExpiredSignatureError:
            raise _refuse("token_expired", "The launch has expired.", ADMIN_HINT_RETRY + " If it keeps happening, check the clocks of the platform and Rapport.", 401) from None
        except jwt.ImmatureSignatureError:
            raise _refuse("token_not_yet_valid", "The launch says it was issued in the future.", "The platform's clock and Rapport's disagree by more than a minute; an administrator should check them.", 401) from None
        except jwt.MissingRequiredClaimError as error:
            raise _refuse("claim_missing", f"The launch lacks the required claim {error.claim}.", status=401) from None
        except jwt.InvalidAudienceError:
            raise _refuse("aud_not_ours", "This launch was meant for another tool.", ADMIN_HINT_REGISTRATION, 401) from None
        except jwt.InvalidIssuerError:
            raise _refuse("iss_mismatch", "The launch's issuer does not match the registration.", ADMIN_HINT_REGISTRATION, 401) from None
        except jwt.InvalidTokenError as error:
            raise _refuse("id_token_invalid", f"The launch's id_token is not valid ({type(error).__name__}).", status=401) from None
        return self

    def validate_nonce(self) -> "RapportMessageLaunch":
        """The nonce is the one issued at login, and it is used exactly once."""
        nonce = self._jwt["body"].get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise _refuse("nonce_missing", "The launch has no nonce.", status=401)
        assert self._pending is not None
        if digest(nonce) != self._pending.nonce_hash:
            raise _refuse("nonce_mismatch", "The launch's nonce is not the one Rapport issued for this login.", status=401)
        fresh = self._nonce_fresh if nonce == self._nonce_taken else None
        if fresh is None:
            fresh = self._store.use_nonce(nonce, current_app.config["NONCE_SECONDS"])
        if not fresh:
            raise _refuse("nonce_replayed", "This launch was already used once.", ADMIN_HINT_RETRY, 401)
        return self

    def validate_message(self) -> "RapportMessageLaunch":
        """Message type, version, user, roles, link and target are all present and right."""
        body = self._jwt["body"]
        message_type = body.get(c.MESSAGE_TYPE)
        if message_type not in c.SUPPORTED_MESSAGES:
            raise _refuse("message_type_unsupported", f"Rapport does not handle this kind of launch ({str(message_type)[:60]}).")
        if body.get(c.VERSION) != "1.3.0":
            raise _refuse("version_unsupported", "The launch is not LTI version 1.3.0.")
        if not isinstance(body.get("sub"), str) or not body["sub"].strip():
            raise _refuse("sub_missing", "The launch does not say who the user is (sub); anonymous launches are not supported.")
        roles = body.get(c.ROLES)
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _refuse("roles_missing", "The launch does not carry the user's roles.")
        if message_type == c.RESOURCE_LINK_REQUEST:
            link = body.get(c.RESOURCE_LINK)
            if not isinstance(link, dict) or not isinstance(link.get("id"), str) or not link["id"]:
                raise _refuse("resource_link_missing", "The launch does not say which activity was opened (resource_link.id).")
        else:
            settings = body.get(c.DEEP_LINKING_SETTINGS)
            if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
                raise _refuse("deep_linking_settings_missing", "The content selection launch has no return address.")
            accepted = settings.get("accept_types") or []
            if "ltiResourceLink" not in accepted:
                raise _refuse(
                    "deep_linking_no_links",
                    "This screen of your platform accepts only " + ", ".join(map(str, accepted))[:80]
                    + "; Rapport adds activities as links, which it does not accept here.",
                    "Add Rapport from the platform's “external tool” or “assignment” screen instead.",
                )
        target = body.get(c.TARGET_LINK_URI)
        assert self._pending is not None
        if not isinstance(target, str) or not same_origin(target, self._base_url):
            raise _refuse("target_link_not_ours", "The launch points at an address that is not Rapport's.", ADMIN_HINT_REGISTRATION)
        if target != self._pending.target_link_uri:
            raise _refuse("target_link_mismatch", "The launch's target differs from the one in its login request.")
        context = body.get(c.CONTEXT)
        if context is not None and (not isinstance(context, dict) or not isinstance(context.get("id"), str)):
            raise _refuse("context_malformed", "The launch's course (context) claim is malformed.")
        try:
            super().validate_message()
        except LtiException as error:
            raise _refuse("message_invalid", f"The launch message is incomplete: {error}.") from None
        return self

    def validate_deployment(self) -> "RapportMessageLaunch":
        """The deployment is known and active; an unknown one is recorded, inactive, for approval."""
        deployment_id = self._jwt["body"].get(c.DEPLOYMENT_ID)
        if not isinstance(deployment_id, str) or not deployment_id or len(deployment_id) > 255:
            raise _refuse("deployment_missing", "The launch does not name its deployment.")
        assert self.registration_row is not None
        row = self._find_deployment(deployment_id)
        if row is None:
            _record_unknown_deployment(self.registration_row.id, deployment_id)
            raise _refuse(
                "deployment_unknown",
                "This installation of Rapport in your platform is new and waits for an administrator's approval.",
                f"An administrator can approve it with `rapport deployment activate {self.registration_row.issuer} "
                f"{self.registration_row.client_id} {deployment_id}`.",
                403,
            )
        if not row.active:
            raise _refuse(
                "deployment_inactive",
                "This installation of Rapport in your platform is not active.",
                f"An administrator can activate it with `rapport deployment activate {self.registration_row.issuer} "
                f"{self.registration_row.client_id} {deployment_id}`.",
                403,
            )
        self.deployment_row = row
        return self

    def _find_deployment(self, deployment_id: str) -> DeploymentInfo | None:
        assert self.registration_row is not None
        return find_deployment_info(self.registration_row.id, deployment_id)

    # -- results ------------------------------------------------------------------------------
    def launch_body(self) -> dict[str, Any]:
        """The validated claims (validates first if needed)."""
        return self._get_jwt_body()  # type: ignore[return-value]

    def save_launch_data(self) -> "RapportMessageLaunch":
        """Launch data is not kept in the session: Rapport stores a launch session instead."""
        return self

def _record_unknown_deployment(registration_id: int, deployment_id: str) -> None:
    """Remember an unknown deployment as inactive, in its own transaction so the refusal keeps it."""
    try:
        with db.engine.begin() as conn:
            conn.execute(
                insert(Deployment).values(
                    registration_id=registration_id, deployment_id=deployment_id, active=False
                )
            )
    except IntegrityError:
        pass  # another request recorded it first
    forget()


def kept_claims(body: dict[str, Any]) -> dict[str, Any]:
    """The claims a launch session keeps for later steps."""
    return {name: body[name] for name in c.KEPT_CLAIMS if name in body}
