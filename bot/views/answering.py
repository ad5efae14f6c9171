"""Screens of the answering flow: an item, the end of the list, review, progress, the menu."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Translator
from bot.models import Awaiting
from bot.services.evidence import MAX_PER_ANSWER, EvidenceFile
from bot.services.needs import NOTE_MAX, SUPPORT_KINDS, parse_kinds
from bot.services.reads import ItemState
from bot.services.reporting import (
    Action,
    Conflict,
    DoneScreen,
    ItemScreen,
    Notice,
    Progress,
    ReviewSection,
    Screen,
)
from bot.views.callbacks import (
    AnswerButton,
    LanguagesButton,
    MenuButton,
    ProgressButton,
    ReviewButton,
)
from bot.views.common import (
    STATE_EMOJI,
    Rendered,
    chunks,
    country_name,
    cycle_title,
    emoji_of,
    esc,
    instrument_line,
    item_explanation,
    item_text,
    keyboard,
    section_heading,
    section_label,
    shorten,
    state_label,
    status_label,
    status_with_emoji,
    support_kind_label,
    support_kinds_text,
)
from bot.views.needs import SUPPORT_EMOJI, support_lines


def _notice_line(t: Translator, screen: Screen | ReviewSection) -> str | None:
    notice = screen.notice
    if notice is None:
        return None
    if notice is Notice.EVIDENCE_FULL:
        return "⚠️ " + _evidence_full(t)
    if notice is Notice.RECORDED and screen.notice_status:
        return "✔️ " + t.gettext("Recorded: {status}").format(
            status=esc(status_label(t, screen.notice_status))
        )
    texts = {
        Notice.SKIPPED: t.gettext("Skipped. You can come back to it at any time."),
        Notice.COMMENT_SAVED: t.gettext("Comment saved."),
        Notice.COMMENT_REMOVED: t.gettext("Comment removed."),
        Notice.EVIDENCE_SAVED: t.gettext("Evidence saved."),
        Notice.EVIDENCE_REMOVED: t.gettext("Evidence removed."),
        Notice.FIRST_ITEM: t.gettext("This is the first item."),
        Notice.CANCELLED: t.gettext("Cancelled."),
        Notice.DISCARDED: t.gettext("Discarded."),
        Notice.RECORDED: t.gettext("Recorded."),
        Notice.KEPT_THEIRS: t.gettext("Kept your colleague's version."),
        Notice.SUPPORT_SAVED: t.gettext("Support needs saved."),
        Notice.SUPPORT_REMOVED: t.gettext("Support needs removed."),
        Notice.BAD_LINK: t.gettext(
            "That is not a link. Send a link starting with https://, a document or a photo."
        ),
    }
    return "✔️ " + texts[notice] if notice is not Notice.BAD_LINK else "⚠️ " + texts[notice]


def _evidence_full(t: Translator) -> str:
    return t.ngettext(
        "An item can have at most {count} piece of evidence. Remove one to add another.",
        "An item can have at most {count} pieces of evidence. Remove one to add another.",
        MAX_PER_ANSWER,
    ).format(count=t.number(MAX_PER_ANSWER))


def _reopened_line(t: Translator) -> str:
    return "🔓 " + t.gettext(
        "Your country's report had been submitted; this change reopened it. Send /submit again "
        "when you are done."
    )


def _header_lines(t: Translator, screen: Screen | ReviewSection) -> list[str]:
    """What the last tap did, and the report it reopened, each followed by a blank line."""
    lines: list[str] = []
    notice = _notice_line(t, screen)
    if notice:
        lines += [notice, ""]
    if screen.reopened:
        lines += [_reopened_line(t), ""]
    return lines


def render_screen(t: Translator, screen: Screen, *, timezone: str | None = None) -> Rendered:
    if isinstance(screen, DoneScreen):
        return render_done(t, screen)
    return render_item(t, screen, timezone=timezone)


def render_item(t: Translator, screen: ItemScreen, *, timezone: str | None = None) -> Rendered:
    checklist, v, item = screen.checklist, screen.version, screen.item_id
    lines = _header_lines(t, screen)
    lines.append("<b>" + section_heading(t, checklist, screen.section_id) + "</b>")
    lines.append(
        t.gettext("Item {position} / {total}").format(
            position=t.number(screen.position), total=t.number(screen.total)
        )
        + " · "
        # TRANSLATORS: follows "Item 7 / 48 · ": how many items of the checklist have a status.
        + t.gettext("{answered} answered").format(answered=t.number(screen.answered))
    )
    lines += ["", f"<b>{esc(item)}</b> {esc(item_text(t, checklist, item))}", ""]
    lines.append(f"<i>{esc(item_explanation(t, checklist, item))}</i>")
    lines.append("")
    answer = screen.answer
    current = t.gettext("Answer: {status}").format(
        status=status_with_emoji(t, answer.status, answer.skipped)
    )
    if answer.updated_by and answer.updated_at and (answer.status or answer.comment):
        # TRANSLATORS: after "Answer: Implemented — ": who gave the answer, and on which date.
        current += " — " + t.gettext("{name}, {date}").format(
            name=esc(answer.updated_by), date=t.date(answer.updated_at, timezone)
        )
    lines.append(current)
    if answer.from_baseline:
        lines.append("↩️ " + t.gettext("From the last cycle: tap a status to confirm or change it."))
    if answer.comment:
        lines.append("💬 " + esc(shorten(answer.comment, 600)))
    numbered = len(answer.evidence) > 1
    for number, entry in enumerate(answer.evidence, start=1):
        label = esc(shorten(entry.label, 300 if not numbered else 120))
        lines.append("📎 " + (f"{t.number(number)}. " if numbered else "") + label)
    lines += support_lines(t, answer.support_kinds, answer.support_note)

    if screen.meanwhile is not None:
        change = screen.meanwhile
        if change.field == "support_kinds":
            meanwhile = t.gettext(
                "{name} also changed the support needs on {when}; theirs are kept beside yours."
            )
        else:
            meanwhile = t.gettext(
                "{name} also changed the evidence on {when}; theirs is kept beside yours."
            )
        lines += [
            "",
            "ℹ️ " + meanwhile.format(name=_author(t, change.by), when=_when(t, change.at, timezone)),
        ]

    rows: list[list[tuple[str, str]]]
    if screen.conflict is not None:
        lines += ["", *_conflict_lines(t, screen.conflict, timezone)]
        rows = [
            [
                (t.gettext("Keep theirs"), AnswerButton(Action.KEEP_THEIRS, v).pack()),
                (t.gettext("Use mine"), AnswerButton(Action.USE_MINE, v).pack()),
            ]
        ]
    elif screen.pending_kind is not None:
        lines.append("")
        if screen.pending_kind == "text":
            lines.append(
                "❓ "
                + t.gettext(
                    "I was not waiting for a message. Save your text as the comment on item {item}?"
                ).format(item=esc(item))
            )
            keep = t.gettext("💬 Save as comment")
        else:
            lines.append(
                "❓ "
                + t.gettext("Attach this file as evidence for item {item}?").format(item=esc(item))
            )
            keep = t.gettext("📎 Attach as evidence")
        lines.append("<i>" + esc(shorten(screen.pending_preview or "", 300)) + "</i>")
        rows = [
            [
                (keep, AnswerButton(Action.KEEP_PENDING, v).pack()),
                (t.gettext("Discard"), AnswerButton(Action.DROP_PENDING, v).pack()),
            ]
        ]
    elif screen.awaiting is Awaiting.COMMENT:
        lines += ["", "✍️ " + t.gettext("Type your comment and send it as a message.")]
        rows = []
        if answer.comment:
            rows.append(
                [(t.gettext("Remove comment"), AnswerButton(Action.CLEAR_COMMENT, v).pack())]
            )
        rows.append([(t.gettext("Cancel"), AnswerButton(Action.CANCEL, v).pack())])
    elif screen.awaiting is Awaiting.SUPPORT:
        lines += ["", *_support_prompt(t)]
        rows = _support_rows(t, screen)
    elif screen.awaiting is Awaiting.EVIDENCE:
        lines.append("")
        if len(answer.evidence) >= MAX_PER_ANSWER:
            lines.append("⚠️ " + _evidence_full(t))
        else:
            lines.append(
                "📎 " + t.gettext("Send a link (https://…), a document or a photo as evidence.")
            )
            if answer.evidence:
                lines.append(t.gettext("It is added to the evidence listed above."))
        # One remove button per piece: its id in the data, the cursor's version guarding it.
        rows = [
            [
                (
                    "🗑 "
                    + (f"{number}. " if len(answer.evidence) > 1 else "")
                    + shorten(entry.label, 22),
                    AnswerButton(Action.REMOVE_EVIDENCE, v, item, entry.id).pack(),
                )
            ]
            for number, entry in enumerate(answer.evidence, start=1)
        ]
        rows.append([(t.gettext("Cancel"), AnswerButton(Action.CANCEL, v).pack())])
    else:
        status_buttons = [
            (
                ("● " if answer.status == status else "")
                + emoji_of(status)
                + " "
                + status_label(t, status),
                AnswerButton(Action.STATUS, v, item, index).pack(),
            )
            for index, status in enumerate(checklist.statuses)
        ]
        rows = chunks(status_buttons, 2)
        rows.append(
            [
                (t.gettext("💬 Comment"), AnswerButton(Action.ASK_COMMENT, v).pack()),
                (t.gettext("📎 Evidence"), AnswerButton(Action.ASK_EVIDENCE, v).pack()),
            ]
        )
        rows.append(
            [
                (
                    SUPPORT_EMOJI + " " + t.gettext("Need support"),
                    AnswerButton(Action.ASK_SUPPORT, v).pack(),
                )
            ]
        )
        rows.append(
            [
                (t.gettext("◀️ Back"), AnswerButton(Action.BACK, v).pack()),
                (t.gettext("Skip ▶️"), AnswerButton(Action.SKIP, v).pack()),
                (t.gettext("☰ Menu"), MenuButton(v).pack()),
            ]
        )
    lines += ["", instrument_line(t, checklist)]  # the footer: which instrument, draft or not
    return Rendered("\n".join(lines), keyboard(rows))


def _support_prompt(t: Translator) -> list[str]:
    return [
        SUPPORT_EMOJI
        + " "
        + t.gettext(
            "Does your country need support on this item? Tap each kind that applies; tap it "
            "again to take it away."
        ),
        "✍️ "
        + t.gettext(
            "To add a short note (at most {limit} characters), send it as a message."
        ).format(limit=t.number(NOTE_MAX)),
    ]


def _support_rows(t: Translator, screen: ItemScreen) -> list[list[tuple[str, str]]]:
    """One toggle per kind (the first, longest, alone in its row), then remove and done."""
    v, item, chosen = screen.version, screen.item_id, screen.answer.support_kinds
    toggles = [
        (
            ("✅ " if kind in chosen else "▫️ ") + support_kind_label(t, kind),
            AnswerButton(
                Action.SUPPORT_OFF if kind in chosen else Action.SUPPORT_ON, v, item, index
            ).pack(),
        )
        for index, kind in enumerate(SUPPORT_KINDS)
    ]
    rows = [toggles[:1], *chunks(toggles[1:], 2)]
    last = []
    if chosen or screen.answer.support_note:
        last.append((t.gettext("🗑 Remove all"), AnswerButton(Action.CLEAR_SUPPORT, v).pack()))
    last.append((t.gettext("↩️ Done"), AnswerButton(Action.SUPPORT_DONE, v).pack()))
    rows.append(last)
    return rows


def _author(t: Translator, name: str | None) -> str:
    # TRANSLATORS: stands for the name of a colleague whose account was erased.
    return esc(name) if name else t.gettext("A colleague")


def _when(t: Translator, at: datetime | None, timezone: str | None) -> str:
    return t.datetime(at, timezone) if at is not None else ""


def _conflict_lines(t: Translator, conflict: Conflict, timezone: str | None) -> list[str]:
    """What the colleague set (who, when), what the person sent, and the question."""
    name, when = _author(t, conflict.by), _when(t, conflict.at, timezone)
    if conflict.field == "status":
        said = t.gettext("{name} changed the answer on {when}, after this item was shown to you.")
        theirs = status_with_emoji(t, conflict.theirs, False)
        mine = status_with_emoji(t, conflict.mine, False)
    elif conflict.field == "support":  # removing the needs a colleague changed
        said = t.gettext(
            "{name} changed the support needs on {when}, after this item was shown to you."
        )
        kinds = support_kinds_text(t, parse_kinds(conflict.theirs))
        theirs = esc(kinds) if kinds else t.gettext("(a note only)")
        mine = t.gettext("(no support needed)")
    elif conflict.field == "support_note":
        said = t.gettext(
            "{name} changed the support note on {when}, after this item was shown to you."
        )
        theirs, mine = (
            "<i>" + esc(shorten(text, 300)) + "</i>" if text else t.gettext("(no note)")
            for text in (conflict.theirs, conflict.mine)
        )
    else:
        said = t.gettext("{name} changed the comment on {when}, after this item was shown to you.")
        theirs, mine = (
            "<i>" + esc(shorten(text, 300)) + "</i>" if text else t.gettext("(no comment)")
            for text in (conflict.theirs, conflict.mine)
        )
    return [
        "⚠️ " + said.format(name=name, when=when),
        t.gettext("Theirs: {value}").format(value=theirs),
        t.gettext("Yours: {value}").format(value=mine),
        "",
        "❓ " + t.gettext("Which one should stay?"),
    ]


def render_done(t: Translator, screen: DoneScreen) -> Rendered:
    lines = _header_lines(t, screen)
    lines.append("🏁 " + t.gettext("You have reached the end of the checklist."))
    lines.append(
        t.gettext("{answered} of {total} items answered.").format(
            answered=t.number(screen.answered), total=t.number(screen.total)
        )
    )
    open_count = screen.outstanding  # as /submit counts what is still open
    if open_count:
        lines.append(
            t.ngettext(
                "{count} item is still open.", "{count} items are still open.", open_count
            ).format(count=t.number(open_count))
        )
    elif not screen.skipped:
        lines.append(t.gettext("Every item has an answer. Thank you!"))
    if not screen.submitted and not screen.outstanding:
        lines.append(t.gettext("When you are ready, send /submit to submit your country's report."))
    v = screen.version
    rows: list[list[tuple[str, str]]] = []
    if screen.first_open_item:
        rows.append(
            [(t.gettext("Go to the first open item"), AnswerButton(Action.FIRST_OPEN, v).pack())]
        )
    rows.append(
        [
            (t.gettext("📋 Review answers"), ReviewButton(v).pack()),
            (t.gettext("◀️ Back"), AnswerButton(Action.BACK, v).pack()),
        ]
    )
    return Rendered("\n".join(lines), keyboard(rows))


def render_menu(t: Translator, version: int) -> Rendered:
    text = "☰ " + t.gettext("What would you like to do?")
    rows = [
        [(t.gettext("📋 Review answers"), ReviewButton(version).pack())],
        [(t.gettext("📊 Progress"), ProgressButton(version).pack())],
        [(t.gettext("🌐 Language"), LanguagesButton().pack())],
        [(t.gettext("↩️ Back to the item"), AnswerButton(Action.SHOW, version).pack())],
    ]
    return Rendered(text, keyboard(rows))


def render_review_overview(t: Translator, progress: Progress) -> Rendered:
    checklist, v = progress.checklist, progress.version
    by_norm = checklist.grouping == "norms"
    title = t.gettext("Your answers by norm") if by_norm else t.gettext("Your answers by theme")
    lines = ["📋 <b>" + title + "</b>", ""]
    buttons = []
    for section in progress.sections:
        label = shorten(section_label(t, checklist, section.section_id), 60)
        lines.append(
            f"<b>{esc(section.section_id)}</b> {esc(label)} — "
            + t.gettext("{answered}/{total}").format(
                answered=t.number(section.answered), total=t.number(section.total)
            )
        )
        mark = "✅" if section.answered == section.total else "▫️"
        buttons.append(
            (
                f"{mark} {section.section_id} {section.answered}/{section.total}",
                ReviewButton(v, section.section_id).pack(),
            )
        )
    lines += [
        "",
        t.gettext("Choose a norm to see and change its answers.")
        if by_norm
        else t.gettext("Choose a theme to see and change its answers."),
    ]
    rows = chunks(buttons, 3)
    rows.append([(t.gettext("↩️ Back to the item"), AnswerButton(Action.SHOW, v).pack())])
    return Rendered("\n".join(lines), keyboard(rows))


def render_review_section(t: Translator, review: ReviewSection) -> Rendered:
    checklist, v = review.checklist, review.version
    lines = _header_lines(t, review)  # after a change made from this list
    lines += ["<b>" + section_heading(t, checklist, review.section_id) + "</b>", ""]
    buttons = []
    for item in review.items:
        marks = (
            ("↩️" if item.from_baseline else "")
            + ("💬" if item.has_comment else "")
            + ("📎" if item.has_evidence else "")
            + (t.number(item.evidence_count) if item.evidence_count > 1 else "")
            + (SUPPORT_EMOJI if item.has_support else "")
        )
        lines.append(
            f"{emoji_of(item.status, item.skipped)} <b>{esc(item.item_id)}</b> "
            + esc(shorten(item_text(t, checklist, item.item_id), 90))
            + (f" {marks}" if marks else "")
        )
        buttons.append(
            (
                f"{emoji_of(item.status, item.skipped)} {item.item_id}",
                AnswerButton(Action.OPEN, v, item.item_id).pack(),
            )
        )
    lines += ["", t.gettext("Open an item to change its answer.")]
    rows = chunks(buttons, 3)
    rows.append(
        [
            (t.gettext("◀️ All norms"), ReviewButton(v).pack()),
            (t.gettext("↩️ Back to the item"), AnswerButton(Action.SHOW, v).pack()),
        ]
    )
    return Rendered("\n".join(lines), keyboard(rows))


def render_progress(t: Translator, progress: Progress, *, timezone: str | None) -> Rendered:
    checklist = progress.checklist
    lines = [
        "📊 <b>" + esc(cycle_title(t, progress.cycle_title)) + "</b>",
        instrument_line(t, checklist),
        t.gettext("{answered} of {total} items answered.").format(
            answered=t.number(progress.answered), total=t.number(progress.total)
        ),
    ]
    if progress.deadline:
        lines.append(
            t.gettext("Deadline: {deadline}").format(
                deadline=t.datetime(progress.deadline, timezone)
            )
        )
    lines.append("")
    for status in checklist.statuses:
        lines.append(
            f"{emoji_of(status)} {esc(status_label(t, status))}: "
            f"{t.number(progress.by_status.get(status, 0))}"
        )
    # The four states of `reads.ItemState`, as counted by the service: they add up to total.
    for state, count in (
        (ItemState.SKIPPED, progress.skipped),
        (ItemState.TO_CONFIRM, progress.to_confirm),
        (ItemState.OPEN, progress.open),
    ):
        if count or state is ItemState.OPEN:
            lines.append(f"{STATE_EMOJI[state]} {state_label(t, state)}: {t.number(count)}")
    lines.append("")
    for section in progress.sections:
        lines.append(
            f"<b>{esc(section.section_id)}</b> "
            + esc(shorten(section_label(t, checklist, section.section_id), 50))
            + f": {t.number(section.answered)}/{t.number(section.total)}"
        )
    rows = [
        [
            (t.gettext("▶️ Continue"), AnswerButton(Action.SHOW, progress.version).pack()),
            (t.gettext("📋 Review answers"), ReviewButton(progress.version).pack()),
        ]
    ]
    return Rendered("\n".join(lines), keyboard(rows))


def render_evidence_caption(t: Translator, found: EvidenceFile) -> str:
    """The caption of a file sent from an export's deep link: whose evidence, for which item."""
    lines = [
        "📎 "
        + t.gettext("Evidence of {country}, item {item}").format(
            country=esc(country_name(t, found.country_code)), item=esc(found.item_id)
        )
    ]
    if found.file_name:
        lines.append(esc(shorten(found.file_name, 200)))
    if found.caption:
        lines.append("<i>" + esc(shorten(found.caption, 600)) + "</i>")
    return "\n".join(lines)
