"""A fake Telegram Bot API server on the loopback interface, for driving the real Application.

It answers `/bot<token>/<method>` (GET or POST; JSON, form or multipart bodies, the way
python-telegram-bot sends them) with real Bot API JSON, records every call, and lets a test play
the people on the other side: type text and commands, press inline buttons, share a contact,
send a photo or a document, edit what they sent. It can also be told to fail a method with 429
(retry_after) or 403, and to hold the bot to Telegram's limits: messages a second overall
(max_per_second) and one message a second in each chat (per_chat_interval), with a 429 beyond.

    async with FakeTelegram() as tg:
        settings = Settings(telegram_bot_token=tg.token, telegram_api_url=tg.api_url)
        tg.send_message(user, "/start")
        await tg.wait_for(1, chat_id=user.id)
"""

from __future__ import annotations

import asyncio
import collections
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DEFAULT_TOKEN = "123456789:AAFakeTokenForVanBillTests"
MAX_LONG_POLL = 5.0

# Methods whose result the person sees in their chat.
VISIBLE_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendMediaGroup",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "deleteMessage",
    }
)
# Parameters that are always plain text, never JSON (a text of "40" must stay a string).
TEXT_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "inline_message_id",
        "file_id",
        "emoji",
        "title",
        "description",
        "short_description",
        "name",
        "phone_number",
        "first_name",
        "last_name",
        "language_code",
        "action",
        "business_connection_id",
        "message_effect_id",
    }
)


# The tags Telegram accepts in HTML parse mode; anything else is refused with 400, as it does.
HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_TAG = re.compile(
    r"""<(/?)([a-zA-Z][a-zA-Z-]*)((?:\s+[a-zA-Z-]+(?:=(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*>"""
)


def html_problem(text: str) -> str | None:
    """Return why Telegram would refuse text in HTML parse mode, or None if it is fine."""
    open_tags: list[str] = []
    position = 0
    while (start := text.find("<", position)) >= 0:
        tag = _HTML_TAG.match(text, start)
        if tag is None:
            return f"can't parse entities: Unsupported start tag at byte offset {start}"
        closing, name = tag.group(1), tag.group(2).lower()
        if name not in HTML_TAGS:
            return f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {start}'
        if closing:
            if not open_tags or open_tags[-1] != name:
                return f"can't parse entities: Unmatched end tag at byte offset {start}"
            open_tags.pop()
        else:
            open_tags.append(name)
        position = tag.end()
    if open_tags:
        name = open_tags[-1]
        return f"can't parse entities: Can't find end tag corresponding to start tag \"{name}\""
    return None


def rendered(text: str, parse_mode: str | None) -> str:
    """Return what the person reads: HTML tags dropped and entities decoded."""
    if (parse_mode or "").upper() != "HTML":
        return text
    return html.unescape(_HTML_TAG.sub("", text))


@dataclass(frozen=True)
class TgUser:
    """A person on Telegram (their private chat with the bot has the same id)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str = "en"

    def as_json(self) -> dict[str, Any]:
        """Return the Bot API User object."""
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data

    def private_chat(self) -> dict[str, Any]:
        """Return the Bot API Chat object of their private chat with the bot."""
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class StoredFile:
    """A file uploaded by the bot or sent by a user, as the fake keeps it."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    filename: str | None
    mime_type: str | None

    @property
    def file_path(self) -> str:
        """Return the path under /file/bot<token>/ it downloads from."""
        return f"{self.kind}s/{self.file_unique_id}"


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, StoredFile] = field(default_factory=dict)
    chat_id: int | None = None
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)  # when the fake received it

    @property
    def ok(self) -> bool:
        """Say whether the fake answered it successfully."""
        return self.status == 200

    @property
    def text(self) -> str:
        """Return the text or caption the person sees ('' when there is none)."""
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def seen(self) -> str:
        """Return the text as the person reads it (HTML rendered; alerts are plain)."""
        return rendered(self.text, self.params.get("parse_mode"))

    @property
    def reply_markup(self) -> dict[str, Any]:
        """Return the reply markup sent with the call ({} when none)."""
        markup = self.params.get("reply_markup")
        return markup if isinstance(markup, dict) else {}

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Return every inline or reply keyboard button, row after row."""
        rows = self.reply_markup.get("inline_keyboard") or self.reply_markup.get("keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    @property
    def message_id(self) -> int | None:
        """Return the id of the message this call created or edited, if any."""
        if isinstance(self.result, dict):
            return self.result.get("message_id")
        mid = self.params.get("message_id")
        return int(mid) if mid is not None else None

    def button(self, label: str) -> dict[str, Any]:
        """Return the first button whose text contains label."""
        for candidate in self.buttons:
            if label in candidate.get("text", ""):
                return candidate
        raise LookupError(f"no button {label!r} among {[b.get('text') for b in self.buttons]}")


@dataclass
class Failure:
    """A rule making the fake answer a method with an error."""

    method: str | None
    chat_id: int | None
    status: int
    description: str
    retry_after: int | None
    remaining: int | None

    def matches(self, method: str, chat_id: int | None) -> bool:
        """Say whether this rule applies to a call."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FakeTelegram:
    """The fake Bot API server and the people who talk to the bot through it."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "vanbill_test_bot",
        bot_first_name: str = "VanBill",
        max_per_second: int | None = None,
        rate_window: float = 1.0,
        arrival_delay: Callable[[str], float] | None = None,
        per_chat_interval: float | None = None,
    ) -> None:
        self.token = token
        # Telegram's broadcast limit: more sends than this within one rate_window (a second,
        # as Telegram counts) get a 429. Telegram counts a message when it arrives.
        self.max_per_second = max_per_second
        self.rate_window = rate_window
        # Seconds a request spends on the way before it arrives (and is counted), by method:
        # requests held up unevenly arrive closer together than they were sent.
        self.arrival_delay = arrival_delay
        self.send_arrivals: list[float] = []
        self.too_many_requests = 0
        # Telegram's limit in one chat: a message arriving within this many seconds of the last
        # one the chat took gets a 429 (retry after 1).
        self.per_chat_interval = per_chat_interval
        self._last_send_in_chat: dict[int, float] = {}
        self._recent_sends: collections.deque[float] = collections.deque()
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.calls: list[Call] = []
        self.unknown_methods: list[str] = []
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] = {}
        self.failures: list[Failure] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._callback_chats: dict[str, int] = {}
        self._answered: set[str] = set()
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeTelegram:
        """Listen on 127.0.0.1 on port (default: a random free port)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def close(self) -> None:
        """Wake every long poll and stop listening."""
        self._closing = True
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def api_url(self) -> str:
        """Return the root URL to give as TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    # -- what the bot did --------------------------------------------------------------------

    def calls_to(self, chat_id: int | None = None, method: str | None = None) -> list[Call]:
        """Return the calls made for one chat (or all), optionally of one method."""
        return [
            c
            for c in self.calls
            if (chat_id is None or c.chat_id == chat_id) and (method is None or c.method == method)
        ]

    def seen_by(self, chat_id: int) -> list[Call]:
        """Return the successful calls the person in chat_id saw (messages, edits, alerts)."""
        return [c for c in self.calls_to(chat_id) if c.method in VISIBLE_METHODS and c.ok]

    def texts_to(self, chat_id: int) -> list[str]:
        """Return the texts and captions sent or edited into a chat, oldest first."""
        return [c.text for c in self.seen_by(chat_id) if c.text]

    def last_to(self, chat_id: int) -> Call:
        """Return the last visible call for a chat."""
        seen = self.seen_by(chat_id)
        if not seen:
            raise LookupError(f"the bot has shown nothing in chat {chat_id}")
        return seen[-1]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """Return a message as it stands now (after edits)."""
        return self._messages[(chat_id, message_id)]

    async def wait_for(
        self,
        condition: Callable[[], bool] | int,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline for tests, read at a glance
        *,
        chat_id: int | None = None,
    ) -> None:
        """Wait until condition() holds, or until the bot has shown that many things (in chat)."""
        if isinstance(condition, int):
            wanted = condition

            def check() -> bool:
                visible = (
                    self.seen_by(chat_id)
                    if chat_id is not None
                    else [c for c in self.calls if c.method in VISIBLE_METHODS and c.ok]
                )
                return len(visible) >= wanted

        else:
            check = condition
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [(c.method, c.chat_id, c.text[:60]) for c in self.calls[-8:]]
                raise TimeoutError(f"the bot did not do what was awaited; last calls: {recent}")
            self._new_call.clear()
            try:
                await asyncio.wait_for(self._new_call.wait(), remaining)
            except TimeoutError:
                continue

    # -- making it fail -----------------------------------------------------------------------

    def fail(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int | None = 1,
    ) -> Failure:
        """Answer the next `times` matching calls (None: all of them) with an error."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: chat not found",
            }.get(status, "Internal Server Error")
        rule = Failure(
            method,
            chat_id,
            status,
            description,
            retry_after if status == 429 else None,
            times,
        )
        self.failures.append(rule)
        return rule

    def block(self, chat_id: int) -> Failure:
        """Make every call for chat_id fail with 403, as when the person blocked the bot."""
        return self.fail(chat_id=chat_id, status=403, times=None)

    # -- what people do -----------------------------------------------------------------------

    def send_message(
        self, user: TgUser, text: str, *, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Type text (a /command gets its bot_command entity) as user; return the update."""
        message = self._user_message(user, chat)
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._push({"message": message})

    def press(
        self,
        user: TgUser,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Press an inline button (any callback data: tests may forge it); return the update."""
        chat_id = user.id if chat_id is None else chat_id
        if message_id is None:
            message_id = self._last_bot_message_id(chat_id)
        message = self._messages.get((chat_id, message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._bot_user(),
            "text": "",
        }
        query_id = str(next(self._callback_ids) + 4_000_000_000)
        self._callback_chats[query_id] = user.id  # the answer is shown to the presser alone
        query = {
            "id": query_id,
            "from": user.as_json(),
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        return self._push({"callback_query": query})

    def edit_message(self, user: TgUser, message_id: int, text: str) -> dict[str, Any]:
        """Edit a message user sent in their private chat; return the edited_message update."""
        message = dict(self._messages[(user.id, message_id)])
        message["text"] = text
        message["edit_date"] = int(time.time())
        message.pop("entities", None)
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        self._messages[(user.id, message_id)] = message
        return self._push({"edited_message": message})

    def press_button(self, user: TgUser, call: Call, label: str) -> dict[str, Any]:
        """Press the inline button labelled label on the message a call sent."""
        chat_id = call.chat_id if call.chat_id is not None else user.id
        button = call.button(label)
        return self.press(
            user, button["callback_data"], message_id=call.message_id, chat_id=chat_id
        )

    def share_contact(
        self,
        user: TgUser,
        phone_number: str,
        *,
        contact_user_id: int | None = None,
        first_name: str | None = None,
    ) -> dict[str, Any]:
        """Share a contact (by default the user's own, as the request_contact button does)."""
        message = self._user_message(user, None)
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or user.first_name,
        }
        owner = user.id if contact_user_id is None else contact_user_id
        if owner:
            contact["user_id"] = owner
        message["contact"] = contact
        return self._push({"message": message})

    def send_photo(
        self, user: TgUser, content: bytes = b"\x89PNG fake", *, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a photo as user; return the update."""
        stored = self._store("photo", content, None, "image/jpeg")
        message = self._user_message(user, None)
        message["photo"] = self._photo_sizes(stored)
        if caption:
            message["caption"] = caption
        return self._push({"message": message})

    def send_document(
        self,
        user: TgUser,
        content: bytes,
        *,
        filename: str = "slip.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send a document as user; return the update."""
        stored = self._store("document", content, filename, mime_type)
        message = self._user_message(user, None)
        message["document"] = self._document(stored)
        if caption:
            message["caption"] = caption
        return self._push({"message": message})

    def pending_updates(self) -> int:
        """Return how many updates the bot has not fetched (confirmed) yet."""
        return len(self._updates)

    # -- plumbing -----------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> dict[str, Any]:
        return self._chats.get(chat_id) or {"id": chat_id, "type": "private"}

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _user_message(self, user: TgUser, chat: dict[str, Any] | None) -> dict[str, Any]:
        chat = chat or user.private_chat()
        self._chats.setdefault(chat["id"], chat)
        message = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user.as_json(),
        }
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _last_bot_message_id(self, chat_id: int) -> int:
        ids = [
            mid
            for (cid, mid), m in self._messages.items()
            if cid == chat_id and m.get("from", {}).get("id") == self.bot_id
        ]
        if not ids:
            raise LookupError(f"the bot has sent no message to chat {chat_id}")
        return max(ids)

    def _push(self, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **payload}
        self._updates.append(update)
        self._new_update.set()
        return update

    def _store(
        self, kind: str, content: bytes, filename: str | None, mime_type: str | None
    ) -> StoredFile:
        n = next(self._file_ids)
        prefix = {"document": "BQACAgIAAx", "photo": "AgACAgIAAx"}.get(kind, "CAACAgIAAx")
        stored = StoredFile(
            file_id=f"{prefix}{n:08d}fake",
            file_unique_id=f"AQAD{n:06d}",
            kind=kind,
            content=content,
            filename=filename,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def _document(stored: StoredFile) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
        }
        if stored.filename:
            doc["file_name"] = stored.filename
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        return doc

    @staticmethod
    def _photo_sizes(stored: StoredFile) -> list[dict[str, Any]]:
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": width * 3 // 4,
                "file_size": len(stored.content),
            }
            for width in (320, 1280)
        ]

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, web.FileField]]:
        params: dict[str, Any] = {key: _decode(key, value) for key, value in request.query.items()}
        uploads: dict[str, web.FileField] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                params.update(body if isinstance(body, dict) else {})
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = value
                    else:
                        params[key] = _decode(key, value)
        return params, uploads

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._download(path.removeprefix("/file/bot"))
        if not path.startswith("/bot") or path.count("/") != 2:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        token, method = path.removeprefix("/bot").split("/", 1)
        if token != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params, uploads = await self._read_params(request)
        chat_id = _as_int(params.get("chat_id"))
        if chat_id is None and "callback_query_id" in params:
            chat_id = self._callback_chats.get(str(params["callback_query_id"]))
        call = Call(method=method, params=params, chat_id=chat_id)
        if method != "getUpdates" and self.arrival_delay is not None:
            await asyncio.sleep(self.arrival_delay(method))
        if method.startswith("send"):
            self.send_arrivals.append(time.monotonic())
        if method != "getUpdates":
            failure = next((f for f in self.failures if f.matches(method, chat_id)), None)
            if failure is not None:
                return self._fail(call, failure)
            if self._over_rate(method, chat_id):
                self.too_many_requests += 1
                return self._fail(
                    call,
                    Failure(method, chat_id, 429, "Too Many Requests: retry after 1", 1, None),
                )
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            self.unknown_methods.append(method)
            result: Any = True
        else:
            try:
                result = await handler(params, uploads, call)
            except _ApiError as error:
                call.status = error.status
                self._record(call)
                return web.json_response(
                    {"ok": False, "error_code": error.status, "description": error.description},
                    status=error.status,
                )
        call.result = result
        if method != "getUpdates":
            self._record(call)
        return web.json_response({"ok": True, "result": result})

    def _over_rate(self, method: str, chat_id: int | None) -> bool:
        """Say whether one more send now would break the overall or the per-chat limit."""
        if not method.startswith("send") or method == "sendChatAction":
            return False
        now = time.monotonic()
        if self.per_chat_interval is not None and chat_id is not None:
            last = self._last_send_in_chat.get(chat_id)
            if last is not None and now - last < self.per_chat_interval:
                return True
        if self.max_per_second is not None:
            while self._recent_sends and now - self._recent_sends[0] >= self.rate_window:
                self._recent_sends.popleft()
            if len(self._recent_sends) >= self.max_per_second:
                return True
            self._recent_sends.append(now)
        if chat_id is not None:
            self._last_send_in_chat[chat_id] = now
        return False

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._new_call.set()

    def _fail(self, call: Call, failure: Failure) -> web.Response:
        if failure.remaining is not None:
            failure.remaining -= 1
        call.status = failure.status
        self._record(call)
        body: dict[str, Any] = {
            "ok": False,
            "error_code": failure.status,
            "description": failure.description,
        }
        if failure.retry_after is not None:
            body["parameters"] = {"retry_after": failure.retry_after}
        return web.json_response(body, status=failure.status)

    def _download(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return web.Response(status=401)
        for stored in self.files.values():
            if stored.file_path == file_path:
                return web.Response(
                    body=stored.content,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return web.Response(status=404)

    def _bot_message(self, chat_id: int, extra: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._bot_user(),
            **extra,
        }
        self._messages[(chat_id, message["message_id"])] = message
        return message

    @staticmethod
    def _inline_markup(params: dict[str, Any]) -> dict[str, Any]:
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            return {"reply_markup": markup}
        return {}

    @staticmethod
    def _check_markup(text: str, params: dict[str, Any]) -> None:
        if str(params.get("parse_mode") or "").upper() == "HTML":
            problem = html_problem(text)
            if problem is not None:
                raise _ApiError(400, f"Bad Request: {problem}")

    def _require_chat(self, call: Call) -> int:
        if call.chat_id is None:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        return call.chat_id

    def _existing(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        message = self._messages.get((chat_id, _as_int(params.get("message_id")) or 0))
        if message is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    # -- the Bot API methods --------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getUpdates(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        offset = _as_int(params.get("offset")) or 0
        limit = _as_int(params.get("limit")) or 100
        timeout = min(float(params.get("timeout") or 0), MAX_LONG_POLL)
        if offset > 0:
            # Telegram forgets an update once getUpdates is called with a higher offset.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), remaining)
            except TimeoutError:
                break
        return self._updates[:limit]

    async def _api_deleteWebhook(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        self.webhook = {}
        return True

    async def _api_setWebhook(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        self.webhook = dict(params)
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @staticmethod
    def scope_key(scope: Any, language_code: str | None = None) -> str:
        """Return the key the fake files a command list under ('default', 'chat:42', and
        'default:ms' for a list given for one language code)."""
        if not isinstance(scope, dict) or scope.get("type", "default") == "default":
            key = "default"
        elif "chat_id" in scope:
            key = f"{scope['type']}:{scope['chat_id']}"
        else:
            key = str(scope["type"])
        return f"{key}:{language_code}" if language_code else key

    def menu_for(self, user: Any, chat_id: int | None = None) -> list[str]:
        """Return the commands Telegram would show this user (in this chat), as Telegram picks
        them: the chat's list before the default, the user's language before no language."""
        code = (getattr(user, "language_code", "") or "").split("-")[0]
        scopes = ([f"chat:{chat_id}"] if chat_id is not None else []) + ["default"]
        for scope in scopes:
            for key in (f"{scope}:{code}" if code else None, scope):
                if key and key in self.commands:
                    return [f"{c['command']} — {c['description']}" for c in self.commands[key]]
        return []

    async def _api_setMyCommands(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        key = self.scope_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = list(params.get("commands") or [])
        return True

    async def _api_getMyCommands(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        key = self.scope_key(params.get("scope"), params.get("language_code"))
        return self.commands.get(key, [])

    async def _api_deleteMyCommands(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        self.commands.pop(self.scope_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def _api_sendMessage(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        chat_id = self._require_chat(call)
        text = str(params.get("text") or "")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        self._check_markup(text, params)
        return self._bot_message(chat_id, {"text": text, **self._inline_markup(params)})

    async def _api_editMessageText(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        message = self._existing(call, params)
        text = str(params.get("text") or "")
        self._check_markup(text, params)
        if text == message.get("text") and self._inline_markup(params).get(
            "reply_markup"
        ) == message.get("reply_markup"):
            raise _ApiError(400, "Bad Request: message is not modified")
        message["text"] = text
        message.pop("reply_markup", None)
        message.update(self._inline_markup(params))
        message["edit_date"] = int(time.time())
        return message

    async def _api_editMessageReplyMarkup(
        self, params: dict[str, Any], uploads: Any, call: Call
    ) -> Any:
        message = self._existing(call, params)
        message.pop("reply_markup", None)
        message.update(self._inline_markup(params))
        message["edit_date"] = int(time.time())
        return message

    async def _api_deleteMessage(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        message = self._existing(call, params)
        self._messages.pop((message["chat"]["id"], message["message_id"]), None)
        return True

    async def _api_answerCallbackQuery(
        self, params: dict[str, Any], uploads: Any, call: Call
    ) -> Any:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._callback_chats or query_id in self._answered:
            # Telegram takes one answer per callback query.
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self._answered.add(query_id)
        return True

    async def _api_sendChatAction(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        self._require_chat(call)
        return True

    async def _upload(
        self, kind: str, params: dict[str, Any], uploads: dict[str, web.FileField]
    ) -> StoredFile:
        upload = uploads.get(kind)
        if upload is not None:
            content = upload.file.read()
            return self._store(kind, content, upload.filename, upload.content_type)
        ref = params.get(kind)
        if isinstance(ref, str) and ref in self.files:
            return self.files[ref]
        raise _ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _api_sendDocument(
        self, params: dict[str, Any], uploads: dict[str, web.FileField], call: Call
    ) -> Any:
        chat_id = self._require_chat(call)
        stored = await self._upload("document", params, uploads)
        call.files["document"] = stored
        extra: dict[str, Any] = {"document": self._document(stored), **self._inline_markup(params)}
        if params.get("caption"):
            self._check_markup(str(params["caption"]), params)
            extra["caption"] = str(params["caption"])
        return self._bot_message(chat_id, extra)

    async def _api_sendPhoto(
        self, params: dict[str, Any], uploads: dict[str, web.FileField], call: Call
    ) -> Any:
        chat_id = self._require_chat(call)
        stored = await self._upload("photo", params, uploads)
        call.files["photo"] = stored
        extra: dict[str, Any] = {"photo": self._photo_sizes(stored), **self._inline_markup(params)}
        if params.get("caption"):
            extra["caption"] = str(params["caption"])
        return self._bot_message(chat_id, extra)

    async def _api_getFile(self, params: dict[str, Any], uploads: Any, call: Call) -> Any:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
