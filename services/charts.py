"""The summary chart: invoiced and collected per month as bars, outstanding as a line.

`chart_series` turns a SummaryReport into exactly the numbers and words plotted (ringgit as
Decimal, from integer sen; words in the language of the moment, services/i18n.py), so tests
check the data without reading pixels; `render_summary_chart` draws it. The chart starts at the
first month with any figure, labels months short ("Jan 26"), prints each bar's figure and the
month's collection rate, and marks a month not yet ended "to date". Matplotlib is imported
inside the function: it is slow to import and only the chart needs it.
"""

from __future__ import annotations

import asyncio
import io
import threading
from dataclasses import dataclass
from decimal import Decimal

from vanbill.services import i18n
from vanbill.services.i18n import gettext as _
from vanbill.services.money import CURRENCY_SYMBOLS
from vanbill.services.periods import add_months
from vanbill.services.views import MonthFigures, SummaryReport

WIDTH_PX = 1280
HEIGHT_PX = 720
DPI = 100

INVOICED_COLOUR = "#1f4e79"
COLLECTED_COLOUR = "#2e9d5b"
OUTSTANDING_COLOUR = "#c62828"

# Latin first; Chinese and Tamil business names fall back to their Noto faces (matplotlib does
# not shape Tamil, so its conjuncts may look plainer than in the PDFs).
FONT_FAMILIES = ["Noto Sans", "Noto Sans CJK SC", "Noto Sans Tamil", "DejaVu Sans"]

_PLOT_LOCK = threading.Lock()


@dataclass(frozen=True)
class ChartSeries:
    """What the summary chart plots: one entry per month, oldest first, in ringgit."""

    title: str
    subtitle: str
    currency_symbol: str
    labels: tuple[str, ...]
    invoiced: tuple[Decimal, ...]
    collected: tuple[Decimal, ...]
    outstanding: tuple[Decimal, ...]
    rates: tuple[str, ...] = ()  # each month's collection rate ("95%", or "–" if none billed)
    legend: tuple[str, str, str] = ("Invoiced", "Collected", "Outstanding at month end")
    empty: str = "Nothing invoiced yet"
    axis: str = "Amount"
    rate_note: str = ""


def sen_to_ringgit(sen: int) -> Decimal:
    """Return sen as an exact Decimal of ringgit (12345 -> 123.45)."""
    return Decimal(sen).scaleb(-2)


def _from_first_figure(months: tuple[MonthFigures, ...]) -> tuple[MonthFigures, ...]:
    """Drop the months before the first with anything invoiced, collected or outstanding."""
    for index, month in enumerate(months):
        if month.invoiced_sen or month.collected_sen or month.outstanding_sen:
            return months[index:]
    return ()


def _rate(month: MonthFigures) -> str:
    rate = month.collection_rate_bp
    return "–" if rate is None else f"{rate // 100}%"  # floored: 99.99% paid is not 100%


def chart_series(report: SummaryReport) -> ChartSeries:
    """Return the labels, figures and words the summary chart plots for report."""
    months = _from_first_figure(report.months)
    labels = []
    for figures in months:
        label = i18n.short_month(figures.month)
        if add_months(figures.month, 1) > report.generated_on >= figures.month:
            label = _("{month} (to date)").format(month=label)
        labels.append(label)
    symbol = CURRENCY_SYMBOLS.get(report.currency.upper(), report.currency.upper())
    return ChartSeries(
        title=report.business_name or _("My van service"),
        subtitle=_("Invoiced, collected and outstanding · as of {day}").format(
            day=i18n.day(report.generated_on)
        ),
        currency_symbol=symbol,
        labels=tuple(labels),
        invoiced=tuple(sen_to_ringgit(m.invoiced_sen) for m in months),
        collected=tuple(sen_to_ringgit(m.collected_sen) for m in months),
        outstanding=tuple(sen_to_ringgit(m.outstanding_sen) for m in months),
        rates=tuple(_rate(m) for m in months),
        legend=(_("Invoiced"), _("Collected"), _("Outstanding at month end")),
        empty=_("Nothing invoiced yet"),
        axis=_("Amount ({symbol})").format(symbol=symbol),
        rate_note=_("% under each month: the share of that month's invoices paid"),
    )


def render_summary_chart(report: SummaryReport) -> bytes:
    """Draw the summary chart of report as a 1280x720 PNG."""
    return plot_series(chart_series(report))


async def render_summary_chart_async(report: SummaryReport) -> bytes:
    """Draw the summary chart in a worker thread, leaving the event loop free."""
    return await asyncio.to_thread(render_summary_chart, report)


def plot_series(series: ChartSeries) -> bytes:
    """Draw series as a 1280x720 PNG."""
    # Agg directly, without pyplot: no global figure registry, safe in a worker thread.
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    symbol = series.currency_symbol
    # rc_context swaps global settings, so two threads drawing at once would mix them up.
    with _PLOT_LOCK, rc_context({"font.family": FONT_FAMILIES}):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_axes((0.085, 0.16, 0.885, 0.66))
        figure.text(0.085, 0.93, series.title, fontsize=20, fontweight="bold", color="#1d2330")
        figure.text(0.085, 0.885, series.subtitle, fontsize=12, color="#667085")

        count = len(series.labels)
        if count == 0:
            axes.set_axis_off()
            axes.text(0.5, 0.5, series.empty, ha="center", va="center", fontsize=16)
        else:
            # Matplotlib draws in floats; the sums were done exactly in sen before this point.
            invoiced = [float(value) for value in series.invoiced]
            collected = [float(value) for value in series.collected]
            outstanding = [float(value) for value in series.outstanding]
            positions = list(range(count))
            width = 0.38
            invoiced_bars = axes.bar(
                [p - width / 2 for p in positions],
                invoiced,
                width,
                label=series.legend[0],
                color=INVOICED_COLOUR,
            )
            collected_bars = axes.bar(
                [p + width / 2 for p in positions],
                collected,
                width,
                label=series.legend[1],
                color=COLLECTED_COLOUR,
            )
            (outstanding_line,) = axes.plot(
                positions,
                outstanding,
                label=series.legend[2],
                color=OUTSTANDING_COLOUR,
                linewidth=2.5,
                marker="o",
                markersize=7,
            )
            # Each bar's figure on it, and the month's collection rate under its name.
            small = 8 if count > 8 else 10
            for bars in (invoiced_bars, collected_bars):
                axes.bar_label(
                    bars,
                    labels=[f"{value:,.0f}" for value in bars.datavalues],
                    fontsize=small,
                    padding=2,
                    rotation=90 if count > 8 else 0,
                    color="#1d2330",
                )
            rates = series.rates or ("",) * count
            ticks = [f"{label}\n{rate}" for label, rate in zip(series.labels, rates, strict=True)]
            axes.set_xticks(positions, ticks)
            if count > 6:
                axes.tick_params(axis="x", labelrotation=30)
                for label in axes.get_xticklabels():
                    label.set_horizontalalignment("right")
            if series.rate_note:
                figure.text(
                    0.97, 0.015, series.rate_note, ha="right", fontsize=10, color="#667085"
                )
            top = max([*invoiced, *collected, *outstanding, 1.0])
            bottom = min([*outstanding, 0.0])
            axes.set_ylim(bottom * 1.08, top * (1.22 if count > 8 else 1.12))  # room for figures
            axes.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
            axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{symbol} {v:,.0f}"))
            axes.set_ylabel(series.axis, fontsize=12)
            axes.grid(axis="y", color="#d7dde6", linewidth=0.8)
            axes.set_axisbelow(True)
            for side in ("top", "right"):
                axes.spines[side].set_visible(False)
            axes.tick_params(labelsize=11)
            axes.legend(
                handles=[invoiced_bars, collected_bars, outstanding_line],
                loc="lower right",
                bbox_to_anchor=(1.0, 1.01),
                frameon=False,
                fontsize=11,
                ncols=3,
            )

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
