"""The `rapport` command line, run as a new administrator would run it."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from lti_plugin.extensions import db
from lti_plugin.models import Deployment, Registration, SigningKey

RAPPORT = shutil.which("rapport", path=str(Path(sys.executable).parent)) or "rapport"

ADD = [
    "platform", "add", "--issuer", "https://moodle.example.edu", "--client-id", "abc123",
    "--auth-login-url", "https://moodle.example.edu/mod/lti/auth.php",
    "--token-url", "https://moodle.example.edu/mod/lti/token.php",
    "--jwks-url", "https://moodle.example.edu/mod/lti/certs.php", "--deployment-id", "1",
]


def run(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_INSTANCE"] = str(instance)
    return subprocess.run([RAPPORT, *args], env=env, capture_output=True, text=True, timeout=120, cwd=instance.parent)


def test_init_twice_then_register_a_platform(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = run(instance, "init")
    assert first.returncode == 0, first.stderr
    assert "Wrote" in first.stdout and "Database upgraded" in first.stdout and "Created signing key" in first.stdout
    config = (instance / "config.toml").read_text()
    snapshot = sqlite3.connect(instance / "rapport.db").execute("select kid from signing_key").fetchall()

    second = run(instance, "init")
    assert second.returncode == 0, second.stderr
    assert "Database is up to date." in second.stdout and "A signing key already exists." in second.stdout
    assert "Wrote" not in second.stdout
    assert (instance / "config.toml").read_text() == config
    assert sqlite3.connect(instance / "rapport.db").execute("select kid from signing_key").fetchall() == snapshot

    added = run(instance, *ADD)
    assert added.returncode == 0, added.stderr
    assert "Registered platform" in added.stdout
    listed = run(instance, "platform", "list")
    assert "https://moodle.example.edu\tabc123\tactive\t1/1 deployments active" in listed.stdout
    duplicate = run(instance, *ADD)
    assert duplicate.returncode == 1 and "already registered" in duplicate.stderr


def test_commands_before_init_explain_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "instance", "platform", "list")
    assert result.returncode == 2
    assert "run `rapport init`" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_works_without_settings(tmp_path: Path) -> None:
    result = run(tmp_path / "instance", "--help")
    assert result.returncode == 0
    for command in ("init", "serve", "platform", "deployment", "keys", "admin"):
        assert command in result.stdout


def test_platform_add_rejects_bad_values(runner) -> None:
    bad_url = [a if a != "https://moodle.example.edu/mod/lti/certs.php" else "ftp://x" for a in ADD]
    result = runner.invoke(args=bad_url)
    assert result.exit_code == 1 and "The JWKS URL must be an http(s) URL" in result.output
    plain_http = [a.replace("https://moodle", "http://moodle") for a in ADD]
    result = runner.invoke(args=plain_http)
    assert result.exit_code == 1 and "must use https" in result.output
    missing = runner.invoke(args=ADD[:4])
    assert missing.exit_code == 2 and "Missing option" in missing.output


def test_platform_show_remove_and_deployments(app, runner) -> None:
    assert runner.invoke(args=ADD).exit_code == 0
    shown = runner.invoke(args=["platform", "show", "https://moodle.example.edu", "abc123"])
    assert shown.exit_code == 0 and "token URL: https://moodle.example.edu/mod/lti/token.php" in shown.output
    assert "1: active" in shown.output
    unknown = runner.invoke(args=["platform", "show", "https://nowhere.example", "x"])
    assert unknown.exit_code == 1 and "No platform is registered" in unknown.output

    off = runner.invoke(args=["deployment", "deactivate", "https://moodle.example.edu", "abc123", "1"])
    assert off.exit_code == 0 and "now inactive" in off.output
    missing = runner.invoke(args=["deployment", "deactivate", "https://moodle.example.edu", "abc123", "9"])
    assert missing.exit_code == 1
    on = runner.invoke(args=["deployment", "activate", "https://moodle.example.edu", "abc123", "2"])
    assert on.exit_code == 0
    with app.app_context():
        states = {d.deployment_id: d.active for d in db.session.scalars(select(Deployment))}
    assert states == {"1": False, "2": True}

    refused = runner.invoke(args=["platform", "remove", "https://moodle.example.edu", "abc123"], input="n\n")
    assert refused.exit_code == 1
    removed = runner.invoke(args=["platform", "remove", "https://moodle.example.edu", "abc123", "--yes"])
    assert removed.exit_code == 0
    with app.app_context():
        assert db.session.scalars(select(Registration)).all() == []
        assert db.session.scalars(select(Deployment)).all() == []


def test_keys_rotate_keeps_the_old_key_published_for_the_grace_period(app, runner, client) -> None:
    before = client.get("/lti/jwks.json").get_json()["keys"]
    assert len(before) == 1
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and "Now signing with key" in result.output
    after = client.get("/lti/jwks.json").get_json()["keys"]
    assert {k["kid"] for k in after} == {before[0]["kid"], *(k["kid"] for k in after)}
    assert len(after) == 2
    listed = runner.invoke(args=["keys", "list"]).output
    assert "active" in listed and "retired, published until" in listed
    with app.app_context():
        from datetime import timedelta

        from lti_plugin.models import utcnow

        old = db.session.scalar(select(SigningKey).where(SigningKey.kid == before[0]["kid"]))
        old.retired_at = utcnow() - timedelta(days=app.config["KEY_GRACE_DAYS"] + 1)
        db.session.commit()
    final = client.get("/lti/jwks.json").get_json()["keys"]
    assert len(final) == 1 and final[0]["kid"] != before[0]["kid"]
    assert "expired (no longer published)" in runner.invoke(args=["keys", "list"]).output


@pytest.mark.parametrize("content,message", [
    ("SECRET_KEY = 'short'", "too short"),
    ("SECRET_KEY = 'long-enough-secret-value'\nLAUNCH_LEEWAY_SECONDS = 'soon'", "LAUNCH_LEEWAY_SECONDS"),
    ("SECRET_KEY = 'long-enough-secret-value'\nNO_SUCH_SETTING = 1", "unknown setting 'NO_SUCH_SETTING'"),
    ("SECRET_KEY = 'long-enough-secret-value'\nPUBLIC_URL = 'rapport.example.edu'", "PUBLIC_URL must start with"),
    ("SECRET_KEY = = broken", "is not valid TOML"),
    ("SECRET_KEY = 'long-enough-secret-value'\nSECURE_COOKIES = 'sometimes'", "must be one of auto, always, never"),
])
def test_bad_settings_stop_start_up_with_one_sentence(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(RAPPORT_CONFIG=str(config), RAPPORT_INSTANCE=str(tmp_path / "instance"))
    result = subprocess.run([RAPPORT, "platform", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch) -> None:
    from lti_plugin.config import load_settings

    config = tmp_path / "config.toml"
    config.write_text("SECRET_KEY = 'from-the-file-long-enough'\nDATABASE_URL = 'sqlite:///x.db'\n")
    monkeypatch.setenv("RAPPORT_CONFIG", str(config))
    monkeypatch.setenv("RAPPORT_SECRET_KEY", "from-the-environment-long")
    monkeypatch.setenv("RAPPORT_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.delenv("RAPPORT_REDIS_URL", raising=False)
    settings = load_settings()
    assert settings["SECRET_KEY"] == "from-the-environment-long"
    assert settings["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    assert settings["REDIS_URL"] == ""


def test_example_config_documents_every_setting() -> None:
    import tomllib

    from lti_plugin.config import SETTINGS

    path = Path(__file__).resolve().parents[2] / "config.example.toml"
    text = path.read_text()
    documented = set(tomllib.loads(text))
    for setting in SETTINGS:
        assert setting.name in documented or f"# {setting.name} =" in text, setting.name
        line = next(i for i, l in enumerate(text.splitlines()) if setting.name in l and "=" in l)
        assert text.splitlines()[line - 1].startswith("#"), f"{setting.name} has no comment above it"


def test_the_app_refuses_to_start_on_invalid_content(tmp_path: Path) -> None:
    broken = Path(__file__).resolve().parents[1] / "fixtures" / "content_broken"
    config = tmp_path / "config.toml"
    config.write_text(f"SECRET_KEY = 'long-enough-secret-value'\nCONTENT_DIR = '{broken}'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(RAPPORT_CONFIG=str(config), RAPPORT_INSTANCE=str(tmp_path / "instance"))
    result = subprocess.run([RAPPORT, "keys", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "problem(s); fix them" in result.stderr
    assert ".yaml:" in result.stderr and "Traceback" not in result.stderr


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """A supervisor's SIGTERM lets the in-process grade worker finish, and the process exits 0."""
    import signal
    import socket
    import time

    instance = tmp_path / "instance"
    assert run(instance, "init").returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_INSTANCE"] = str(instance)
    server = subprocess.Popen([RAPPORT, "serve", "--port", str(port)], env=env, cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("rapport serve did not start listening")
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=45)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, output
    assert "Rapport has stopped." in output
    assert "Traceback" not in output
