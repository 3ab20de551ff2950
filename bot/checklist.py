"""`vanbill check`: a checklist of everything the bot needs, one line each, ✓ or ✗.

Exit status 0 only when every item holds; each ✗ line says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from vanbill.bot.startup import telegram_health
from vanbill.services.config import Settings
from vanbill.services.documents import REQUIRED_FONTS, FontsMissing, installed_font_families
from vanbill.services.documents import missing_fonts as absent_fonts
from vanbill.services.health import StartupError, mask_url, open_database, reach
from vanbill.services.schema import head_revision


@dataclass(frozen=True)
class Item:
    """One line of the checklist."""

    ok: bool
    what: str
    detail: str

    def line(self) -> str:
        """Return the line as printed."""
        return f"{'✓' if self.ok else '✗'} {self.what}: {self.detail}"


async def _database(settings: Settings) -> list[Item]:
    shown = mask_url(settings.database_url)
    try:
        db = open_database(settings.database_url)
    except StartupError as exc:
        return [Item(False, "database", exc.message)]
    try:
        health = await reach(db)
    except StartupError as exc:
        return [Item(False, "database", exc.message)]
    finally:
        await db.dispose()
    items = [Item(True, "database", f"{health.server} answers at {shown}")]
    problem = health.schema.problem()
    if problem is None:
        items.append(Item(True, "schema", f"at the latest revision {head_revision()}"))
    else:
        items.append(Item(False, "schema", problem))
    return items


def _fonts() -> Item:
    try:
        missing = absent_fonts(installed_font_families())
    except FontsMissing as exc:
        return Item(False, "fonts", str(exc))
    if missing:
        packages = " ".join(sorted(set(missing.values())))
        return Item(
            False,
            "fonts",
            f"missing {', '.join(sorted(missing))}: apt-get install {packages}",
        )
    return Item(True, "fonts", ", ".join(REQUIRED_FONTS))


async def _telegram(settings: Settings) -> list[Item]:
    if not settings.telegram_bot_token:
        return [
            Item(False, "Telegram", "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather")
        ]
    try:
        health = await telegram_health(settings)
    except StartupError as exc:
        return [Item(False, "Telegram", exc.message)]
    items = [Item(True, "Telegram", f"the token is valid: the bot is @{health.username}")]
    if health.webhook_url:
        detail = (
            f"set to {health.webhook_url} ({health.pending_updates} update(s) waiting); "
            "`vanbill run` without --webhook removes it"
        )
        if health.last_error:
            detail += f"; Telegram's last error posting there: {health.last_error}"
        items.append(Item(True, "webhook", detail))
    else:
        items.append(Item(True, "webhook", "none set: `vanbill run` polls"))
    return items


async def run_checklist(settings: Settings, out: TextIO) -> int:
    """Print every item; return 0 when all hold, 1 otherwise."""
    operators = len(settings.admin_ids)
    items = [
        Item(
            True,
            "configuration",
            f"DATABASE_URL={mask_url(settings.database_url)}, time zone {settings.timezone}, "
            f"{operators} operator id(s) in VANBILL_ADMIN_IDS, log level {settings.log_level}",
        )
    ]
    if not operators:
        items[0] = Item(
            True,
            "configuration",
            items[0].detail + " (nobody becomes an operator but by an invite link: put your "
            "Telegram user id in VANBILL_ADMIN_IDS)",
        )
    items += await _database(settings)
    items.append(_fonts())
    items += await _telegram(settings)
    for item in items:
        print(item.line(), file=out)
    failed = [item for item in items if not item.ok]
    if failed:
        print(f"{len(failed)} of {len(items)} checks failed.", file=out)
        return 1
    print(f"All {len(items)} checks passed.", file=out)
    return 0
