"""A planned notice written out for its recipient, at send time, in their language."""

from __future__ import annotations

from bot.i18n import Translator
from bot.services.notices import CycleNotice, NoticeKind, NoticeMessage
from bot.views.common import Rendered
from bot.views.cycles import (
    cycle_opened_notice,
    deadline_moved_notice,
    signed_off_notice,
    submitted_notice,
)


def render_notice(t: Translator, message: NoticeMessage, *, default_timezone: str) -> Rendered:
    """The notice's text; dates in the recipient's zone, else `default_timezone`."""
    notice, zone = message.notice, message.timezone or default_timezone
    if isinstance(notice, CycleNotice):
        if message.kind is NoticeKind.CYCLE_OPENED:
            return Rendered(cycle_opened_notice(t, notice, timezone=zone))
        return Rendered(deadline_moved_notice(t, notice, timezone=zone))
    if message.kind is NoticeKind.SIGNED_OFF:
        return Rendered(signed_off_notice(t, notice))
    lead = message.kind is NoticeKind.LEAD_ASKED
    return Rendered(submitted_notice(t, notice, national_lead=lead))
