"""The baseline: a tool built the way pylti1p3's Flask example builds one, to measure Rapport against.

As in that example: the tool configuration is rebuilt on every request (ToolConfDict), login
and launch go through FlaskOIDCLogin and FlaskMessageLaunch with their default session-cookie
storage, no key set caching is turned on (so the platform's key set is fetched on every
launch), and the launch renders a page from a template. Served by gunicorn as
`bench.baseline_tool:app`; settings as for the floor tool.
"""
from __future__ import annotations

import os

from flask import Flask, render_template_string, request
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.tool_config import ToolConfDict

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>Welcome, {{ name }}.</p>
<p>Course: {{ course }}</p><p>Roles: {{ roles|join(", ") }}</p></main></body></html>"""

app = Flask(__name__)
app.secret_key = os.environ.get("BENCH_SECRET", "baseline-secret")


def tool_conf() -> ToolConfDict:
    """The tool configuration, built anew for each request as the example does."""
    private_key = open(os.environ["BENCH_TOOL_KEY"]).read()
    settings = {
        os.environ["BENCH_ISSUER"]: [{
            "default": True,
            "client_id": os.environ["BENCH_CLIENT_ID"],
            "auth_login_url": os.environ["BENCH_AUTH_URL"],
            "auth_token_url": os.environ["BENCH_AUTH_URL"] + "/token",
            "key_set_url": os.environ["BENCH_JWKS_URL"],
            "key_set": None,
            "deployment_ids": [os.environ["BENCH_DEPLOYMENT_ID"]],
        }]
    }
    conf = ToolConfDict(settings)
    conf.set_private_key(os.environ["BENCH_ISSUER"], private_key, client_id=os.environ["BENCH_CLIENT_ID"])
    return conf


@app.route("/lti/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """OIDC login through pylti1p3."""
    flask_request = FlaskRequest()
    oidc = FlaskOIDCLogin(flask_request, tool_conf())
    # The example also turns on its cookie-check page first; left out, it only makes the baseline cheaper.
    return oidc.redirect(flask_request.get_param("target_link_uri"))


@app.post("/lti/launch")
def launch():  # type: ignore[no-untyped-def]
    """Validate the launch through pylti1p3 and render the page."""
    message = FlaskMessageLaunch(FlaskRequest(), tool_conf())
    data = message.get_launch_data()
    context = data.get("https://purl.imsglobal.org/spec/lti/claim/context", {})
    return render_template_string(PAGE, title="Activity", name=data.get("name", ""),
                                  course=context.get("title", ""),
                                  roles=data.get("https://purl.imsglobal.org/spec/lti/claim/roles", []))
