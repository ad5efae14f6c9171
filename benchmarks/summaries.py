"""How long coordinators wait for /summary, /status, /chart and /export on a large region.

    .venv/bin/python benchmarks/summaries.py [--countries 193] [--items 150] [--cycles 3]
                                             [--runs 5] [--database-url URL] [--writers]

Builds a synthetic region (`benchmarks/synthetic.py`: 193 countries x 150 items x 3 cycles by
default, every answer with its history) on a fresh database (a SQLite file in a temporary
folder, or a new schema of the PostgreSQL at --database-url, dropped afterwards), then times
what each command costs the bot, as the median of --runs runs after one warm-up:

- summary: `regional_summary` (one transaction, as the handler runs it)
- status: `country_status` for one country
- chart: the country x norm matrix query, the labels and the PNG (`render_heatmap`)
- xlsx: the export's rows (`build_export`), the labels and the workbook (`write_xlsx`)

With --writers, the same rows (the answers and history sheets, shaped as the export shapes them)
are also written by the other writers measured for issue 13, one after another in rounds so
that the machine's load falls on all alike: `xlsx_writer_<name>_ms`, wall and CPU, median of
--runs. `rustpy` is the one in use (`bot/services/xlsx.py`); `xlsxwriter` runs with
`constant_memory` and with `in_memory`; `pyexcelerate` writes a string starting with "=" as a
formula, which the export's neutralised text never does but the other cells could.

Times are wall-clock (`time.perf_counter`) in this one process, with this process's CPU time
after them; the bot runs the drawing and writing in a worker process, which costs the same.
Figures go one per line, `name value`, with the target after it. The machine's load average is
printed first: on a shared machine, other processes' work lengthens every wall-clock figure.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bot` and `benchmarks` importable
    sys.path.insert(0, str(ROOT))


from benchmarks.synthetic import START, seed_region, write_checklist  # noqa: E402
from bot.checklist import ChecklistRegistry  # noqa: E402
from bot.db import Database, scratch_postgres_schema  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.services.charts import render_heatmap  # noqa: E402
from bot.services.exports import (  # noqa: E402
    ExportData,
    ExportLabels,
    answer_values,
    build_export,
    history_values,
    write_csv,
    write_xlsx,
)
from bot.services.matrix import norm_matrix  # noqa: E402
from bot.services.xlsx import Column, Sheet, write_workbook  # noqa: E402
from bot.views.reports import export_labels, heatmap  # noqa: E402

TARGETS_MS = {"summary_ms": 300.0, "chart_ms": 2000.0, "xlsx_ms": 3000.0}
STATUS_COUNTRY = "TH"
TIMEZONE = "Asia/Bangkok"


@contextmanager
def fresh_database(url: str | None, folder: Path) -> Iterator[Database]:
    if url is None or url.startswith("sqlite"):
        db = Database(url or f"sqlite:///{folder / 'bench.db'}")
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()
        return
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    with scratch_postgres_schema(url, prefix="bench") as db:
        yield db


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of `runs` calls, after one warm-up call."""
    fn()  # warm-up: imports, caches, the database's own caches
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def figure(name: str, value: tuple[float, float], note: str = "") -> None:
    """`name wall_ms  (target)  cpu N ms`: on an idle machine the two are close; the CPU time
    of this process (the database server's is not in it) shows what a busy machine hides."""
    target = TARGETS_MS.get(name)
    suffix = f"  (target <= {target:.0f})" if target is not None else ""
    print(f"{name} {value[0]:.1f}{suffix}  cpu {value[1]:.1f}{note}", flush=True)


def compare_writers(data: ExportData, labels: ExportLabels, runs: int) -> None:
    """The answers and history sheets written by each writer, interleaved round by round."""
    sheets = [
        (
            list(labels.answer_headers),
            [answer_values(row, labels) for row in data.answers],
        ),
        (
            list(labels.history_headers),
            [history_values(row, labels) for row in data.history],
        ),
    ]
    writers: dict[str, Callable[[], bytes]] = {
        "rustpy": lambda: write_workbook(
            [
                Sheet(f"s{n}", [Column(h) for h in head], rows)
                for n, (head, rows) in enumerate(sheets)
            ]
        ),
        "xlsxwriter_constant_memory": lambda: _xlsxwriter(sheets, constant_memory=True),
        "xlsxwriter_in_memory": lambda: _xlsxwriter(sheets, constant_memory=False),
        "pyexcelerate": lambda: _pyexcelerate(sheets),
    }
    wall: dict[str, list[float]] = {name: [] for name in writers}
    cpu: dict[str, list[float]] = {name: [] for name in writers}
    size: dict[str, int] = {}
    for _ in range(runs):
        for name, write in writers.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            size[name] = len(write())
            wall[name].append((time.perf_counter() - start) * 1000)
            cpu[name].append((time.process_time() - start_cpu) * 1000)
    for name in writers:
        value = (statistics.median(wall[name]), statistics.median(cpu[name]))
        figure(f"xlsx_writer_{name}_ms", value, f"  xlsx {size[name] // 1024} KiB")


Rows = list[list[Any]]


def _xlsxwriter(sheets: list[tuple[list[str], Rows]], *, constant_memory: bool) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    mode = {"constant_memory": True} if constant_memory else {"in_memory": True}
    workbook = xlsxwriter.Workbook(
        buffer,
        {**mode, "strings_to_numbers": False, "strings_to_formulas": False,
         "strings_to_urls": False, "remove_timezone": True},
    )  # fmt: skip
    stamp = workbook.add_format({"num_format": "yyyy\\-mm\\-dd\\ hh:mm"})
    for n, (headers, rows) in enumerate(sheets):
        sheet = workbook.add_worksheet(f"s{n}")
        for col, header in enumerate(headers):
            sheet.write_string(0, col, header)
        write_string = sheet.write_string
        for row, values in enumerate(rows, start=1):
            for col, value in enumerate(values):
                if isinstance(value, str):
                    write_string(row, col, value)
                elif isinstance(value, datetime):
                    sheet.write_datetime(row, col, value, stamp)
    workbook.close()
    return buffer.getvalue()


def _pyexcelerate(sheets: list[tuple[list[str], Rows]]) -> bytes:
    import pyexcelerate

    workbook = pyexcelerate.Workbook()
    for n, (headers, rows) in enumerate(sheets):
        # It has no zones either: UTC wall-clock time, as the others write.
        plain = [[_naive(value) for value in values] for values in rows]
        workbook.new_sheet(f"s{n}", data=[headers, *plain])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _naive(value: object) -> object:
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--countries", type=int, default=193)
    parser.add_argument("--items", type=int, default=150)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument(
        "--writers", action="store_true", help="also time XlsxWriter and pyexcelerate"
    )
    args = parser.parse_args(argv)

    # Late import: summaries is another engineer's module and may not exist on every branch.
    from bot.services.summaries import country_status, regional_summary

    print(f"load_average_1min {os.getloadavg()[0]:.2f}  (cores: {os.cpu_count()})", flush=True)
    with tempfile.TemporaryDirectory() as temp, fresh_database(args.database_url, Path(temp)) as db:
        folder = Path(temp) / "checklists"
        write_checklist(folder, items=args.items)
        checklists = ChecklistRegistry.from_dir(folder)
        checklist = checklists.latest("synthetic-norms")
        started = time.perf_counter()
        region = seed_region(db, checklist, countries=args.countries, cycles=args.cycles)
        print(
            f"seeded_s {time.perf_counter() - started:.1f}  ({db.safe_url().split(':')[0]}: "
            f"{args.countries} countries x {len(checklist.items)} items x {args.cycles} cycles, "
            f"{region.answers} answers, {region.revisions} revisions)",
            flush=True,
        )
        actor = region.coordinator
        now = START + timedelta(days=365 * (args.cycles - 1) + 60)
        english = I18n().translator("en")
        sizes: dict[str, int] = {}

        def summary() -> object:
            return db.read(regional_summary, actor=actor, checklists=checklists, now=now)

        def status() -> object:
            return db.read(
                country_status,
                actor=actor,
                checklists=checklists,
                country_code=STATUS_COUNTRY,
                now=now,
            )

        def chart() -> object:
            matrix = db.read(norm_matrix, actor=actor, checklists=checklists)
            data, labels = heatmap(english, english, matrix, now=now, tz=TIMEZONE)
            png = render_heatmap(data, labels)
            sizes["png"] = len(png)
            return png

        def xlsx() -> object:
            data = db.read(build_export, actor=actor, checklists=checklists, now=now)
            content = write_xlsx(data, export_labels(english, data, tz=TIMEZONE))
            sizes["xlsx"] = len(content)
            return content

        export_data = db.read(build_export, actor=actor, checklists=checklists, now=now)
        export_text = export_labels(english, export_data, tz=TIMEZONE)

        figure("summary_ms", median_ms(summary, args.runs))
        figure("status_ms", median_ms(status, args.runs))
        figure("chart_ms", median_ms(chart, args.runs), f"  png {sizes['png'] // 1024} KiB")
        figure("xlsx_ms", median_ms(xlsx, args.runs), f"  xlsx {sizes['xlsx'] // 1024} KiB")
        # Where the time goes, for whoever wants to make it faster.
        figure(
            "chart_query_ms",
            median_ms(lambda: db.read(norm_matrix, actor=actor, checklists=checklists), args.runs),
        )
        figure(
            "xlsx_query_ms",
            median_ms(
                lambda: db.read(build_export, actor=actor, checklists=checklists, now=now),
                args.runs,
            ),
        )
        figure("xlsx_write_ms", median_ms(lambda: write_xlsx(export_data, export_text), args.runs))
        figure("csv_write_ms", median_ms(lambda: write_csv(export_data, export_text), args.runs))
        if args.writers:
            compare_writers(export_data, export_text, args.runs)
        print(
            f"export_rows answers={len(export_data.answers)} history={len(export_data.history)}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
