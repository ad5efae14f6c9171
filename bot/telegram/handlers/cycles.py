"""Reporting cycles and reports: /cycle, /newcycle, /deadline, /closecycle, /submit, /signoff.

Opening a cycle, moving its deadline, submitting and signing off tell other people: the
service plans those notices in the same transaction as the change (`services/notices.py`), and
`jobs.send_soon` wakes the sender, which writes each in its recipient's language and marks someone
who blocked the bot unreachable.
"""

from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.services import cycles, submission
from bot.services.errors import StaleAction
from bot.services.submission import Outcome
from bot.telegram import jobs
from bot.telegram.common import Caller, answer_query, edit, handler, send
from bot.views.callbacks import (
    CYCLE,
    CloseAskButton,
    CloseButton,
    CycleBackButton,
    DeadlineHelpButton,
    DraftButton,
    DraftChoice,
    ExtendButton,
    NewCycleHelpButton,
    read_button,
)
from bot.views.common import Rendered
from bot.views.cycles import (
    deadline_prompt,
    deadline_usage,
    new_cycle_usage,
    not_a_day_text,
    render_close_confirm,
    render_closed,
    render_cycle,
    render_deadline_moved,
    render_draft,
    render_draft_cancelled,
    render_opened,
    render_signoff,
    render_submit,
)
from bot.views.errors import error_text

log = logging.getLogger(__name__)

BASELINE_WORDS = ("baseline",)
VERSION_PREFIXES = ("version=", "v=")


def today_of(caller: Caller) -> date:
    return caller.rt.clock.now().astimezone(ZoneInfo(caller.timezone)).date()


def parse_day(text: str) -> date | None:
    """A day typed as YYYY-MM-DD; an impossible one (2027-02-30) raises `InvalidInput`."""
    return cycles.parse_day(text)


async def show(update: Update, rendered: Rendered) -> None:
    """Edit the pressed message, or send the view when it came from a command."""
    query = update.callback_query
    if query is None:
        await send(update, rendered)
        return
    await answer_query(query)
    if await edit(query, rendered) is None:
        await send(update, rendered)


# --------------------------------------------------------------------------- /cycle


@handler()
async def cycle(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    zone = caller.timezone
    overview = await caller.rt.db.run_read(cycles.cycle_overview, **caller.acting(), timezone=zone)
    await show(update, render_cycle(caller.t, overview, timezone=zone, today=today_of(caller)))


@handler(instrument_word="first")  # the title may contain any word
async def new_cycle(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/newcycle [instrument] YYYY-MM-DD Title words… [baseline] [version=X]: a draft."""
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    actor.require_coordinator()
    args = list(context.args or [])
    day = parse_day(args[0]) if args else None
    if day is None:
        await send(update, Rendered(new_cycle_usage(t, today=today_of(caller))))
        return
    words = args[1:]
    baseline, version = False, None
    while words:  # options are recognised at the end only: a title may contain any word
        last = words[-1]
        if last.lower() in BASELINE_WORDS:
            baseline = True
        elif last.lower().startswith(VERSION_PREFIXES):
            version = last.split("=", 1)[1]
        else:
            break
        words.pop()
    draft = await rt.db.run(
        cycles.draft_cycle,
        **caller.acting(),
        title=" ".join(words),
        deadline_day=day,
        timezone=caller.timezone,
        version=version,
        baseline=baseline,
    )
    await send(update, render_draft(t, draft, timezone=caller.timezone))


@handler()
async def deadline(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/deadline YYYY-MM-DD: the open cycle ends at the end of that day (caller's zone)."""
    actor, rt = caller.enrolled(), caller.rt
    actor.require_coordinator()
    args = context.args or []
    day = parse_day(args[0]) if args else None
    zone = caller.timezone
    if day is None:
        await send(
            update, Rendered(deadline_usage(caller.t, timezone=zone, today=today_of(caller)))
        )
        return
    moved = await rt.db.run(cycles.move_deadline, **caller.acting(), day=day, timezone=zone)
    await _deadline_moved(update, context, caller, moved)


@handler()
async def close_cycle(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/closecycle: ask to confirm with a button."""
    info = await caller.rt.db.run_read(cycles.close_preview, **caller.acting())
    await show(update, render_close_confirm(caller.t, info, timezone=caller.timezone))


@handler()
async def coordinator_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A coordinator's text: the new deadline after "Other date", else the help."""
    message = update.effective_message
    assert message is not None and message.text is not None
    zone = caller.timezone
    typed = await caller.rt.db.run(
        cycles.deadline_from_text, **caller.acting(), text=message.text, timezone=zone
    )
    if typed is None:
        from bot.telegram.handlers.general import help_command

        await help_command(update, context)
    elif typed.moved is None:
        await send(update, Rendered(not_a_day_text(caller.t)))
    else:
        await _deadline_moved(update, context, caller, typed.moved)


async def _deadline_moved(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller, moved: cycles.DeadlineMoved
) -> None:
    """Show the new deadline to the coordinator, then tell the focal points."""
    await show(update, render_deadline_moved(caller.t, moved, timezone=caller.timezone))
    jobs.send_soon(context)


@handler()
async def on_cycle_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    query = update.callback_query
    assert query is not None
    caller.enrolled().require_coordinator()
    try:
        await _cycle_button(update, context, caller)
    except StaleAction as stale:
        await _stale(update, caller, stale)


async def _stale(update: Update, caller: Caller, stale: StaleAction) -> None:
    """A repeated or outdated cycle button: nothing changed; show the cycle as it is now."""
    query = update.callback_query
    assert query is not None
    rt, zone = caller.rt, caller.timezone
    await answer_query(query, error_text(caller.t, stale), alert=True)
    overview = await rt.db.run_read(cycles.cycle_overview, **caller.acting(), timezone=zone)
    rendered = render_cycle(caller.t, overview, timezone=zone, today=today_of(caller))
    if await edit(query, rendered) is None:
        await send(update, rendered)


async def _cycle_button(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    query = update.callback_query
    assert query is not None
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    zone = caller.timezone
    # An older "close" or "extend" button without the cycle's version reads as none: stale.
    match read_button(
        query.data,
        CycleBackButton,
        DeadlineHelpButton,
        NewCycleHelpButton,
        CloseAskButton,
        CloseButton,
        ExtendButton,
        DraftButton,
    ):
        case CycleBackButton():
            await cycle(update, context)
        case DeadlineHelpButton():
            await rt.db.run(cycles.await_deadline, actor=actor)
            await answer_query(query)
            await send(update, Rendered(deadline_prompt(t, timezone=zone, today=today_of(caller))))
        case NewCycleHelpButton():
            await answer_query(query)
            await send(update, Rendered(new_cycle_usage(t, today=today_of(caller))))
        case CloseAskButton():
            await close_cycle(update, context)
        case CloseButton(cycle_id=cycle_id, version=version):
            info = await rt.db.run(
                cycles.close_cycle, **caller.acting(), cycle_id=cycle_id, version=version
            )
            await show(update, render_closed(t, info, timezone=zone, today=today_of(caller)))
        case ExtendButton(cycle_id=cycle_id, days=days, version=version):
            moved = await rt.db.run(
                cycles.extend_deadline,
                **caller.acting(),
                cycle_id=cycle_id,
                days=days,
                version=version,
            )
            await _deadline_moved(update, context, caller, moved)
        case DraftButton() as draft:
            await _on_draft(update, context, caller, draft)
        case _:
            raise StaleAction()


async def _on_draft(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    button: DraftButton,
) -> None:
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    zone, now = caller.timezone, caller.now
    draft_id, choice = button.draft_id, button.choice
    if choice is DraftChoice.OPEN:
        opened = await rt.db.run(cycles.open_drafted_cycle, **caller.acting(now), draft_id=draft_id)
        await show(update, render_opened(t, opened, timezone=zone))
        jobs.send_soon(context)
        return
    if choice is DraftChoice.CANCEL:
        await rt.db.run(cycles.drop_draft, actor=actor, draft_id=draft_id, now=now)
        await show(update, render_draft_cancelled(t))
        return
    baseline = {DraftChoice.BASELINE: True, DraftChoice.NO_BASELINE: False}.get(choice)
    version_index = button.index if choice is DraftChoice.VERSION else None
    if baseline is None and version_index is None:
        raise StaleAction()
    draft = await rt.db.run(
        cycles.adjust_draft,
        **caller.acting(now),
        draft_id=draft_id,
        baseline=baseline,
        version_index=version_index,
    )
    await show(update, render_draft(t, draft, timezone=zone))


# --------------------------------------------------------------------------- reports


@handler()
async def submit(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/submit (focal points): the country's report, when nothing is left open."""
    result = await caller.rt.db.run(submission.submit_report, **caller.acting())
    if result.outcome is Outcome.DONE:
        jobs.send_soon(context)  # the coordinators and the national lead
    await send(update, render_submit(caller.t, result, timezone=caller.timezone))


@handler()
async def sign_off(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/signoff (the country's national lead): the submitted report becomes final."""
    result = await caller.rt.db.run(submission.sign_off, **caller.acting())
    if result.outcome is Outcome.DONE:
        jobs.send_soon(context)  # the coordinators
    await send(update, render_signoff(caller.t, result, timezone=caller.timezone))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("cycle", cycle),
        CommandHandler("newcycle", new_cycle),
        CommandHandler("deadline", deadline),
        CommandHandler("closecycle", close_cycle),
        CommandHandler("submit", submit),
        CommandHandler("signoff", sign_off),
        CallbackQueryHandler(on_cycle_button, pattern=rf"^{CYCLE}:"),
    ]
