"""What one /report PDF costs: a full report of the norms checklist (48 items, each answered
with a comment and two pieces of evidence) laid out by `render_pdf`, in each language asked for.

    .venv/bin/python -m benchmarks.report_pdf [--locales en,th,km,my,ta,lo,zh_Hans] [--runs 5]
                                              [--png DIR]

Each locale runs in a fresh process (`multiprocessing`, "spawn", as the bot's workers start):
the first report of a process pays for loading the fonts, the later ones are what a warm worker
costs. Printed, one figure per line: `pdf_<locale>_first_ms`, `pdf_<locale>_ms` (median of
--runs warm runs, CPU time of the worker), `pdf_<locale>_kb` (file size) and
`pdf_<locale>_peak_rss_mb` (the worker's high-water mark, everything it imported included).

With --png DIR the pages of each PDF are also written as PNG files (`DIR/<locale>-<page>.png`,
pypdfium2), to look at: docs/reports.md says what to check. They are not committed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bot` importable
    sys.path.insert(0, str(ROOT))

from bot.checklist import ChecklistRegistry  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.services.exports import AnswerRow  # noqa: E402
from bot.services.matrix import ReportCycle  # noqa: E402
from bot.services.national_report import CountryReportData  # noqa: E402
from bot.services.pdf import ReportDocument, render_pdf  # noqa: E402
from bot.services.reads import ItemState, StateCounts, count_states  # noqa: E402
from bot.services.submission import ReportState  # noqa: E402
from bot.views.national_report import report_document  # noqa: E402

NOW = datetime(2026, 3, 20, 7, 30, tzinfo=UTC)
# Comments in the reader's script, as a focal point would type them.
COMMENTS = {
    "th": "ตามมติคณะรัฐมนตรี พ.ศ. 2567 หน่วยงานที่รับผิดชอบได้ดำเนินการแล้วและกำลังติดตามผล",
    "km": "យោងតាមសេចក្តីសម្រេចរបស់ក្រុមប្រឹក្សាភិបាល ក្រសួងបានអនុវត្តរួចរាល់ហើយ",
    "my": "ဝန်ကြီးဌာန၏ ဆုံးဖြတ်ချက်အရ အကောင်အထည်ဖော်ပြီးဖြစ်သည်",
    "ta": "அமைச்சரவை முடிவின்படி இது செயல்படுத்தப்பட்டுள்ளது; ஸ்ரீ க்ஷ",
    "lo": "ຕາມມະຕິຂອງລັດຖະບານ ກະຊວງໄດ້ດຳເນີນການແລ້ວ",
    "zh_Hans": "根据内阁决议，主管部门已经实施并正在跟踪落实情况。",
    "vi": "Theo Nghị quyết số 12/NQ-CP, đã ban hành năm 2024",
}


def full_report(locale: str) -> ReportDocument:
    checklists = ChecklistRegistry.bundled()
    checklist = checklists.default()
    i18n = I18n()
    t = i18n.translator(locale)
    statuses = checklist.statuses
    comment = COMMENTS.get(locale, "Adopted by the cabinet in 2024; the agency follows it up.")
    rows = []
    for n, item in enumerate(checklist.items):
        status = statuses[n % len(statuses)]
        rows.append(
            AnswerRow(
                "TH",
                item.section_id,
                item.id,
                status,
                False,
                False,
                f"{comment} ({n + 1})",
                ("link", "document"),
                (f"https://example.org/policy/{item.id}.pdf", f"decree-{item.id}.pdf – {comment}"),
                "Somchai",
                NOW,
                ItemState.ANSWERED,
            )
        )

    def counts(section_rows: list[AnswerRow]) -> StateCounts:
        return count_states(
            (row.state for row in section_rows), (row.status for row in section_rows)
        )

    data = CountryReportData(
        checklist=checklist,
        cycle=ReportCycle(1, "", NOW, NOW, None),
        country_code="TH",
        state=ReportState(NOW, "Somchai", NOW, "Lead", None, None),
        counts=counts(rows),
        sections={
            section.id: counts([row for row in rows if row.section_id == section.id])
            for section in checklist.sections
        },
        answers=tuple(rows),
        generated_at=NOW,
    )
    return report_document(t, data, tz="Asia/Bangkok")


def measure(locale: str, runs: int, png: str | None, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    document = full_report(locale)
    start = time.process_time()
    pdf = render_pdf(document)
    first = time.process_time() - start
    times = []
    for _ in range(runs):
        start = time.process_time()
        render_pdf(replace(document))
        times.append(time.process_time() - start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if png:
        import pypdfium2  # type: ignore[import-untyped]

        folder = Path(png)
        folder.mkdir(parents=True, exist_ok=True)
        pages = pypdfium2.PdfDocument(pdf)
        for n, page in enumerate(pages):
            page.render(scale=1.5).to_pil().save(folder / f"{locale}-{n + 1}.png")
            page.close()
        pages.close()
    queue.put((locale, first, statistics.median(times), len(pdf), rss))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--locales", default="en,th,km,my,ta,lo,zh_Hans,vi")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--png", default=None)
    args = parser.parse_args()
    print(f"# load average {os.getloadavg()[0]:.1f}")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    for locale in args.locales.split(","):
        worker = context.Process(target=measure, args=(locale, args.runs, args.png, queue))
        worker.start()
        name, first, warm, size, rss = queue.get()
        worker.join()
        print(f"pdf_{name}_first_ms {first * 1000:.0f}")
        print(f"pdf_{name}_ms {warm * 1000:.0f}")
        print(f"pdf_{name}_kb {size / 1024:.0f}")
        print(f"pdf_{name}_peak_rss_mb {rss:.0f}")


if __name__ == "__main__":
    main()
