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
from bot.views.callbacks import parse_int, unpack
from bot.views.common import Rendered
from bot.views.cycles import (
    BACK,
    CLOSE_ASK,
    CLOSE_YES,
    CYCLE,
    DEADLINE_HELP,
    DRAFT,
    EXTEND,
    NEW_HELP,
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
    actor, rt = caller.enrolled(), caller.rt
    zone = caller.timezone
    overview = await rt.db.run_read(
        cycles.cycle_overview,
        actor=actor,
        checklists=rt.checklists,
        now=rt.clock.now(),
        timezone=zone,
    )
    await show(update, render_cycle(caller.t, overview, timezone=zone, today=today_of(caller)))


@handler()
async def new_cycle(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/newcycle YYYY-MM-DD Title words… [baseline] [version=X]: a draft to confirm."""
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
        actor=actor,
        checklists=rt.checklists,
        title=" ".join(words),
        deadline_day=day,
        timezone=caller.timezone,
        version=version,
        baseline=baseline,
        now=rt.clock.now(),
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
    moved = await rt.db.run(
        cycles.move_deadline,
        actor=actor,
        checklists=rt.checklists,
        day=day,
        timezone=zone,
        now=rt.clock.now(),
    )
    await _deadline_moved(update, context, caller, moved)


@handler()
async def close_cycle(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/closecycle: ask to confirm with a button."""
    actor, rt = caller.enrolled(), caller.rt
    info = await rt.db.run_read(
        cycles.close_preview, actor=actor, checklists=rt.checklists, now=rt.clock.now()
    )
    await show(update, render_close_confirm(caller.t, info, timezone=caller.timezone))


@handler()
async def coordinator_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """A coordinator's text: the new deadline after "Other date", else the help."""
    message = update.effective_message
    assert message is not None and message.text is not None
    actor, rt = caller.enrolled(), caller.rt
    zone = caller.timezone
    typed = await rt.db.run(
        cycles.deadline_from_text,
        actor=actor,
        checklists=rt.checklists,
        text=message.text,
        timezone=zone,
        now=rt.clock.now(),
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
    overview = await rt.db.run_read(
        cycles.cycle_overview,
        actor=caller.enrolled(),
        checklists=rt.checklists,
        now=rt.clock.now(),
        timezone=zone,
    )
    rendered = render_cycle(caller.t, overview, timezone=zone, today=today_of(caller))
    if await edit(query, rendered) is None:
        await send(update, rendered)


async def _cycle_button(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    query = update.callback_query
    assert query is not None
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    parts = unpack(query.data)  # cy:<action>[:<id>[:<value>…]]
    action = parts[1] if len(parts) > 1 else ""
    number = parse_int(parts[2]) if len(parts) > 2 else None
    zone, now = caller.timezone, rt.clock.now()
    if action == BACK:
        await cycle(update, context)
    elif action == DEADLINE_HELP:
        await rt.db.run(cycles.await_deadline, actor=actor)
        await answer_query(query)
        await send(update, Rendered(deadline_prompt(t, timezone=zone, today=today_of(caller))))
    elif action == NEW_HELP:
        await answer_query(query)
        await send(update, Rendered(new_cycle_usage(t, today=today_of(caller))))
    elif action == CLOSE_ASK:
        await close_cycle(update, context)
    elif action == CLOSE_YES and number is not None:
        # cy:ok:<cycle>:<version>; an older button without the version is stale.
        version = parse_int(parts[3]) if len(parts) > 3 else None
        if version is None:
            raise StaleAction()
        info = await rt.db.run(
            cycles.close_cycle,
            actor=actor,
            checklists=rt.checklists,
            cycle_id=number,
            version=version,
            now=now,
        )
        await show(update, render_closed(t, info, timezone=zone, today=today_of(caller)))
    elif action == EXTEND and number is not None and len(parts) > 3:
        version = parse_int(parts[4]) if len(parts) > 4 else None
        if version is None:
            raise StaleAction()
        moved = await rt.db.run(
            cycles.extend_deadline,
            actor=actor,
            checklists=rt.checklists,
            cycle_id=number,
            days=parse_int(parts[3]) or 0,
            version=version,
            now=now,
        )
        await _deadline_moved(update, context, caller, moved)
    elif action == DRAFT and number is not None and len(parts) > 3:
        await _on_draft(update, context, caller, number, parts[3:])
    else:
        raise StaleAction()


async def _on_draft(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    caller: Caller,
    draft_id: int,
    values: list[str],
) -> None:
    actor, rt, t = caller.enrolled(), caller.rt, caller.t
    zone, now = caller.timezone, rt.clock.now()
    choice = values[0]
    if choice == "go":
        opened = await rt.db.run(
            cycles.open_drafted_cycle,
            actor=actor,
            checklists=rt.checklists,
            draft_id=draft_id,
            now=now,
        )
        await show(update, render_opened(t, opened, timezone=zone))
        jobs.send_soon(context)
        return
    if choice == "no":
        await rt.db.run(cycles.drop_draft, actor=actor, draft_id=draft_id, now=now)
        await show(update, render_draft_cancelled(t))
        return
    baseline = {"b1": True, "b0": False}.get(choice)
    version_index = parse_int(values[1]) if choice == "v" and len(values) > 1 else None
    if baseline is None and version_index is None:
        raise StaleAction()
    draft = await rt.db.run(
        cycles.adjust_draft,
        actor=actor,
        checklists=rt.checklists,
        draft_id=draft_id,
        baseline=baseline,
        version_index=version_index,
        now=now,
    )
    await show(update, render_draft(t, draft, timezone=zone))


# --------------------------------------------------------------------------- reports


@handler()
async def submit(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/submit (focal points): the country's report, when nothing is left open."""
    actor, rt = caller.enrolled(), caller.rt
    result = await rt.db.run(
        submission.submit_report, actor=actor, checklists=rt.checklists, now=rt.clock.now()
    )
    if result.outcome is Outcome.DONE:
        jobs.send_soon(context)  # the coordinators and the national lead
    await send(update, render_submit(caller.t, result, timezone=caller.timezone))


@handler()
async def sign_off(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    """/signoff (the country's national lead): the submitted report becomes final."""
    actor, rt = caller.enrolled(), caller.rt
    result = await rt.db.run(
        submission.sign_off, actor=actor, checklists=rt.checklists, now=rt.clock.now()
    )
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
