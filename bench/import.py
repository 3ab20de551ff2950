"""Import N families from an .xlsx (and a CSV) file on MariaDB; print how long each step takes.

    python -m bench.import [--families 500] [--url mysql+aiomysql://root@127.0.0.1:3306/]

It makes its own scratch databases (dropped afterwards), writes a workbook of N families with one
to three children each on two routes, then times: reading the file, the preview (every row
checked against the business) and the confirmed import (one transaction), for .xlsx and CSV.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import time
from datetime import UTC, datetime

from openpyxl import Workbook

from tests.mysql import ScratchMySQL
from vanbill.services import imports, operators, routes
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database

NAMES = ("Siti binti Ahmad", "陈美玲", "Kumar a/l Rajan", "Nurul Huda", "Lim Ah Kow")


def family_rows(count: int) -> list[list[str]]:
    """Return the header and one row per child of count families."""
    rows = [list(imports.COLUMNS)]
    for i in range(count):
        parent, phone = f"{NAMES[i % len(NAMES)]} {i:04d}", f"012-{i // 10000:03d} {i % 10000:04d}"
        for n in range(1 + i % 3):
            route = "Morning; Afternoon" if n == 0 and i % 4 == 0 else "Morning"
            fee = "130.00" if i % 10 == 0 else ""
            rows.append(
                [parent, phone, f"Child {n + 1}", "primary", "2017", "SK Setapak", route, fee]
            )
    return rows


def as_xlsx(rows: list[list[str]]) -> bytes:
    """Return rows as an Excel workbook."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_csv(rows: list[list[str]]) -> bytes:
    """Return rows as UTF-8 CSV with a BOM."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


async def one(url: str, kind: str, content: bytes, families: int) -> None:
    """Time reading, preview and import of one file into an empty business."""
    scratch = ScratchMySQL(url, prefix=f"vanbill_bench_import_{kind}")
    db = Database(scratch.url)
    try:
        clock = FixedClock(datetime(2026, 3, 1, 0, 30, tzinfo=UTC))
        op = await operators.ensure_operator(db, 1, clock)
        await routes.add_services(db, op.id, clock, [("Morning", 15000), ("Afternoon", 12000)])
        name = f"families.{kind}"
        started = time.perf_counter()
        rows = imports.read_table(content, name)
        read = time.perf_counter() - started
        started = time.perf_counter()
        plan = await imports.preview_import(db, op.id, clock, content, name)
        preview = time.perf_counter() - started
        started = time.perf_counter()
        done = await imports.import_families(db, op.id, clock, content, name)
        written = time.perf_counter() - started
        assert done.families == families and not plan.refused, plan.refused[:3]
        print(
            f"{kind:4}: {len(content) / 1000:,.0f} kB, {len(rows) - 1} rows; read {read:.2f} s, "
            f"preview {preview:.2f} s, import {written:.2f} s ({done.families} families, "
            f"{done.children} children, {done.enrollments} enrollments) = "
            f"{done.families / written:,.0f} families/s"
        )
    finally:
        await db.dispose()
        scratch.drop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=500)
    parser.add_argument(
        "--url", default=os.environ.get("TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/")
    )
    args = parser.parse_args()
    rows = family_rows(args.families)
    await one(args.url, "xlsx", as_xlsx(rows), args.families)
    await one(args.url, "csv", as_csv(rows), args.families)


if __name__ == "__main__":
    asyncio.run(main())
