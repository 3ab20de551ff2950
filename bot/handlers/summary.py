"""/summary: the chart of invoiced, collected and outstanding, with this month's figures."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from vanbill.bot import texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import allow, sender_of
from vanbill.services import reports
from vanbill.services.charts import render_summary_chart_async
from vanbill.services.roles import OPERATOR


@allow(OPERATOR)
async def show_summary(update: Update, context: VanBillContext) -> None:
    """Send the summary chart with this month's figures as its caption."""
    chat, services = update.effective_chat, context.services
    sender = await sender_of(update, context)
    assert chat is not None and sender.operator is not None
    report = await reports.summary_report(services.db, sender.operator.id, services.clock)
    png = await render_summary_chart_async(report)
    await chat.send_photo(
        InputFile(png, filename="summary.png"), caption=texts.summary_caption(report)
    )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers."""
    return [CommandHandler("summary", show_summary)]
