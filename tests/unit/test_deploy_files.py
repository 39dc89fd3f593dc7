"""The deployment files hold together: no Docker engine runs here, so what can be checked is checked."""
from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys

import yaml

from lti_plugin.cli import gunicorn_command
from tests.conftest import ROOT, SECRET

DEPLOY = ROOT / "deploy"


def test_the_compose_file_names_every_service_and_wires_them() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "rapport", "worker", "proxy"}
    assert services["migrate"]["command"] == ["rapport", "init"]
    assert services["worker"]["command"][:2] == ["rapport", "worker"]
    assert services["rapport"]["command"] == ["gunicorn", "--config", "deploy/gunicorn.conf.py", "lti_plugin.wsgi:app"]
    for name in ("rapport", "worker"):
        environment = services[name]["environment"]
        assert environment["RAPPORT_DATABASE_URL"].startswith("postgresql+psycopg://") and "@db:5432/" in environment["RAPPORT_DATABASE_URL"]
        assert environment["RAPPORT_REDIS_URL"] == "redis://redis:6379/0"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "noeviction" in services["redis"]["command"]
    assert "rapport:8000" in (DEPLOY / "Caddyfile").read_text()


def test_the_example_settings_are_settings_rapport_accepts(tmp_path, monkeypatch) -> None:
    from lti_plugin.config import load_settings

    monkeypatch.setenv("RAPPORT_CONFIG", str(DEPLOY / "rapport.example.toml"))
    monkeypatch.setenv("RAPPORT_SECRET_KEY", SECRET)
    monkeypatch.setenv("RAPPORT_INSTANCE", str(tmp_path))
    settings = load_settings()
    assert settings["TRUSTED_PROXIES"] == 1 and settings["PUBLIC_URL"].startswith("https://")


def test_the_dockerfile_runs_gunicorn_with_the_shipped_config() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r'^CMD \["gunicorn", "--config", "deploy/gunicorn.conf.py", "lti_plugin.wsgi:app"\]$', dockerfile, re.M)
    assert re.search(r"^USER rapport$", dockerfile, re.M)
    for folder in ("lti_plugin", "migrations", "content", "deploy"):
        assert re.search(rf"^COPY {folder} {folder}$", dockerfile, re.M)


def test_the_gunicorn_config_reads_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RAPPORT_BIND", "0.0.0.0:9000")
    monkeypatch.setenv("RAPPORT_WORKERS", "3")
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["bind"] == "0.0.0.0:9000" and settings["workers"] == 3
    assert settings["accesslog"] is None  # its access log would print launch tokens from query strings
    assert settings["preload_app"] is False and settings["secure_scheme_headers"] == {}


def test_a_gunicorn_worker_takes_a_connection_only_with_a_thread_free(monkeypatch) -> None:
    """By default a burst queues in the kernel and spreads over the workers (no keep-alive pinning)."""
    for name in ("RAPPORT_THREADS", "RAPPORT_WORKER_CONNECTIONS", "RAPPORT_KEEPALIVE"):
        monkeypatch.delenv(name, raising=False)
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["worker_connections"] == settings["threads"] == 2 and settings["keepalive"] == 0
    monkeypatch.setenv("RAPPORT_THREADS", "4")
    assert runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["worker_connections"] == 4
    monkeypatch.setenv("RAPPORT_WORKER_CONNECTIONS", "40")
    monkeypatch.setenv("RAPPORT_KEEPALIVE", "5")
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["worker_connections"] == 40 and settings["keepalive"] == 5


def test_gunicorn_loads_the_config_and_the_app(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(RAPPORT_SECRET_KEY=SECRET, RAPPORT_INSTANCE=str(tmp_path))
    command = gunicorn_command()
    assert command[-1] == "lti_plugin.wsgi:app"
    checked = subprocess.run([*command[:-1], "--check-config", command[-1]], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_serve_production_binds_where_asked() -> None:
    command = gunicorn_command("0.0.0.0", 8080)
    assert command[:3] == [sys.executable, "-m", "gunicorn"]
    assert command[command.index("--bind") + 1] == "0.0.0.0:8080"


def test_the_build_context_leaves_the_operators_files_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    # `COPY deploy deploy` would otherwise put the secrets of deploy/.env in the image.
    assert {"deploy/.env", "deploy/rapport.toml", ".git", ".venv", "instance"} <= set(ignored)


def test_only_the_app_container_runs_the_images_http_healthcheck() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert services["migrate"]["healthcheck"] == {"disable": True}
    assert "healthcheck" not in services["rapport"]
    assert services["rapport"]["environment"]["RAPPORT_RESEARCH_KEY"] == "${RAPPORT_RESEARCH_KEY:-}"
