"""The summary chart: the figures it plots, and the PNG it draws."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from vanbill.services.charts import chart_series, render_summary_chart, render_summary_chart_async
from vanbill.services.views import MonthFigures, SummaryReport

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_report(months: int = 3) -> SummaryReport:
    """Build a report ending in March 2026, with odd sen so rounding would show."""
    figures = (
        MonthFigures(date(2026, 1, 1), 720_005, 610_010, 110_995, 2),
        MonthFigures(date(2026, 2, 1), 698_750, 700_001, 109_744, 1),
        MonthFigures(date(2026, 3, 1), 731_299, 512_345, 328_698, 4),
    )
    return SummaryReport(
        business_name="Van Sekolah Kak Ros",
        currency="MYR",
        generated_on=date(2026, 3, 31),
        months=figures[:months],
    )


def png_size(png: bytes) -> tuple[int, int]:
    """Return width and height from a PNG's IHDR chunk."""
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_chart_series_carries_the_report_figures_exactly_in_ringgit() -> None:
    series = chart_series(make_report())
    assert series.labels == ("January 2026", "February 2026", "March 2026")
    assert series.invoiced == (Decimal("7200.05"), Decimal("6987.50"), Decimal("7312.99"))
    assert series.collected == (Decimal("6100.10"), Decimal("7000.01"), Decimal("5123.45"))
    assert series.outstanding == (Decimal("1109.95"), Decimal("1097.44"), Decimal("3286.98"))
    assert series.currency_symbol == "RM"


def test_chart_series_sums_back_to_the_sen_of_the_report() -> None:
    report = make_report()
    series = chart_series(report)
    assert sum(series.invoiced) * 100 == sum(m.invoiced_sen for m in report.months)
    assert all(isinstance(value, Decimal) for value in series.collected)


def test_chart_title_names_the_business_and_the_day_it_was_generated() -> None:
    series = chart_series(make_report())
    assert series.title == "Van Sekolah Kak Ros"
    assert "31 Mar 2026" in series.subtitle


def test_summary_chart_is_a_1280_by_720_png() -> None:
    png = render_summary_chart(make_report())
    assert png_size(png) == (1280, 720)
    assert png.endswith(b"IEND\xaeB`\x82")


def test_summary_chart_of_an_empty_report_is_still_a_png() -> None:
    assert png_size(render_summary_chart(make_report(months=0))) == (1280, 720)


def test_different_figures_draw_a_different_chart() -> None:
    assert render_summary_chart(make_report(2)) != render_summary_chart(make_report(3))


def test_summary_chart_draws_off_the_event_loop() -> None:
    png = asyncio.run(render_summary_chart_async(make_report()))
    assert png_size(png) == (1280, 720)


def test_importing_the_chart_module_imports_neither_matplotlib_nor_weasyprint() -> None:
    code = (
        "import sys, services.charts;"
        "print(sorted({'matplotlib', 'weasyprint'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert done.stdout.strip() == "[]"
