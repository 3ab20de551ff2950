"""Settings read from the environment and an optional .env file; built once in __main__."""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///vanbill.db"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# The scheme people type -> the async driver VanBill runs on.
_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "mysql": "mysql+aiomysql",
    "mysql+aiomysql": "mysql+aiomysql",
    "mariadb": "mariadb+aiomysql",
    "mariadb+aiomysql": "mariadb+aiomysql",
}
_USE = "use sqlite+aiosqlite:///vanbill.db or mysql+aiomysql://user:password@host:3306/vanbill"


def _masked(url: str) -> str:
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def normalise_database_url(url: str) -> str:
    """Return the URL on VanBill's async driver (mysql:// -> mysql+aiomysql://), or refuse it."""
    url = url.strip() or DEFAULT_DATABASE_URL
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"DATABASE_URL={_masked(url)!r} is not a database URL: {_USE}")
    driver = _SCHEMES.get(scheme.lower())
    if driver is None:
        backend = scheme.split("+", 1)[0].lower()
        if backend in ("mysql", "mariadb", "sqlite"):
            raise ValueError(
                f"DATABASE_URL uses the driver {scheme!r}; VanBill needs the async one: {_USE}"
            )
        raise ValueError(f"DATABASE_URL has an unknown database type {scheme!r}: {_USE}")
    return f"{driver}://{rest}"


class Settings(BaseSettings):
    """Everything VanBill reads from its environment (see the README's configuration table)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL")
    )
    telegram_bot_token: str = Field(
        default="", validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN")
    )
    telegram_api_url: str = Field(
        default=DEFAULT_TELEGRAM_API_URL, validation_alias=AliasChoices("TELEGRAM_API_URL")
    )
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), validation_alias=AliasChoices("VANBILL_ADMIN_IDS")
    )
    timezone: str = Field(
        default="Asia/Kuala_Lumpur", validation_alias=AliasChoices("VANBILL_TIMEZONE")
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL"))

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> frozenset[int]:
        if value is None or value == "":
            return frozenset()
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError(
                    "VANBILL_ADMIN_IDS must be comma-separated Telegram user ids, e.g. 12345,67890"
                ) from exc
        return frozenset(value)  # type: ignore[arg-type]

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        value = value.strip() or "Asia/Kuala_Lumpur"
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"VANBILL_TIMEZONE={value!r} is not a time zone: use a name like Asia/Kuala_Lumpur"
            ) from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL={value!r} is not one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return (value.strip() or DEFAULT_TELEGRAM_API_URL).rstrip("/")
