"""What every start does before taking updates: reference data and the first cycle."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.checklist import Checklist
from bot.countries import ASEAN_MEMBER_STATES
from bot.models import Country
from bot.services.cycles import ensure_first_cycle


def seed_countries(session: Session) -> None:
    """Insert the member states; keep any row a deployment changed by hand."""
    for info in ASEAN_MEMBER_STATES:
        if session.get(Country, info.code) is None:
            session.add(
                Country(
                    code=info.code,
                    name=info.name,
                    timezone=info.timezone,
                    locales=",".join(info.locales),
                )
            )


def prepare(
    session: Session,
    *,
    checklist: Checklist,
    first_cycle_title: str,
    deadline_days: int,
    now: datetime,
) -> None:
    seed_countries(session)
    session.flush()
    ensure_first_cycle(
        session,
        checklist=checklist,
        # "" (no title of its own): the views show the default name in each reader's language.
        title=" ".join(first_cycle_title.split()),
        deadline_days=deadline_days,
        now=now,
    )
