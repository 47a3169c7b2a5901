"""Typed settings: a TOML file overridden by ``SINAU_*`` environment variables."""

from __future__ import annotations

import json
import os
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

DEFAULT_CONFIG_FILE = Path("config.toml")
DEFAULT_UNITS = [
    "Kecamatan Gajahmungkur",
    "Kelurahan Bendan Duwur",
    "Kelurahan Bendan Ngisor",
    "Kelurahan Bendungan",
    "Kelurahan Gajahmungkur",
    "Kelurahan Karangrejo",
    "Kelurahan Lempongsari",
    "Kelurahan Petompon",
    "Kelurahan Sampangan",
]


class ConfigError(Exception):
    """A configuration problem, described in one line that names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSettings(_Section):
    """How the bot reaches the Bot API server."""

    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    poll_timeout: int = Field(default=10, ge=0, le=50)
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_path: str = "telegram"
    webhook_secret: SecretStr | None = None

    @field_validator("api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.strip()
        scheme, sep, rest = value.partition("://")
        if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
            raise ValueError("must start with http:// or https:// and name a server")
        return f"{scheme.lower()}://{rest}".rstrip("/")

    @field_validator("webhook_secret")
    @classmethod
    def _secret_charset(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram allows 1-256 characters of A-Z a-z 0-9 _ - in the secret token.
        if value is None:
            return None
        raw = value.get_secret_value()
        if not 1 <= len(raw) <= 256 or not all(c.isascii() and (c.isalnum() or c in "_-")
                                                for c in raw):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value


class DatabaseSettings(_Section):
    """Where the data lives: an SQLite file (the default) or a PostgreSQL server.

    ``url`` wins over ``path`` when both are set: ``sqlite:///data/sinau.db`` (relative),
    ``sqlite:////var/lib/sinau/sinau.db`` (absolute) or ``postgresql://user@host/db``. It is a
    secret (a PostgreSQL URL may hold a password): never printed, only its redacted form.
    """

    path: Path = Path("data/sinau.db")
    url: SecretStr | None = None
    # PostgreSQL: connections each worker keeps at most (a unit of work holds one until COMMIT).
    pool_size: int = Field(default=10, ge=2, le=200)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        text = value.get_secret_value().strip()
        scheme, sep, rest = text.partition("://")
        scheme = scheme.lower()
        if not sep or scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must start with sqlite:/// or postgresql://")
        if scheme == "sqlite" and (not rest.startswith("/") or not rest.strip("/")):
            raise ValueError("an SQLite URL names a file: sqlite:///data/sinau.db")
        return SecretStr(text)

    @property
    def engine(self) -> Literal["sqlite", "postgresql"]:
        """Which engine the settings choose."""
        if self.url is not None and not self.url.get_secret_value().startswith("sqlite"):
            return "postgresql"
        return "sqlite"

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file: from ``url`` when it names one, else ``path``."""
        if self.url is not None and self.engine == "sqlite":
            # sqlite:///relative/file and sqlite:////absolute/file, as SQLAlchemy spells them.
            return Path(self.url.get_secret_value().partition("://")[2][1:])
        return self.path

    @property
    def postgres_url(self) -> str:
        """The PostgreSQL URL (only when ``engine`` is postgresql)."""
        if self.url is None or self.engine != "postgresql":
            raise ValueError("database.url does not name a PostgreSQL server")
        return self.url.get_secret_value()


class AccessSettings(_Section):
    """Who administers the bot."""

    # NoDecode: the value is read here, so "[1, 2]" (the documented JSON list), "1, 2", a single
    # "1" and an empty value all work; anything else is refused in one line.
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # A BKPSDM with one trainer per kelurahan keeps each trainer to the cohorts they run.
    trainers_own_cohorts: bool = False

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError("not a JSON list (for example [123456789, 987654321])") from None
        parts = [part.strip() for part in text.split(",")]
        if parts == [""]:
            return []
        if not all(part.isdigit() for part in parts):
            raise ValueError("expected Telegram user ids, for example [123456789, 987654321]")
        return [int(part) for part in parts]


class LocaleSettings(_Section):
    """Defaults for time zone and language."""

    timezone: str = "Asia/Jakarta"
    default_language: Literal["id", "en"] = "id"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class LearningSettings(_Section):
    """How lessons and quizzes are delivered."""

    quiz_mode: Literal["inline", "poll"] = "inline"
    units: list[str] = Field(default_factory=lambda: list(DEFAULT_UNITS))
    nudge_times: list[time] = Field(
        default_factory=lambda: [time(6, 30), time(7, 30), time(12, 30), time(19, 30)]
    )
    default_nudge_time: time = time(7, 30)
    annual_jp_target: int = Field(default=20, ge=1, le=500)
    minutes_per_jp: int = Field(default=45, ge=1, le=120)
    # FSRS: the chance of still recalling an item when it falls due, for learners who did not
    # pick one in /settings (0.85, 0.9 or 0.95 there). Higher means more reviews.
    review_retention: float = Field(default=0.9, ge=0.7, le=0.97)
    # At most this many review answers per local day: a learner back after a long absence
    # gets the most forgotten items first, a day's portion at a time, not hundreds at once.
    review_daily_limit: int = Field(default=20, ge=1, le=1000)
    # The final evaluation (post-test) of a course: at least this many questions drawn from
    # the course's pool (all of them if it has fewer), and the wait before a retake.
    evaluation_questions: int = Field(default=10, ge=1, le=100)
    evaluation_cooldown_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)


class NudgeSettings(_Section):
    """Daily learning nudges."""

    enabled: bool = True
    tick_seconds: float = Field(default=5, gt=0, le=300)
    # A delayed nudge (downtime, a clock jump) still goes out later that local day by default.
    grace_minutes: int = Field(default=24 * 60, ge=0, le=24 * 60)
    quiet_start: time = time(6, 0)
    quiet_end: time = time(21, 0)
    backoff_after: int = Field(default=3, ge=1, le=30)
    streak_kept_note: bool = False


class DeliverySettings(_Section):
    """Rate limits for bulk traffic (Telegram's documented flood limits)."""

    global_per_second: float = Field(default=30, gt=0, le=1000)
    chat_per_second: float = Field(default=1, gt=0, le=30)
    group_per_minute: int = Field(default=20, ge=1, le=600)
    max_retries: int = Field(default=5, ge=0, le=50)
    chat_burst: int = Field(default=3, ge=1, le=20)
    safety_margin: float = Field(default=0.01, ge=0, lt=0.5)
    workers: int = Field(default=8, ge=1, le=256)
    pacing: bool = True
    # Bulk sends (broadcasts, group prompts) wait out these local hours of each recipient:
    # "HH:MM-HH:MM", across midnight when the start is later; "" sends at any hour.
    quiet_hours: str = "21:00-06:00"

    @field_validator("quiet_hours")
    @classmethod
    def _hours_range(cls, value: str) -> str:
        text = value.strip()
        if text:
            quiet_window(text)
        return text

    @property
    def quiet(self) -> tuple[time, time] | None:
        """The quiet hours as (start, end) local times; None when bulk sends never wait."""
        return quiet_window(self.quiet_hours) if self.quiet_hours else None


def quiet_window(text: str) -> tuple[time, time]:
    """Parse "HH:MM-HH:MM" into (start, end); ValueError naming what is wrong."""
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        window = (time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
    except ValueError:
        raise ValueError('must be "HH:MM-HH:MM", for example "21:00-06:00"') from None
    if window[0] == window[1]:
        raise ValueError("start and end must differ (use \"\" for no quiet hours)")
    return window


class PrivacySettings(_Section):
    """Data retention and what discussion text is kept."""

    retention_months: int = Field(default=24, ge=1, le=240)
    store_discussion_text: bool = False


class DiscussionSettings(_Section):
    """Group discussions: when the weekly prompt goes to each cohort group."""

    weekly_prompt: bool = True
    weekly_prompt_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    weekly_prompt_time: time = time(9, 0)


class SafetySettings(_Section):
    """Inbound flood control: how much one person may send before the bot stops listening."""

    # Nobody types or taps 20 times in 2 s, and a whole lesson with its quiz is fewer updates:
    # only scripts, stuck keys and floods reach it.
    flood_updates: int = Field(default=20, ge=3, le=1000)
    flood_window_seconds: float = Field(default=2, gt=0, le=60)


class ContentSettings(_Section):
    """Course packs: the shipped ones plus an optional folder of local ones."""

    extra_packs: Path | None = None
    max_upload_bytes: int = Field(default=512 * 1024, ge=1024, le=20 * 1024 * 1024)


class CertificateSettings(_Section):
    """What a certificate says about who issued it."""

    # The issuing institution printed on every certificate and its verification.
    issuer: str = Field(default="Kecamatan Gajahmungkur, Kota Semarang", min_length=1,
                        max_length=120)


class WebSettings(_Section):
    """The bot's own web side (certificate verification; the dashboard)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Where people reach the web side (https://sinau.example.go.id); certificates' QR codes
    # point at {public_url}/verify/{code} when it is set, else at the bot's deep link.
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("web.public_url must start with http:// or https://")
        return value


class Settings(BaseSettings):
    """All of Sinau's settings."""

    model_config = SettingsConfigDict(
        env_prefix="SINAU_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    telegram: TelegramSettings = TelegramSettings()
    database: DatabaseSettings = DatabaseSettings()
    access: AccessSettings = AccessSettings()
    locale: LocaleSettings = LocaleSettings()
    learning: LearningSettings = LearningSettings()
    nudges: NudgeSettings = NudgeSettings()
    delivery: DeliverySettings = DeliverySettings()
    privacy: PrivacySettings = PrivacySettings()
    content: ContentSettings = ContentSettings()
    discussion: DiscussionSettings = DiscussionSettings()
    safety: SafetySettings = SafetySettings()
    certificates: CertificateSettings = CertificateSettings()
    web: WebSettings = WebSettings()

    @property
    def clustered(self) -> bool:
        """True when several workers may share the database: webhooks on PostgreSQL."""
        return self.database.engine == "postgresql" and self.telegram.mode == "webhook"

    @property
    def zone(self) -> ZoneInfo:
        """The default time zone as a ZoneInfo."""
        return ZoneInfo(self.locale.timezone)


def _with_file(path: Path | None) -> type[Settings]:
    """A Settings subclass whose sources are: init kwargs, environment, then the TOML file."""

    class _FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if path is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
            return tuple(sources)

    return _FileSettings


def _env_name(loc: tuple[int | str, ...]) -> str:
    return "SINAU_" + "__".join(str(part).upper() for part in loc)


def describe_error(exc: ValidationError) -> str:
    """One line naming the first bad key, its environment variable and what is wrong."""
    first = exc.errors(include_input=False, include_url=False)[0]
    loc = tuple(p for p in first["loc"] if not isinstance(p, int)) or ("(root)",)
    key = ".".join(str(p) for p in first["loc"])
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"config error: {key} ({_env_name(loc)}): {message}{tail}"


def load_settings(config_path: Path | str | None = None, **overrides: Any) -> Settings:
    """Load settings from the TOML file (if any) and the environment; raise ConfigError."""
    explicit = config_path if config_path is not None else os.environ.get("SINAU_CONFIG")
    path = Path(explicit) if explicit else DEFAULT_CONFIG_FILE
    if explicit and not path.is_file():
        raise ConfigError(f"config error: config file {str(path)!r} not found")
    found: Path | None = None
    if path.is_file():
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config error: {path}: {exc}") from None
        found = path
    try:
        return _with_file(found)(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None
    except SettingsError as exc:
        raise ConfigError(_describe_env_error(exc)) from None


def _describe_env_error(exc: SettingsError) -> str:
    """Name the environment variable whose JSON value could not be parsed."""
    for name, value in sorted(os.environ.items()):
        if not name.startswith("SINAU_") or "__" not in name:
            continue
        section, _, key = name.removeprefix("SINAU_").lower().partition("__")
        model = Settings.model_fields.get(section)
        annotation = getattr(model, "annotation", None) if model else None
        field = getattr(annotation, "model_fields", {}).get(key)
        if field is None or getattr(field.annotation, "__origin__", None) not in (list, dict):
            continue
        try:
            json.loads(value)
        except ValueError:
            return (f"config error: {section}.{key} ({name}): not a JSON value"
                    " (for example [123456789, 987654321])")
    return f"config error: {exc}"
