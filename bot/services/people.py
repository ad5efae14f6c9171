"""People: language choice, the languages offered to them, and the people list for coordinators."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from bot.models import Country
from bot.services.actors import Actor, actor_from, person_of


def set_locale(session: Session, *, actor: Actor, locale: str, available: Sequence[str]) -> Actor:
    """Store the person's explicit language choice (it always wins over Telegram's guess)."""
    if locale not in available:
        raise ValueError(f"unknown locale {locale!r}")
    person = person_of(session, actor)
    person.locale = locale
    session.add(person)
    country = session.get(Country, person.country_code) if person.country_code else None
    return actor_from(person, country)


def offered_locales(
    session: Session,
    *,
    actor: Actor | None,
    available: Sequence[str],
    guess: str | None,
    everything: bool = False,
) -> list[str]:
    """Languages to offer: the country's plus English (all for coordinators), guess first."""
    if actor is not None and actor.country_code and not everything:
        country = session.get(Country, actor.country_code)
        wanted = [*country.locale_list(), "en"] if country else list(available)
        codes = [code for code in dict.fromkeys(wanted) if code in available]
    else:
        codes = list(available)
    if guess in codes:
        codes.remove(guess)
        codes.insert(0, guess)
    return codes
