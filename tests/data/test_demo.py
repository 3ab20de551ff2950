"""`vanbill demo`: the offline way a new user sees the product, safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from vanbill.bot import cli
from vanbill.bot.__main__ import main
from vanbill.services import customers, invoices, payments
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.demo import DEMO_TELEGRAM_USER_ID
from vanbill.services.operators import find_operator


@pytest.fixture
async def sqlite_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'vanbill.db'}")
    yield database
    await database.dispose()


async def test_the_demo_writes_every_invoice_two_receipts_a_statement_and_the_chart(
    sqlite_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FixedClock(datetime(2026, 3, 20, 4, 0, tzinfo=UTC))
    out = tmp_path / "demo-out"
    assert await cli.demo(sqlite_db, clock, out) == 0
    names = sorted(p.name for p in out.iterdir())
    pdfs = [n for n in names if n.startswith("INV-")]
    assert len(pdfs) == 36  # 12 families, three months
    assert len([n for n in names if n.startswith("RCPT-")]) == 2
    assert len([n for n in names if n.startswith("statement-")]) == 1
    assert "summary.png" in names
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = PdfReader(out / pdfs[0])
    assert len(first.pages) == 1 and "Van Sekolah Kak Ros" in first.pages[0].extract_text()
    printed = capsys.readouterr().out
    assert "陈美玲" in printed and "Farah Nadia binti Kamal" in printed
    assert not any(c in printed for c in '<>&"'), "hostile names belong in the tests"
    assert "2026-01, 2026-02, 2026-03" in printed


async def test_running_the_demo_again_changes_nothing(sqlite_db: Database, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 20, 4, 0, tzinfo=UTC))
    await cli.demo(sqlite_db, clock, tmp_path / "one")
    operator = await find_operator(sqlite_db, DEMO_TELEGRAM_USER_ID)
    assert operator is not None
    before = (
        len(await invoices.list_invoices(sqlite_db, operator.id, clock, limit=500)),
        len(await payments.list_payments(sqlite_db, operator.id, limit=500)),
        (await customers.list_customers(sqlite_db, operator.id)).total,
    )
    await cli.demo(sqlite_db, clock, tmp_path / "two")
    after = (
        len(await invoices.list_invoices(sqlite_db, operator.id, clock, limit=500)),
        len(await payments.list_payments(sqlite_db, operator.id, limit=500)),
        (await customers.list_customers(sqlite_db, operator.id)).total,
    )
    assert before == after == (36, before[1], 12)
    assert before[1] > 20
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == sorted(
        p.name for p in (tmp_path / "two").iterdir()
    )


def test_vanbill_demo_uses_its_own_sqlite_file_whatever_database_url_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    # A real deployment's database: the demo must not write there (nor even connect).
    monkeypatch.setenv("DATABASE_URL", "mysql+aiomysql://root:pw@127.0.0.1:3399/production")
    assert main(["demo", "--out", "out"]) == 0
    assert (tmp_path / "vanbill-demo.db").exists()
    assert len(list((tmp_path / "out").glob("INV-*.pdf"))) == 36
    assert "3399" not in capsys.readouterr().out


def test_vanbill_demo_database_option_chooses_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "elsewhere.db"
    assert main(["demo", "--out", "out", "--database", f"sqlite:///{target}"]) == 0
    assert target.exists() and not (tmp_path / "vanbill-demo.db").exists()
