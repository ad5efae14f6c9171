"""Notices the bot sends on its own after someone's act: a report submitted or signed off, a
new cycle open, a deadline moved. Each is a `Delivery` row before it is a message.

The service that makes the change plans its notices in the same transaction (`plan_notices`),
so the change and the promise to tell people commit together: a process that dies after the
commit, or a send that fails, leaves the rows planned, and the sweeper (`bot/telegram/jobs.py`)
sends them, exactly once per recipient and notice (see `deliveries.py` for the one window in
which a message can go twice). The row keeps only plain values (`payload`, JSON); the text is
written at send time, in the language the recipient has then.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import Country, Cycle, DeliveryKind, Person
from bot.services import deliveries
from bot.services.deliveries import Claimed, DeliveryPolicy
from bot.services.reads import person_zone


class NoticeKind(StrEnum):
    SUBMITTED = "submitted"  # to coordinators: a country's report was submitted
    LEAD_ASKED = "lead_asked"  # to the national lead: the same, with "send /signoff"
    SIGNED_OFF = "signed_off"  # to coordinators: the national lead signed it off
    CYCLE_OPENED = "cycle_opened"  # to focal points
    DEADLINE_MOVED = "deadline_moved"  # to focal points


@dataclass(frozen=True)
class ReportNotice:
    """What a notice about a country's report says."""

    country_code: str
    cycle_title: str
    by_name: str
    answered: int
    total: int
    skipped: int


@dataclass(frozen=True)
class CycleNotice:
    """What a notice about a cycle says: a new one, or its new deadline."""

    cycle_title: str
    deadline: datetime | None
    baseline_title: str | None = None


Notice = ReportNotice | CycleNotice

REPORT_KINDS = (NoticeKind.SUBMITTED, NoticeKind.LEAD_ASKED, NoticeKind.SIGNED_OFF)


def _payload(kind: NoticeKind, notice: Notice) -> str:
    values: dict[str, Any] = {"notice": kind.value, **asdict(notice)}
    if isinstance(notice, CycleNotice) and notice.deadline is not None:
        values["deadline"] = notice.deadline.isoformat()
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def _parse(payload: str) -> tuple[NoticeKind, Notice]:
    values: dict[str, Any] = json.loads(payload)
    kind = NoticeKind(values.pop("notice"))
    if kind in REPORT_KINDS:
        return kind, ReportNotice(**values)
    deadline = values.pop("deadline", None)
    return kind, CycleNotice(
        deadline=datetime.fromisoformat(deadline) if deadline else None, **values
    )


def plan_notices(
    session: Session,
    *,
    kind: NoticeKind,
    notice: Notice,
    recipients: Iterable[int],
    event: str,
    now: datetime,
    cycle_id: int | None = None,
) -> int:
    """Plan one notice to each recipient (person ids), due now; returns how many were planned.

    `event` names the change (for example "cycle:3:v4"): with the kind and the recipient it is
    the row's unique slot, so planning the same event twice plans nothing more.
    """
    slot = f"{kind.value}:{event}"[:64]
    payload = _payload(kind, notice)
    return sum(
        deliveries.plan(
            session,
            recipient_id=person_id,
            kind=DeliveryKind.NOTICE,
            slot=slot,
            due_at=now,
            now=now,
            cycle_id=cycle_id,
            payload=payload,
        )
        for person_id in recipients
    )


@dataclass(frozen=True)
class NoticeMessage:
    """A claimed notice, with what the sender needs to write it in the recipient's language."""

    delivery_id: int
    claimer: str
    chat_id: int
    locale: str | None
    telegram_language: str | None
    timezone: str | None  # the recipient's zone, None for the coordinators' default
    kind: NoticeKind
    notice: Notice
    checklist: Checklist | None = None  # the instrument of the notice's cycle: it names it


def claim_notices(
    session: Session,
    *,
    claimer: str,
    checklists: ChecklistRegistry,
    delivery: DeliveryPolicy,
    now: datetime,
    limit: int,
) -> Claimed[NoticeMessage]:
    """Claim due notices; one to a person no longer active is cancelled, not sent."""
    rows = deliveries.claim_due(
        session,
        kinds=(DeliveryKind.NOTICE,),
        claimer=claimer,
        now=now,
        limit=limit,
        policy=delivery,
    )
    ready = []
    for row in rows:
        person = session.get(Person, row.recipient_id)
        if person is None or not person.active or row.payload is None:
            deliveries.cancel(session, row, "the recipient no longer has access")
            continue
        assert row.id is not None
        country = session.get(Country, person.country_code) if person.country_code else None
        kind, notice = _parse(row.payload)
        cycle = session.get(Cycle, row.cycle_id) if row.cycle_id is not None else None
        try:
            checklist = checklists.latest(cycle.checklist_id) if cycle is not None else None
        except KeyError:  # the instrument's file was removed: the notice goes without its name
            checklist = None
        ready.append(
            NoticeMessage(
                delivery_id=row.id,
                claimer=claimer,
                chat_id=person.telegram_id,
                locale=person.locale,
                telegram_language=person.telegram_language,
                timezone=person_zone(person, country),
                kind=kind,
                notice=notice,
                checklist=checklist,
            )
        )
    session.flush()
    return Claimed(ready, len(rows))
