"""A planned notice written out for its recipient, at send time, in their language."""

from __future__ import annotations

from bot.i18n import Translator
from bot.services.notices import CycleNotice, NoticeKind, NoticeMessage
from bot.views.common import Rendered, instrument_line
from bot.views.cycles import (
    cycle_opened_notice,
    deadline_moved_notice,
    signed_off_notice,
    submitted_notice,
)


def render_notice(t: Translator, message: NoticeMessage, *, default_timezone: str) -> Rendered:
    """The notice's text, naming its instrument; dates in the recipient's zone, else
    `default_timezone`."""
    first, *rest = _text(t, message, default_timezone).split("\n")
    if message.checklist is not None:
        first += "\n" + instrument_line(t, message.checklist)
    return Rendered("\n".join([first, *rest]))


def _text(t: Translator, message: NoticeMessage, default_timezone: str) -> str:
    notice, zone = message.notice, message.timezone or default_timezone
    if isinstance(notice, CycleNotice):
        if message.kind is NoticeKind.CYCLE_OPENED:
            return cycle_opened_notice(t, notice, timezone=zone)
        return deadline_moved_notice(t, notice, timezone=zone)
    if message.kind is NoticeKind.SIGNED_OFF:
        return signed_off_notice(t, notice)
    lead = message.kind is NoticeKind.LEAD_ASKED
    return submitted_notice(t, notice, national_lead=lead)
