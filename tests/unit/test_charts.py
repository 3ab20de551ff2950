"""The summary chart: the figures it plots, and the PNG it draws."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from vanbill.services import i18n
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
    assert series.labels == ("Jan 26", "Feb 26", "Mar 26 (to date)")  # the 31st is not over
    assert series.invoiced == (Decimal("7200.05"), Decimal("6987.50"), Decimal("7312.99"))
    assert series.collected == (Decimal("6100.10"), Decimal("7000.01"), Decimal("5123.45"))
    assert series.outstanding == (Decimal("1109.95"), Decimal("1097.44"), Decimal("3286.98"))
    assert series.currency_symbol == "RM"


def test_chart_series_sums_back_to_the_sen_of_the_report() -> None:
    report = make_report()
    series = chart_series(report)
    assert sum(series.invoiced) * 100 == sum(m.invoiced_sen for m in report.months)
    assert all(isinstance(value, Decimal) for value in series.collected)


def test_chart_title_names_the_business_and_the_day_its_figures_are_as_of() -> None:
    series = chart_series(make_report())
    assert series.title == "Van Sekolah Kak Ros"
    assert series.subtitle.endswith("as of 31 March 2026")


def _report(months: list[MonthFigures], generated_on: date) -> SummaryReport:
    return SummaryReport("Van Kak Ros", "MYR", generated_on, tuple(months))


def test_the_chart_starts_at_the_first_month_with_a_figure() -> None:
    empty = [MonthFigures(date(2025, m, 1), 0, 0, 0, 0) for m in range(4, 13)]
    billed = [
        MonthFigures(date(2026, 1, 1), 30_000, 15_000, 15_000, 1, settled_sen=15_000),
        MonthFigures(date(2026, 2, 1), 0, 15_000, 0, 0),  # a holiday month keeps its place
        MonthFigures(date(2026, 3, 1), 30_000, 0, 30_000, 0),
    ]
    series = chart_series(_report(empty + billed, date(2026, 4, 1)))
    assert series.labels == ("Jan 26", "Feb 26", "Mar 26")
    assert series.invoiced == (Decimal("300.00"), Decimal("0.00"), Decimal("300.00"))
    nothing = chart_series(_report(empty, date(2026, 3, 31)))
    assert nothing.labels == () and nothing.empty == "Nothing invoiced yet"


def test_the_month_not_yet_ended_is_marked_to_date_and_each_month_shows_its_rate() -> None:
    months = [
        MonthFigures(date(2026, 2, 1), 40_000, 40_000, 0, 0, settled_sen=40_000),
        MonthFigures(date(2026, 3, 1), 30_000, 29_999, 1, 0, settled_sen=29_999),
        MonthFigures(date(2026, 4, 1), 0, 5_000, 0, 0),
    ]
    series = chart_series(_report(months, date(2026, 4, 15)))
    assert series.labels == ("Feb 26", "Mar 26", "Apr 26 (to date)")
    assert series.rates == ("100%", "99%", "–")  # floored: one sen short is not 100%
    ended = chart_series(_report(months[:2], date(2026, 4, 1)))
    assert ended.labels == ("Feb 26", "Mar 26")


def test_the_chart_speaks_the_operators_language() -> None:
    report = make_report()
    with i18n.use("ms"):
        malay = chart_series(report)
    with i18n.use("zh_Hans"):
        chinese = chart_series(report)
    assert malay.labels == ("Jan 26", "Feb 26", "Mac 26 (setakat ini)")
    assert chinese.labels == ("26年1月", "26年2月", "26年3月（截至目前）")
    assert malay.subtitle.endswith("31 Mac 2026") and "2026年3月31日" in chinese.subtitle
    english = chart_series(report)
    for words in (malay, chinese):
        assert words.legend != english.legend and words.axis != english.axis
        assert words.invoiced == english.invoiced  # money is money in every language


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
