"""/chart, /export and /report: a heatmap photo, spreadsheet files and the national report as
PDF, built without stalling the bot.

Each command reads its rows in a database worker thread (`run_read`) and hands the drawing or
writing to a worker process (`bot.telegram.offload`), so other people's taps are answered while
a chart or a workbook is being built. Meanwhile the chat shows "sending a photo/file...".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot.checklist import Checklist, ChecklistRegistry
from bot.services import audit, exports, matrix, national_report
from bot.services.charts import render_heatmap, sends_as_photo
from bot.services.errors import UnknownCountry, UnknownCycle
from bot.services.pdf import render_pdf
from bot.telegram.common import Body, Caller, handler, send
from bot.telegram.offload import AlreadyPreparing, Busy, offloader
from bot.views import national_report as report_views
from bot.views import reports
from bot.views.common import Rendered, cycle_title
from bot.views.errors import error_text

log = logging.getLogger(__name__)

CHAT_ACTION_EVERY = 4.5  # seconds; Telegram shows a chat action for about five


@dataclass(frozen=True)
class ReportArgs:
    country_code: str | None = None
    cycle_id: int | None = None


def parse_report_args(args: Sequence[str]) -> ReportArgs | None:
    """`TH`, `2`, `#2`, `TH 2` in any order; None when something else is given."""
    country: str | None = None
    cycle: int | None = None
    for raw in args:
        arg = raw.strip()
        number = arg.removeprefix("#")
        if number.isdigit() and len(number) <= 9 and cycle is None:
            cycle = int(number)
        elif arg.isascii() and arg.isalpha() and 2 <= len(arg) <= 3 and country is None:
            country = arg.upper()
        else:
            return None
    return ReportArgs(country, cycle)


@contextlib.asynccontextmanager
async def showing(update: Update, action: str) -> AsyncIterator[None]:
    """Show a chat action ("sending a file...") until the block ends."""
    chat = update.effective_chat
    assert chat is not None

    async def repeat() -> None:
        while True:
            try:
                await chat.send_action(action)
            except TelegramError as error:  # a convenience: never fail the command for it
                log.debug("chat action not shown: %s", error)
            await asyncio.sleep(CHAT_ACTION_EVERY)

    task = asyncio.create_task(repeat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def one_at_a_time(kind: str) -> Callable[[Body], Body]:
    """At most one chart or export per person in the making, and a bounded queue overall
    (`Offloader.reserved`); a request beyond either is answered at once, not queued."""

    def decorate(body: Body) -> Body:
        @functools.wraps(body)
        async def wrapper(
            update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
        ) -> None:
            t = caller.t
            try:
                async with offloader(context).reserved(caller.telegram_id, kind):
                    await body(update, context, caller)
                return
            except AlreadyPreparing as running:
                if running.kind == "chart":
                    text = t.gettext("⏳ Already preparing your chart; it will arrive shortly.")
                elif running.kind == "report":
                    text = t.gettext("⏳ Already preparing your report; it will arrive shortly.")
                else:
                    text = t.gettext("⏳ Already preparing your export; it will arrive shortly.")
            except Busy:
                text = t.gettext(
                    "⏳ Many charts and exports are being prepared just now. "
                    "Please try again in a minute."
                )
            await send(update, Rendered(text))

        return wrapper

    return decorate


@handler()
@one_at_a_time("chart")
async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    actor.require_coordinator()
    args = parse_report_args(context.args or [])
    if args is None or args.country_code is not None:
        await send_usage(update, caller, "chart")
        return
    now = rt.clock.now()
    async with showing(update, ChatAction.UPLOAD_PHOTO):
        try:
            norm_matrix = await rt.db.run_read(
                matrix.norm_matrix, actor=actor, checklists=rt.checklists, cycle_id=args.cycle_id
            )
        except UnknownCycle as error:
            await send_usage(update, caller, "chart", error=error)
            return
        await rt.db.run(
            audit.record_request,
            actor=actor,
            action=audit.Action.CHART_REQUESTED,
            now=now,
            cycle_id=norm_matrix.cycle.cycle_id,
            country_code=None,
        )
        data, labels = reports.heatmap(
            t, rt.i18n.translator("en"), norm_matrix, now=now, tz=caller.timezone
        )
        fonts_dir = rt.settings.chart_fonts_dir
        png = await offloader(context).run(
            render_heatmap, data, labels, fonts_dir=str(fonts_dir) if fonts_dir else None
        )
    chat = update.effective_chat
    assert chat is not None
    caption = reports.chart_caption(t, norm_matrix, now=now, tz=caller.timezone)
    name = exports.export_file_name(
        norm_matrix.cycle,
        None,
        _today(now, caller.timezone),
        "png",
        title=cycle_title(t, norm_matrix.cycle.title),
    )
    if sends_as_photo(data):
        await chat.send_photo(png, caption=caption, filename=name)
    else:
        # Telegram shrinks photos to 2560 pixels; a chart of many countries stays sharp as a file.
        await chat.send_document(png, filename=name, caption=caption)


@handler()
@one_at_a_time("export")
async def export(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    args = parse_report_args(context.args or [])
    if args is None:
        await send_usage(update, caller, "export")
        return
    now = rt.clock.now()
    async with showing(update, ChatAction.UPLOAD_DOCUMENT):
        try:
            data = await rt.db.run_read(
                exports.build_export,
                **caller.acting(now),
                cycle_id=args.cycle_id,
                country_code=args.country_code,
                bot_username=context.bot.username,  # for the evidence files' deep links
            )
        except UnknownCycle as error:
            await send_usage(update, caller, "export", error=error)
            return
        await rt.db.run(
            audit.record_request,
            actor=actor,
            action=audit.Action.EXPORT_REQUESTED,
            now=now,
            cycle_id=data.cycle.cycle_id,
            country_code=data.country_code,
        )
        labels = reports.export_labels(t, data, tz=caller.timezone)
        xlsx, csv = await offloader(context).run(exports.write_files, data, labels)
    chat = update.effective_chat
    assert chat is not None
    day = _today(now, caller.timezone)
    title = cycle_title(t, data.cycle.title)
    await chat.send_document(
        xlsx,
        filename=exports.export_file_name(data.cycle, data.country_code, day, "xlsx", title=title),
        caption=reports.export_caption(t, data, now=now, tz=caller.timezone),
    )
    await chat.send_document(
        csv,
        filename=exports.export_file_name(data.cycle, data.country_code, day, "csv", title=title),
        caption=reports.csv_caption(t),
    )


@dataclass(frozen=True)
class ReportRequest:
    instrument: Checklist
    country_code: str | None = None
    blank: bool = False


def parse_report_request(
    args: Sequence[str], checklists: ChecklistRegistry, default: Checklist | None = None
) -> ReportRequest | str:
    """`[instrument] [COUNTRY | blank]` in any order, the instrument by its short name (else
    `default`, else the norms checklist); the first word not understood when one is not."""
    instrument: Checklist | None = None
    country: str | None = None
    blank = False
    for raw in args:
        word = raw.strip()
        try:
            named = checklists.by_short_name(word.lower())
        except KeyError:
            named = None
        if named is not None and instrument is None:
            instrument = named
        elif word.lower() == "blank" and not blank:
            blank = True
        elif word.isascii() and word.isalpha() and len(word) == 2 and country is None:
            country = word.upper()
        else:
            return word
    # The questions are the same for every country: `/report blank TH` is `/report blank`.
    chosen = instrument or default or checklists.default()
    return ReportRequest(chosen, None if blank else country, blank)


@handler(instrument_word="none")  # found here, anywhere: a blank report needs no role in it
@one_at_a_time("report")
async def report(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    # The instrument named anywhere in the words, else the one the person acts in; a country's
    # report needs a role in it, the blank questionnaire does not.
    request = parse_report_request(
        context.args or [], rt.checklists, rt.checklists.latest(actor.checklist_id)
    )
    if isinstance(request, str):
        await _report_usage(update, caller, unknown=request)
        return
    if not request.blank:
        actor = actor.within(request.instrument.id)
        actor.require_role()
    now = rt.clock.now()
    tz = caller.timezone
    fonts_dir = str(rt.settings.chart_fonts_dir) if rt.settings.chart_fonts_dir else None
    async with showing(update, ChatAction.UPLOAD_DOCUMENT):
        if request.blank:
            blank = await rt.db.run_read(
                national_report.build_blank,
                checklists=rt.checklists,
                instrument=request.instrument,
                now=now,
            )
            document = report_views.blank_document(t, blank, tz=tz)
            caption = report_views.blank_caption(t, blank)
            name = f"normsbot-{request.instrument.short_name}-blank-{_today(now, tz)}.pdf"
        else:
            try:
                data = await rt.db.run_read(
                    national_report.build_report,
                    actor=actor,
                    checklists=rt.checklists,
                    instrument=request.instrument,
                    now=now,
                    country_code=request.country_code,
                )
            except UnknownCountry as error:
                if error.country:
                    raise
                await _report_usage(update, caller)  # a coordinator named no country
                return
            await rt.db.run(
                audit.record_request,
                actor=actor,
                action=audit.Action.REPORT_REQUESTED,
                now=now,
                cycle_id=data.cycle.cycle_id,
                country_code=data.country_code,
            )
            document = report_views.report_document(t, data, tz=tz)
            caption = report_views.report_caption(t, data, tz=tz)
            name = exports.export_file_name(
                data.cycle,
                data.country_code,
                _today(now, tz),
                "pdf",
                title=cycle_title(t, data.cycle.title),
            )
        pdf = await offloader(context).run(render_pdf, document, fonts_dir=fonts_dir)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(pdf, filename=name, caption=caption)


async def _report_usage(update: Update, caller: Caller, *, unknown: str | None = None) -> None:
    actor = caller.enrolled()
    names = [checklist.short_name for checklist in caller.rt.checklists.instruments()]
    await send(
        update,
        report_views.report_usage(
            caller.t, coordinator=actor.is_coordinator, instruments=names, unknown=unknown
        ),
    )


async def send_usage(
    update: Update, caller: Caller, command: str, *, error: UnknownCycle | None = None
) -> None:
    """How to use the command, with the cycles one can ask for (after the error, if any)."""
    actor = caller.enrolled()
    cycles = await caller.rt.db.run_read(matrix.recent_cycles, actor=actor)
    rendered = reports.usage(
        caller.t, command, coordinator=actor.is_coordinator, cycles=cycles, tz=caller.timezone
    )
    if error is not None:
        rendered = Rendered(error_text(caller.t, error) + "\n\n" + rendered.text)
    await send(update, rendered)


def _today(now: datetime, timezone: str | None) -> date:
    """The reader's calendar day, for file names."""
    return now.astimezone(ZoneInfo(timezone) if timezone else UTC).date()


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    return [
        # Not blocking: the person's next update is handled while their file is made (their
        # updates are otherwise handled one at a time, see bot/telegram/fairness.py), so a
        # second /export meets "already preparing" instead of a queue.
        CommandHandler("chart", chart, filters=private, block=False),
        CommandHandler("export", export, filters=private, block=False),
        CommandHandler("report", report, filters=private, block=False),
    ]
