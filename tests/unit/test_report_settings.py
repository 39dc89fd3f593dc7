"""The settings behind surveys and research exports: the time zone, the research key, and `rapport init` adding one."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from lti_plugin.cli import _ensure_research_key
from lti_plugin.config import ConfigError, load_settings

SECRET = "a-secret-that-is-long-enough"


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("RAPPORT_CONFIG", "RAPPORT_RESEARCH_KEY", "RAPPORT_SECRET_KEY", "RAPPORT_DATABASE_URL", "RAPPORT_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAPPORT_INSTANCE", str(tmp_path))
    return tmp_path


def test_init_adds_a_research_key_to_an_older_config_once(instance: Path) -> None:
    config = instance / "config.toml"
    config.write_text(f'SECRET_KEY = "{SECRET}"', encoding="utf-8")  # no final newline
    assert _ensure_research_key() == str(config)
    text = config.read_text(encoding="utf-8")
    key = tomllib.loads(text)["RESEARCH_KEY"]
    assert len(key) >= 32 and tomllib.loads(text)["SECRET_KEY"] == SECRET
    assert _ensure_research_key() is None and config.read_text(encoding="utf-8") == text
    assert load_settings()["RESEARCH_KEY"] == key


def test_init_leaves_a_key_from_the_environment_alone(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = instance / "config.toml"
    config.write_text(f'SECRET_KEY = "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv("RAPPORT_RESEARCH_KEY", "r" * 40)
    assert _ensure_research_key() is None and "RESEARCH_KEY" not in config.read_text(encoding="utf-8")
    assert load_settings()["RESEARCH_KEY"] == "r" * 40


def test_bad_zone_and_short_research_key_stop_start_up(instance: Path) -> None:
    with pytest.raises(ConfigError, match="TIMEZONE must be an IANA time zone"):
        load_settings({"SECRET_KEY": SECRET, "TIMEZONE": "Europe/Atlantis"})
    with pytest.raises(ConfigError, match="RESEARCH_KEY is too short"):
        load_settings({"SECRET_KEY": SECRET, "RESEARCH_KEY": "short"})
    assert load_settings({"SECRET_KEY": SECRET, "TIMEZONE": "America/Chicago"})["TIMEZONE"] == "America/Chicago"
