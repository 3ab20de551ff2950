"""Every failure at start is one clear line on stderr and exit status 2, never a traceback and
never a secret; Telegram unreachable is waited out; `vanbill check` and `--version`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from tests.bot.conftest import OPERATOR
from tests.bot.fake_telegram import FakeTelegram
from tests.conftest import ScratchMySQL, mysql_server_url
from vanbill.bot.__main__ import main
from vanbill.bot.startup import RedactSecrets, wait_for_telegram
from vanbill.services.config import Settings

PASSWORD = "s3cret-Pa55"
TOKEN = "123456:AAH-the-real-secret-token-xyz"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A working directory with no .env and none of VanBill's variables set."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name in {"DATABASE_URL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL"} or name.startswith(
            "VANBILL_"
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    return monkeypatch


def one_line_failure(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command line in this process; check it failed in one clean line; return it."""
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    line = lines[0]
    assert line.startswith("vanbill: ")
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    assert PASSWORD not in captured.err + captured.out
    assert TOKEN not in captured.err and TOKEN.split(":")[1] not in captured.err
    return line


def test_a_mistyped_database_scheme_is_named(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DATABASE_URL", f"mysq+aiomysql://root:{PASSWORD}@127.0.0.1:3306/vanbill")
    line = one_line_failure(capsys, "initdb")
    assert "unknown database type 'mysq+aiomysql'" in line
    assert "mysql+aiomysql://user:password@host:3306" in line


def test_a_synchronous_driver_is_refused_with_the_async_one_to_use(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DATABASE_URL", f"mysql+mysqldb://root:{PASSWORD}@127.0.0.1/vanbill")
    line = one_line_failure(capsys, "run")
    assert "driver 'mysql+mysqldb'" in line and "needs the async one" in line


def test_plain_mysql_and_sqlite_schemes_mean_the_async_drivers() -> None:
    as_typed = {
        "mysql://root@127.0.0.1:3306/vanbill": "mysql+aiomysql://root@127.0.0.1:3306/vanbill",
        "mariadb://root@db/vanbill": "mariadb+aiomysql://root@db/vanbill",
        "sqlite:///vanbill.db": "sqlite+aiosqlite:///vanbill.db",
        "  ": "sqlite+aiosqlite:///vanbill.db",
    }
    for typed, meant in as_typed.items():
        settings = Settings(_env_file=None, database_url=typed)  # type: ignore[call-arg]
        assert settings.database_url == meant


def test_a_mysql_server_that_is_not_running_is_named_with_its_address(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    clean_env.setenv("DATABASE_URL", f"mysql://root:{PASSWORD}@127.0.0.1:{port}/vanbill")
    line = one_line_failure(capsys, "run")
    assert line == (
        f"vanbill: cannot reach MySQL at 127.0.0.1:{port} (connection refused): is the server "
        f"running? DATABASE_URL=mysql+aiomysql://root:***@127.0.0.1:{port}/vanbill"
    )


def test_an_unknown_mysql_host_is_named(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DATABASE_URL", "mysql://root@no-such-host.invalid:3306/vanbill")
    line = one_line_failure(capsys, "initdb")
    assert "cannot find the MySQL host 'no-such-host.invalid' (unknown host)" in line


@pytest.fixture
def mysql_url(mysql_scratch: ScratchMySQL) -> str:
    """The test server's URL (the scratch database proves it answers)."""
    return mysql_server_url().render_as_string(hide_password=False)


def test_an_unknown_mysql_database_says_how_to_create_it(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mysql_url: str
) -> None:
    clean_env.setenv("DATABASE_URL", mysql_url.rstrip("/") + "/vanbill_no_such_database")
    line = one_line_failure(capsys, "initdb")
    assert "has no database 'vanbill_no_such_database': create it with CREATE DATABASE" in line
    assert "utf8mb4_unicode_ci" in line


def test_a_wrong_mysql_password_is_access_denied_without_the_password(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mysql_url: str
) -> None:
    server = mysql_server_url()
    wrong = server.set(password=PASSWORD, database="test").render_as_string(hide_password=False)
    clean_env.setenv("DATABASE_URL", wrong)
    line = one_line_failure(capsys, "run")
    assert f"refused user {server.username or 'root'!r} (access denied)" in line
    assert ":***@" in line


def test_an_sqlite_file_in_a_missing_folder_is_named(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/no/such/folder/vanbill.db")
    line = one_line_failure(capsys, "initdb")
    assert f"cannot open the SQLite file '{tmp_path}/no/such/folder/vanbill.db'" in line


def test_a_bad_time_zone_is_one_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("VANBILL_TIMEZONE", "Asia/KL")
    line = one_line_failure(capsys, "run")
    assert "VANBILL_TIMEZONE='Asia/KL' is not a time zone: use a name like Asia/Kuala_Lumpur" in (
        line
    )


def test_bad_admin_ids_and_log_level_are_one_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("VANBILL_ADMIN_IDS", "12345,abc")
    assert "VANBILL_ADMIN_IDS must be comma-separated" in one_line_failure(capsys, "run")
    clean_env.setenv("VANBILL_ADMIN_IDS", "12345")
    clean_env.setenv("LOG_LEVEL", "chatty")
    assert "LOG_LEVEL='chatty' is not one of DEBUG" in one_line_failure(capsys, "run")


@pytest.mark.parametrize("verb", ["run", "send", "generate", "remind"])
def test_every_verb_refuses_a_database_without_the_schema(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str
) -> None:
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert one_line_failure(capsys, verb) == (
        "vanbill: the database has no VanBill schema yet: run `vanbill initdb` first"
    )


def test_run_refuses_a_database_made_before_migrations_and_names_the_command(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    legacy = Path(__file__).parents[1] / "data" / "legacy" / "schema-0.1.0-sqlite.sql"
    with sqlite3.connect(path) as conn:
        conn.executescript(legacy.read_text(encoding="utf-8"))
    clean_env.setenv("DATABASE_URL", f"sqlite:///{path}")
    line = one_line_failure(capsys, "run")
    assert "made by a VanBill from before migrations: run `vanbill initdb`" in line
    assert main(["initdb"]) == 0
    assert "recognised a database made before migrations" in capsys.readouterr().out


def test_run_refuses_a_schema_from_a_newer_vanbill(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sqlite3

    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'v.db'}")
    assert main(["initdb"]) == 0
    with sqlite3.connect(tmp_path / "v.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    capsys.readouterr()
    assert "at revision 9999, which this VanBill does not know" in one_line_failure(capsys, "send")


def test_verbose_shows_the_traceback_still_without_secrets(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    clean_env.setenv("DATABASE_URL", f"mysql://root:{PASSWORD}@127.0.0.1:{port}/vanbill")
    assert main(["--verbose", "initdb"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and PASSWORD not in err
    assert err.splitlines()[-1].startswith("vanbill: cannot reach MySQL")


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"vanbill {version('vanbill')}"


def test_secrets_are_redacted_from_log_records_and_their_tracebacks() -> None:
    redact = RedactSecrets([TOKEN, PASSWORD])
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe with {PASSWORD}")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "url %s", (f"bot{TOKEN}",), sys.exc_info()
        )
    assert redact.filter(record)
    shown = logging.Formatter().format(record)
    assert TOKEN not in shown and PASSWORD not in shown and "bot***" in shown


# -- the real process, against the fake Telegram ------------------------------------------


def _environment(tmp_path: Path, api_url: str, token: str) -> dict[str, str]:
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'vanbill.db'}",
        "VANBILL_ADMIN_IDS": str(OPERATOR.id),
    }


async def _vanbill(tmp_path: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vanbill.bot",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
async def initialised(tmp_path: Path) -> Path:
    """A migrated SQLite file in tmp_path."""
    process = await _vanbill(
        tmp_path, _environment(tmp_path, "http://127.0.0.1:9", TOKEN), "initdb"
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err
    assert b"created the schema" in out
    return tmp_path


async def test_a_token_telegram_refuses_is_one_line_and_exit_2(
    initialised: Path, tg: FakeTelegram
) -> None:
    env = _environment(initialised, tg.api_url, "999999:AAH-some-other-token-abcdef")
    process = await _vanbill(initialised, env, "run")
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    lines = err.decode().splitlines()
    assert lines == [
        f"vanbill: Telegram at {tg.api_url} refused the bot token (Unauthorized): check "
        "TELEGRAM_BOT_TOKEN against the token @BotFather gave you"
    ]


@pytest.mark.slow
async def test_telegram_unreachable_at_start_is_waited_out_then_the_bot_polls(
    initialised: Path,
) -> None:
    port = _free_port()
    fake = FakeTelegram(TOKEN.replace("123456", "123457"))
    env = _environment(initialised, f"http://127.0.0.1:{port}", fake.token)
    process = await _vanbill(initialised, env, "run")
    assert process.stderr is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len([s for s in seen if "cannot reach Telegram" in s]) < 2:
                seen.append((await process.stderr.readline()).decode())
                assert process.returncode is None, seen
        assert "attempt 1:" in "".join(seen) and "trying again in 2 s" in "".join(seen)
        await fake.start(port)
        fake.send_message(OPERATOR, "/start")
        await fake.wait_for(1, chat_id=OPERATOR.id, timeout=30)
        assert "Welcome" in fake.last_to(OPERATOR.id).seen
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), 30)
        await fake.close()
    everything = "".join(seen) + rest.decode()
    assert process.returncode == 0, everything
    assert fake.token not in everything and fake.token.split(":")[1] not in everything
    assert "Traceback" not in everything


async def test_check_passes_when_everything_holds(initialised: Path, tg: FakeTelegram) -> None:
    process = await _vanbill(initialised, _environment(initialised, tg.api_url, tg.token), "check")
    out, err = await asyncio.wait_for(process.communicate(), 60)
    lines = out.decode().splitlines()
    assert process.returncode == 0, out + err
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "✓ configuration",
        "✓ database",
        "✓ schema",
        "✓ fonts",
        "✓ Telegram",
        "✓ webhook",
    ]
    assert "the bot is @vanbill_test_bot" in out.decode()
    assert "none set" in lines[-2] and lines[-1] == "All 6 checks passed."
    assert tg.token not in out.decode()


async def test_check_fails_on_a_refused_token_and_an_old_schema(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    env = _environment(tmp_path, tg.api_url, "999999:AAH-some-other-token-abcdef")
    process = await _vanbill(tmp_path, env, "check")
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    text = out.decode()
    assert process.returncode == 1
    assert "✗ schema: the database has no VanBill schema yet" in text
    assert "✗ Telegram: Telegram at" in text and "refused the bot token" in text
    assert text.splitlines()[-1] == "2 of 5 checks failed."


async def test_wait_for_telegram_backs_off_until_it_answers() -> None:
    port = _free_port()
    fake = FakeTelegram()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=fake.token,
        telegram_api_url=f"http://127.0.0.1:{port}",
    )
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 3:
            await fake.start(port)

    try:
        me = await wait_for_telegram(settings, sleep=sleep)
    finally:
        await fake.close()
    assert me.username == fake.bot_username
    assert delays == [1.0, 2.0, 4.0]
