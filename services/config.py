"""Settings read from the environment and an optional .env file; built once in __main__."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///vanbill.db"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


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
    def _default_when_blank(cls, value: str) -> str:
        return value.strip() or DEFAULT_DATABASE_URL

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return (value.strip() or DEFAULT_TELEGRAM_API_URL).rstrip("/")
