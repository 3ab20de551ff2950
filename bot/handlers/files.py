"""Files an operator sends: a CSV or .xlsx of families to import (/import sends the template),
or a photo, screenshot or PDF of the bank's DuitNow QR. A parent's file is a transfer slip."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from vanbill.bot import parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import EVERYONE, allow, for_operator, sender_of
from vanbill.bot.handlers import slips
from vanbill.services import duitnow, imports, operators, routes
from vanbill.services.views import OperatorView

IMPORT_PREFIX, DUITNOW_PREFIX = "imp", "dn"
IMPORT_DRAFT, DUITNOW_DRAFT = "import_file", "duitnow_payload"
ANY_FILE = filters.PHOTO | filters.Document.ALL
QR_MIME = ("application/pdf", "image/")


def _is_qr_picture(message: Message) -> bool:
    if message.photo:
        return True
    document = message.document
    mime = (document.mime_type or "") if document else ""
    name = ((document.file_name or "") if document else "").lower()
    return mime.startswith(QR_MIME) or name.endswith((".pdf", ".png", ".jpg", ".jpeg"))


async def _download(context: VanBillContext, file_id: str, size: int | None, limit: int) -> bytes:
    if size is not None and size > limit:
        raise imports.FileRefused(
            "file.too_big", size_kb=f"{size // 1000:,}", limit_mb=limit // 1_000_000
        )
    telegram_file = await context.bot.get_file(file_id)
    return bytes(await telegram_file.download_as_bytearray())


def _buttons(prefix: str, operator_id: int, yes: str, no: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    yes, callback_data=parsing.owned_button_data(prefix, operator_id, "go")
                ),
                InlineKeyboardButton(
                    no, callback_data=parsing.owned_button_data(prefix, operator_id, "no")
                ),
            ]
        ]
    )


async def _without_buttons(update: Update) -> None:
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(BadRequest):  # already without buttons
            await query.edit_message_reply_markup(None)


# The DuitNow QR.


async def qr_received(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Find and check the QR in the picture; show what it says with Use / No."""
    message = update.effective_message
    assert message is not None
    if message.photo:
        photo = message.photo[-1]
        file_id, size, is_pdf = photo.file_id, photo.file_size, False
    else:
        assert message.document is not None
        document = message.document
        file_id, size = document.file_id, document.file_size
        is_pdf = (document.mime_type or "") == "application/pdf"
    content = await _download(context, file_id, size, duitnow.MAX_FILE_BYTES)
    code = await asyncio.to_thread(duitnow.read_code, content, is_pdf=is_pdf)
    context.user_data[DUITNOW_DRAFT] = code.payload
    await message.reply_text(
        texts.duitnow_found(code),
        reply_markup=_buttons(
            DUITNOW_PREFIX, operator.id, texts.DUITNOW_USE_BUTTON, texts.DUITNOW_NO_BUTTON
        ),
    )


async def qr_decided(update: Update, context: VanBillContext, operator: OperatorView) -> bool:
    """Keep the QR shown (Use) or forget it (No); return whether it was kept."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    action, _ = parsing.owned_button(query.data, DUITNOW_PREFIX, operator.id, ("go", "no"))
    payload = context.user_data.pop(DUITNOW_DRAFT, None)
    await query.answer()
    await _without_buttons(update)
    if action == "no":
        await chat.send_message(texts.DUITNOW_NOT_SAVED)
        return False
    if not isinstance(payload, str) or not payload:
        await chat.send_message(texts.DUITNOW_GONE)
        return False
    code = await operators.set_payment_qr(context.services.db, operator.id, payload)
    await chat.send_message(texts.duitnow_saved(code.merchant_name))
    return True


# Importing families.


async def import_received(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Check a file of families and show the preview with Import / Cancel."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    content = await _download(
        context, document.file_id, document.file_size, imports.MAX_FILE_BYTES
    )
    plan = await imports.preview_import(
        context.services.db,
        operator.id,
        context.services.clock,
        content,
        document.file_name or "families.csv",
    )
    markup = None
    if plan.families:
        context.user_data[IMPORT_DRAFT] = {
            "file_id": document.file_id,
            "filename": document.file_name or "families.csv",
            "sha256": plan.file_sha256,
        }
        markup = _buttons(
            IMPORT_PREFIX,
            operator.id,
            texts.import_button(len(plan.families)),
            texts.IMPORT_CANCEL_BUTTON,
        )
    await message.reply_text(texts.import_preview(plan, operator.currency), reply_markup=markup)


async def import_decided(update: Update, context: VanBillContext, operator: OperatorView) -> bool:
    """Import the previewed file (Import) or forget it (Cancel); return whether it imported."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    action, _ = parsing.owned_button(query.data, IMPORT_PREFIX, operator.id, ("go", "no"))
    draft = context.user_data.pop(IMPORT_DRAFT, None)
    await query.answer()
    await _without_buttons(update)
    if action == "no":
        await chat.send_message(texts.IMPORT_CANCELLED)
        return False
    if not isinstance(draft, dict):
        await chat.send_message(texts.IMPORT_GONE)
        return False
    content = await _download(context, str(draft["file_id"]), None, imports.MAX_FILE_BYTES)
    done = await imports.import_families(
        context.services.db,
        operator.id,
        context.services.clock,
        content,
        str(draft.get("filename") or "families.csv"),
    )
    await chat.send_message(texts.import_done(done))
    return True


# Outside any conversation.


@allow(*EVERYONE)
async def file_sent(update: Update, context: VanBillContext) -> None:
    """Take an operator's file (families or the DuitNow QR); a parent's is a transfer slip."""
    message = update.effective_message
    assert message is not None
    sender = await sender_of(update, context)
    if not sender.is_operator:
        if slips.SLIP_FILES.check_update(update):
            await slips.slip_sent(update, context)
        else:
            assert update.effective_chat is not None
            await update.effective_chat.send_message(texts.help_text(sender))
        return
    assert sender.operator is not None
    if _is_qr_picture(message):
        await qr_received(update, context, sender.operator)
    elif message.document is not None:
        await import_received(update, context, sender.operator)
    else:
        await message.reply_text(texts.FILE_NOT_UNDERSTOOD)


@for_operator
async def qr_pressed(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Use or forget the QR shown."""
    await qr_decided(update, context, operator)


@for_operator
async def import_pressed(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Import or cancel the file shown."""
    await import_decided(update, context, operator)


@for_operator
async def send_template(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Send the import template (on the operator's own routes) and how to fill it in."""
    chat = update.effective_chat
    assert chat is not None
    names = [r.name for r in await routes.list_services(context.services.db, operator.id)]
    await chat.send_document(
        imports.template_csv(names), filename="families-template.csv", caption=texts.IMPORT_HOW
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Return this area's handlers (before the slips', whose parents' files they pass on)."""
    return [
        CommandHandler("import", send_template),
        CallbackQueryHandler(qr_pressed, pattern=rf"^{DUITNOW_PREFIX}:"),
        CallbackQueryHandler(import_pressed, pattern=rf"^{IMPORT_PREFIX}:"),
        MessageHandler(ANY_FILE, file_sent),
    ]
