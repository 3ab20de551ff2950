"""A normal install: build the wheel, install it (not editable) into a scratch venv, and run the
demo, `initdb` on both databases and the bot from a directory that is not the checkout."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bot.conftest import OPERATOR
from tests.bot.fake_telegram import FakeTelegram
from tests.conftest import ScratchMySQL, mysql_admin_connection, mysql_server_url
from vanbill.services.models import Base
from vanbill.services.schema import head_revision

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "build", "dist", "demo-out", "__pycache__", ".pytest_cache"}

# Building and installing the wheel takes a minute or more: in `bash .ci/dev test-all`.
pytestmark = [pytest.mark.slow, pytest.mark.long]


@dataclass(frozen=True)
class Installed:
    """The wheel and the scratch venv it is installed in."""

    wheel: Path
    venv: Path

    @property
    def vanbill(self) -> str:
        """Return the installed console script."""
        return str(self.venv / "bin" / "vanbill")

    @property
    def python(self) -> str:
        """Return the scratch venv's python."""
        return str(self.venv / "bin" / "python")


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {
        n for n in names if n in SKIP or n.endswith((".egg-info", ".db", ".db-wal", ".db-shm"))
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build the wheel from a copy of the tree and install it into a scratch venv."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=_ignore)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(base / "dist"), str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = (base / "dist").glob("vanbill-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The dependencies come from the test venv (no network needed): its site-packages go on the
    # scratch venv's path after its own, so the wheel's vanbill is the one imported.
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    scratch_site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", where], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    (scratch_site / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
         "--no-deps", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    yield Installed(wheel=wheel, venv=venv)


def _run(
    installed: Installed, cwd: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(env)
    return subprocess.run(
        [installed.vanbill, *args], cwd=cwd, env=environment, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def test_the_wheel_holds_one_vanbill_namespace_with_its_files(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names if not n.startswith("vanbill-")}
    assert tops == {"vanbill"}, tops
    for needed in (
        "vanbill/schema.sql",
        "vanbill/templates/invoice.html",
        "vanbill/templates/ua.css",
        "vanbill/templates/style.css",
        "vanbill/services/migrations/env.py",
        "vanbill/services/migrations/script.py.mako",
        "vanbill/services/migrations/versions/0001_baseline.py",
        "vanbill/bot/__main__.py",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "bench/", "vanbill/tests/")) for n in names)


def test_the_installed_package_is_imported_from_the_venv_not_the_checkout(
    installed: Installed, tmp_path: Path
) -> None:
    found = subprocess.run(
        [installed.python, "-c", "import vanbill.services.db as d; print(d.SCHEMA_SQL)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert found.startswith(str(installed.venv)) and Path(found).is_file()
    generic = subprocess.run(
        [installed.python, "-c", "import services"], cwd=tmp_path, capture_output=True, text=True
    )
    assert generic.returncode != 0 and "No module named 'services'" in generic.stderr
    version = _run(installed, tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("vanbill 0.")


def test_the_installed_demo_runs_from_any_directory(installed: Installed, tmp_path: Path) -> None:
    done = _run(installed, tmp_path, "demo", "--out", "out")
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out").glob("INV-*.pdf"))) == 36
    assert (tmp_path / "vanbill-demo.db").is_file()
    print(f"\n[wheel] {installed.wheel.name}: demo -> {done.stdout.splitlines()[0]}")


@pytest.fixture
def mysql_database(mysql_scratch: ScratchMySQL) -> Iterator[str]:
    """An empty MariaDB database's URL, dropped afterwards."""
    name = f"vanbill_wheel_{os.getpid()}"
    with mysql_admin_connection() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        yield mysql_server_url().set(database=name).render_as_string(hide_password=False)
    finally:
        with mysql_admin_connection() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def test_the_installed_initdb_creates_and_upgrades_on_both_databases(
    installed: Installed, tmp_path: Path, mysql_database: str
) -> None:
    for url in (f"sqlite:///{tmp_path / 'vanbill.db'}", mysql_database):
        first = _run(installed, tmp_path, "initdb", DATABASE_URL=url)
        assert first.returncode == 0, first.stderr
        assert f"created the schema ({len(Base.metadata.tables)} tables)" in first.stdout
        assert f"at revision {head_revision()}" in first.stdout
        again = _run(installed, tmp_path, "initdb", DATABASE_URL=url)
        assert "nothing to do" in again.stdout
        print(f"\n[wheel] initdb: {first.stdout.strip()} / {again.stdout.strip()}")


async def test_the_installed_bot_runs_and_answers(
    installed: Installed, tmp_path: Path, tg: FakeTelegram
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.api_url,
        "VANBILL_ADMIN_IDS": str(OPERATOR.id),
    }
    initdb = await asyncio.create_subprocess_exec(
        installed.vanbill, "initdb", cwd=tmp_path, env=env
    )
    assert await initdb.wait() == 0
    bot = await asyncio.create_subprocess_exec(
        installed.vanbill, "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        tg.send_message(OPERATOR, "/start")
        await tg.wait_for(1, chat_id=OPERATOR.id, timeout=60)
        assert "Welcome" in tg.last_to(OPERATOR.id).seen
    finally:
        bot.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, err.decode()
