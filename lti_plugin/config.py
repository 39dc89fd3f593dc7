"""Rapport's settings: defaults, the TOML file, environment overrides, one clear error."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one sentence for the operator."""


@dataclass(frozen=True)
class Setting:
    """One setting Rapport understands: its type, default and a line of help."""

    name: str
    kind: type
    default: Any
    help: str
    minimum: float | None = None


# Every setting Rapport reads. config.example.toml documents each of them (a test checks).
SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", str, "", "Signs sessions and CSRF tokens; prefer RAPPORT_SECRET_KEY."),
    Setting("DATABASE_URL", str, "", "SQLAlchemy URL; empty means SQLite in the instance folder."),
    Setting("REDIS_URL", str, "", "Redis URL for shared state and cache; empty means none."),
    Setting("PUBLIC_URL", str, "", "Base URL platforms reach Rapport at; empty: from the request."),
    Setting("CONTENT_DIR", str, "", "Folder of modules, quizzes, checklists; empty: ./content."),
    Setting("CONTENT_RELOAD", bool, False, "Reload content files when they change (development)."),
    Setting("LAUNCH_LEEWAY_SECONDS", int, 60, "Clock skew allowed on iat/exp.", 0),
    Setting("LOGIN_STATE_SECONDS", int, 600, "How long a login may take before launch.", 30),
    Setting("NONCE_SECONDS", int, 3600, "How long a used nonce is remembered.", 60),
    Setting("LAUNCH_SESSION_SECONDS", int, 28800, "How long a launch stays usable.", 60),
    Setting("PLATFORM_KEYS_CACHE_SECONDS", int, 3600, "How long a platform key set is kept.", 0),
    Setting("LTI_CONFIG_CACHE_SECONDS", float, 5.0,
            "How long each process keeps registrations and deployments it read (0: read every time).", 0),
    Setting("DB_PING_AFTER_IDLE_SECONDS", float, 10.0,
            "Check a pooled database connection before use once it sat idle this long (0: before every use).", 0),
    Setting("HTTP_TIMEOUT_SECONDS", float, 10.0, "Timeout for every call to a platform.", 0.1),
    Setting("ROSTER_FRESH_SECONDS", int, 900, "How long a roster read from the LMS is used without asking again.", 0),
    Setting("ROSTER_REFRESH_SECONDS", float, 8.0, "Longest a roster refresh may wait for the LMS, in all.", 0.5),
    Setting("MAX_ID_TOKEN_BYTES", int, 65536, "Largest id_token accepted.", 1024),
    Setting("KEY_GRACE_DAYS", int, 14, "Days a retired signing key stays published.", 0),
    Setting("TRUSTED_PROXIES", int, 0, "Proxies in front of Rapport (X-Forwarded-* hops).", 0),
    Setting("SECURE_COOKIES", str, "auto", "auto (over TLS or on loopback), always or never."),
    Setting("LOG_LEVEL", str, "INFO", "DEBUG, INFO, WARNING or ERROR."),
    Setting("AUTO_APPROVE_REGISTRATIONS", bool, False, "Dynamic registrations start active, without approval."),
    Setting("TIMEZONE", str, "UTC", "IANA time zone survey schedules start in (each course may pick another)."),
    Setting("RESEARCH_KEY", str, "", "Keys the pseudonymous ids of de-identified exports; prefer RAPPORT_RESEARCH_KEY."),
    Setting("LOG_FORMAT", str, "json", "json (one object a line) or text."),
    Setting("METRICS_TOKEN", str, "", "Bearer token that opens /metrics; empty: /metrics is off."),
    Setting("METRICS_FLUSH_SECONDS", float, 1.0,
            "With Redis, how often each process sends its counts (0: on every count).", 0),
)

ENV_OVERRIDES = {
    "RAPPORT_SECRET_KEY": "SECRET_KEY",
    "RAPPORT_DATABASE_URL": "DATABASE_URL",
    "RAPPORT_REDIS_URL": "REDIS_URL",
    "RAPPORT_RESEARCH_KEY": "RESEARCH_KEY",
    "RAPPORT_METRICS_TOKEN": "METRICS_TOKEN",
}

_CHOICES = {
    "SECURE_COOKIES": ("auto", "always", "never"),
    "LOG_LEVEL": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "LOG_FORMAT": ("json", "text"),
}


def instance_dir() -> Path:
    """The folder for the SQLite database and the generated config (./instance by default)."""
    return Path(os.environ.get("RAPPORT_INSTANCE", Path.cwd() / "instance")).resolve()


def config_path() -> Path | None:
    """The TOML file to read: RAPPORT_CONFIG, else instance/config.toml when it exists."""
    named = os.environ.get("RAPPORT_CONFIG")
    if named:
        return Path(named)
    default = instance_dir() / "config.toml"
    return default if default.exists() else None


def _coerce(setting: Setting, value: Any, source: str) -> Any:
    where = f"{setting.name} in {source}"
    if setting.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
        raise ConfigError(f"{where} must be true or false, not {value!r}.")
    if setting.kind in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, not {value!r}.")
        try:
            number = setting.kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, not {value!r}.") from None
        if setting.minimum is not None and number < setting.minimum:
            raise ConfigError(f"{where} must be at least {setting.minimum:g}, not {value!r}.")
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be text in quotes, not {value!r}.")
    choices = _CHOICES.get(setting.name)
    if choices and value not in choices:
        raise ConfigError(f"{where} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"The settings file {path} (named by RAPPORT_CONFIG) does not exist.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"The settings file {path} is not valid TOML: {error}.") from None


def load_settings(test_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the TOML file, then environment overrides, then a test mapping."""
    by_name = {s.name: s for s in SETTINGS}
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    path = config_path()
    if path is not None:
        for key, raw in _read_toml(path).items():
            setting = by_name.get(key.upper())
            if setting is None:
                raise ConfigError(f"{path} has an unknown setting {key!r}; see config.example.toml.")
            values[setting.name] = _coerce(setting, raw, str(path))
    for env_name, key in ENV_OVERRIDES.items():
        if os.environ.get(env_name):
            values[key] = _coerce(by_name[key], os.environ[env_name], env_name)
    extra: dict[str, Any] = {}
    for key, raw in (test_config or {}).items():
        setting = by_name.get(key)
        if setting is None:
            extra[key] = raw  # Flask's own keys (TESTING, ...) pass through
        else:
            values[key] = _coerce(setting, raw, "the test configuration")
    if not values["SECRET_KEY"]:
        raise ConfigError(
            "No secret key is set: run `rapport init` to create instance/config.toml, "
            "or set RAPPORT_SECRET_KEY."
        )
    if len(values["SECRET_KEY"]) < 16:
        raise ConfigError("The secret key is too short: use at least 16 random characters.")
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance_dir() / 'rapport.db'}"
    if not values["CONTENT_DIR"]:
        values["CONTENT_DIR"] = str(PROJECT_ROOT / "content")
    if values["PUBLIC_URL"] and not values["PUBLIC_URL"].startswith(("http://", "https://")):
        raise ConfigError(f"PUBLIC_URL must start with http:// or https://, not {values['PUBLIC_URL']!r}.")
    values["PUBLIC_URL"] = values["PUBLIC_URL"].rstrip("/")
    if values["REDIS_URL"] and not values["REDIS_URL"].startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix://, not {values['REDIS_URL']!r}.")
    url = values["DATABASE_URL"]
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):  # psycopg 3 is the driver Rapport ships with
            values["DATABASE_URL"] = "postgresql+psycopg://" + url[len(plain):]
    if "://" not in values["DATABASE_URL"]:
        raise ConfigError(f"DATABASE_URL must be a URL such as postgresql+psycopg://..., not {values['DATABASE_URL']!r}.")
    if values["RESEARCH_KEY"] and len(values["RESEARCH_KEY"]) < 32:
        raise ConfigError("RESEARCH_KEY is too short: use at least 32 random characters (or leave it empty).")
    _check_zone(values["TIMEZONE"])
    if values["METRICS_TOKEN"] and len(values["METRICS_TOKEN"]) < 16:
        raise ConfigError("METRICS_TOKEN is too short: use at least 16 random characters, or leave it empty.")
    values.update(extra)
    return values


def _check_zone(name: str) -> None:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ConfigError(f"TIMEZONE must be an IANA time zone name such as Europe/Lisbon, not {name!r}.") from None
