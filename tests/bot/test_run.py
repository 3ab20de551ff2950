"""`vanbill run`: refuses to start without a token; polls, or serves a webhook, until SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.bot.conftest import OPERATOR
from tests.bot.fake_telegram import FakeTelegram
from vanbill.bot.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_run_without_a_token_says_so_and_exits_with_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err


def test_run_on_an_empty_database_asks_for_initdb(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert main(["run"]) == 2
    assert "vanbill initdb" in capsys.readouterr().err


def _environment(tg: FakeTelegram, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.api_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'vanbill.db'}",
        "VANBILL_ADMIN_IDS": str(OPERATOR.id),
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
async def initialised(tmp_path: Path, tg: FakeTelegram) -> Path:
    """Run `python -m bot initdb` on a fresh SQLite file in tmp_path; return tmp_path."""
    initdb = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vanbill.bot",
        "initdb",
        cwd=tmp_path,
        env=_environment(tg, tmp_path),
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await initdb.wait() == 0
    return tmp_path


async def _spawn(tmp_path: Path, tg: FakeTelegram, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vanbill.bot",
        "run",
        *args,
        cwd=tmp_path,
        env=_environment(tg, tmp_path),
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode is not None
    return process.returncode, err.decode()


@pytest.mark.slow
async def test_run_polls_answers_and_stops_cleanly_on_sigterm(
    initialised: Path, tg: FakeTelegram
) -> None:
    process = await _spawn(initialised, tg)
    try:
        tg.send_message(OPERATOR, "/start")
        await tg.wait_for(1, chat_id=OPERATOR.id, timeout=30)
        assert "Welcome" in tg.last_to(OPERATOR.id).seen
    finally:
        code, err = await _stop(process)
    assert code == 0, err
    assert tg.pending_updates() == 0  # the last update was confirmed before exiting


async def _until_listening(port: int) -> None:
    # run_webhook calls setWebhook first and only then starts listening.
    async with asyncio.timeout(10):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
            else:
                writer.close()
                await writer.wait_closed()
                return


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
async def test_run_webhook_registers_its_secret_and_refuses_posts_without_it(
    initialised: Path, tg: FakeTelegram
) -> None:
    pytest.importorskip("tornado")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    process = await _spawn(initialised, tg, "--webhook", "--webhook-url", url, "--port", str(port))
    try:
        await tg.wait_for(lambda: bool(tg.webhook), timeout=30)
        assert tg.webhook["url"] == url
        secret = tg.webhook["secret_token"]
        assert len(secret) >= 32
        await _until_listening(port)
        update = tg.send_message(OPERATOR, "/start")
        body = json.dumps(update)
        headers = {"Content-Type": "application/json"}
        async with aiohttp.ClientSession() as http:
            forged = await http.post(
                url, data=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            assert forged.status == 403
            real = await http.post(
                url, data=body, headers={**headers, "X-Telegram-Bot-Api-Secret-Token": secret}
            )
            assert real.status == 200
        await tg.wait_for(1, chat_id=OPERATOR.id, timeout=10)
        assert len(tg.seen_by(OPERATOR.id)) == 1  # only the post with the secret was handled
    finally:
        code, err = await _stop(process)
    assert code == 0, err
