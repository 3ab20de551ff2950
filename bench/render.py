"""Render N one-page invoices, in one process and in one worker process per core; print the rate.

    python bench/render.py [--count 200] [--processes N] [--profile]

The invoices are built in code (no database): families of two or three children with Malay,
Chinese, Tamil and accented names, a DuitNow QR payload, mixed statuses, each drawn in its
family's language in turn (Malay, English, Chinese). It prints PDFs per second, milliseconds per
PDF (and the median and 95th percentile of one PDF), the average PDF size, peak memory of this
process and of the worker processes, and the time to draw the summary chart once warm. --profile
runs the single-process pass under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import resource
import statistics
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from vanbill.services.charts import render_summary_chart
from vanbill.services.documents import DocumentRenderer, usable_cores
from vanbill.services.money import percent_of
from vanbill.services.periods import add_months, month_label
from vanbill.services.views import (
    InvoiceDocument,
    InvoiceLineView,
    InvoiceView,
    MonthFigures,
    OperatorView,
    SummaryReport,
    UnpaidInvoice,
)

# The documents are drawn in each family's language, in turn.
LOCALES = ("ms", "en", "zh_Hans")

# (parent, children) by community; a real operator's list mixes them all.
FAMILIES: list[tuple[str, tuple[str, ...]]] = [
    ("Ahmad bin Abdullah", ("Nur Aisyah binti Ahmad", "Muhammad Irfan bin Ahmad")),
    ("Siti Nurhaliza binti Tarudin", ("Aina Sofea", "Adam Haziq", "Aleesya Humaira")),
    ("Tan Wei Ming 陈伟明", ("陈美玲", "陈志豪")),
    ("Lim Siew Lan 林秀兰", ("林佳慧", "林俊杰", "林雅婷")),
    ("Kumar a/l Subramaniam", ("குமார்", "Priya a/p Kumar")),
    ("Lakshmi a/p Raman லட்சுமி", ("கவியா", "அருண்", "Divya a/p Raman")),
    ("José Müller", ("Léa Müller", "Noël Müller")),
    ("Mohd Faizal bin Ismail", ("Nurul Izzah", "Danish Haikal")),
    ("Wong Mei Fong 黄美芳", ("黄子轩", "Wong Jia Hui")),
    ("Rajesh s/o Muthu", ("Kavitha d/o Rajesh", "சரவணன்", "Anand s/o Rajesh")),
]
ROUTES = (("Morning route", 18_000), ("Afternoon route", 15_050), ("Full day", 26_000))
STATUSES = ("open", "open", "open", "partial", "paid", "open")
QR_PAYLOAD = (
    "00020201021126580014A000000615000101065887340212DUITNOW-DEMO520400005303458"
    "5802MY5919VAN SEKOLAH KAK ROS6012KUALA LUMPUR6304ABCD"
)


def make_operator() -> OperatorView:
    """Build a Kuala Lumpur operator with bank details and a DuitNow QR payload."""
    return OperatorView(
        id=1,
        telegram_user_id=1001,
        business_name="Van Sekolah Kak Ros",
        address="12 Jalan Melati 3\nTaman Melati, 53100 Kuala Lumpur",
        phone="+60 12-345 6789",
        bank_name="Maybank",
        bank_account="5140 1234 5678",
        duitnow_id="+60123456789",
        payment_note="Cash is welcome at pick-up too.",
        payment_qr_payload=QR_PAYLOAD,
        logo=None,
        timezone="Asia/Kuala_Lumpur",
        currency="MYR",
        invoice_prefix="INV",
        due_day=7,
        billing_day=1,
        billing_hour=8,
        reminder_hour=9,
        reminder_offsets=(0, 3, 7),
        reminders_enabled=True,
        sibling_discount_bp=1000,
        approval_required=False,
    )


def make_invoices(count: int, today: date) -> list[InvoiceDocument]:
    """Build count realistic one-page invoice documents for the month of today."""
    operator = make_operator()
    period = today.replace(day=1)
    docs = []
    for n in range(count):
        parent, children = FAMILIES[n % len(FAMILIES)]
        lines = []
        for i, child in enumerate(children):
            route, fee = ROUTES[(n + i) % len(ROUTES)]
            lines.append(
                InvoiceLineView(
                    f"{route} — {month_label(period)}",
                    1,
                    fee,
                    fee,
                    child,
                    route,
                    period=period,
                    route_name=route,
                )
            )
        if n % 4 == 0:
            lines.append(
                InvoiceLineView("School trip to Zoo Negara", 2, 1_225, 2_450, children[0])
            )
        subtotal = sum(line.amount_sen for line in lines)
        discount = percent_of(lines[-1].amount_sen, 1000) if len(children) > 2 else 0
        total = subtotal - discount
        status = STATUSES[n % len(STATUSES)]
        paid = {"paid": total, "partial": total // 3}.get(status, 0)
        invoice = InvoiceView(
            id=n + 1,
            number=f"INV-{period.year}-{n + 1:04d}",
            customer_id=n + 1,
            customer_name=f"{parent} ({n + 1})",
            customer_phone=f"+60 13-{n:03d} 4455",
            kind="monthly",
            period=period,
            issue_date=period,
            due_date=period + timedelta(days=6),
            description="",
            subtotal_sen=subtotal,
            discount_sen=discount,
            total_sen=total,
            paid_sen=paid,
            credit_applied_sen=0,
            status=status,
            overdue=status != "paid" and n % 5 == 0,
            lines=tuple(lines),
        )
        previous = 12_345 if n % 3 == 0 and status != "paid" else 0
        earlier = (
            (
                UnpaidInvoice(
                    f"INV-{period.year}-9{n:03d}", add_months(period, -1), period, previous
                ),
            )
            if previous
            else ()
        )
        docs.append(
            InvoiceDocument(operator, invoice, previous, today, earlier, LOCALES[n % len(LOCALES)])
        )
    return docs


def make_report(today: date) -> SummaryReport:
    """Build a twelve-month summary report."""
    start = add_months(today.replace(day=1), -11)
    months = tuple(
        MonthFigures(
            add_months(start, i),
            720_000 + i * 13_050,
            610_000 + i * 20_000 - (i % 3) * 90_000,
            110_000 + (i % 3) * 90_000,
            i % 4,
        )
        for i in range(12)
    )
    return SummaryReport("Van Sekolah Kak Ros", "MYR", today, months)


def maxrss_mib(who: int) -> float:
    """Return the peak resident memory of this process or of its waited-for children in MiB."""
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def report(
    label: str, seconds: float, pdfs: list[bytes], cpu_seconds: float | None = None
) -> None:
    """Print the rate, time per PDF and average size of one pass."""
    count = len(pdfs)
    size = sum(len(pdf) for pdf in pdfs) / count / 1024
    cpu = f"  CPU {cpu_seconds / count * 1000:.1f} ms/PDF" if cpu_seconds is not None else ""
    print(
        f"{label:<26} {count / seconds:6.1f} PDFs/s  {seconds / count * 1000:6.1f} ms/PDF  "
        f"avg {size:5.1f} KiB  ({count} in {seconds:.2f} s){cpu}"
    )


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="invoices to render (200)")
    parser.add_argument("--processes", type=int, default=usable_cores(), help="workers (cores)")
    parser.add_argument("--profile", action="store_true", help="cProfile the single process")
    args = parser.parse_args()

    # Wall-clock rates depend on what else the machine runs; CPU ms per PDF much less so.
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    today = datetime.now(ZoneInfo("Asia/Kuala_Lumpur")).date()
    docs = make_invoices(args.count, today)

    started = time.perf_counter()
    renderer = DocumentRenderer(processes=args.processes)
    built_ms = (time.perf_counter() - started) * 1000
    print(f"renderer built in {built_ms:.0f} ms (fonts checked, common CJK cut made)")
    for doc in docs[:10]:  # warm: Pango font loading, image cache, first-use imports
        renderer.invoice_pdf(doc)

    profiler = cProfile.Profile() if args.profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    single, each = [], []
    for doc in docs:
        one = time.perf_counter()
        single.append(renderer.invoice_pdf(doc))
        each.append((time.perf_counter() - one) * 1000)
    if profiler is not None:
        profiler.disable()
    cpu = time.process_time() - cpu_started
    report("single process", time.perf_counter() - started, single, cpu)
    each.sort()
    print(
        f"per PDF                    median {statistics.median(each):6.1f} ms  "
        f"p95 {each[int(len(each) * 0.95) - 1]:6.1f} ms"
    )
    if args.processes <= 1:
        renderer.close()
        return
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())

    started = time.perf_counter()
    renderer.start_pool()
    print(f"{args.processes} worker processes started in {time.perf_counter() - started:.2f} s")
    asyncio.run(renderer.render_invoices(docs[: args.processes * 5]))  # warm each worker
    started = time.perf_counter()
    pooled = asyncio.run(renderer.render_invoices(docs))
    report(f"{args.processes} worker processes", time.perf_counter() - started, pooled)
    renderer.close()  # the children are waited for, so RUSAGE_CHILDREN now counts them

    report_view = make_report(today)
    render_summary_chart(report_view)
    runs = 10
    started = time.perf_counter()
    for _ in range(runs):
        png = render_summary_chart(report_view)
    chart_ms = (time.perf_counter() - started) / runs * 1000
    print(f"summary chart (warm)       {chart_ms:6.1f} ms  {len(png) / 1024:.0f} KiB PNG")
    print(
        f"peak memory: this process {maxrss_mib(resource.RUSAGE_SELF):.0f} MiB, "
        f"largest worker {maxrss_mib(resource.RUSAGE_CHILDREN):.0f} MiB"
    )


if __name__ == "__main__":
    main()
