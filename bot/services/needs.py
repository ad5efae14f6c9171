"""Capacity needs: the support a country asks for on an item, and the regional picture of them.

A focal point may say on any item "we need support": one or more kinds (`SUPPORT_KINDS`) and a
short note, stored on the answer (`Answer.support_kinds`, `Answer.support_note`) and changed
through the answering flow (`bot/services/reporting.py`), so every change is in the answer's
history. This module holds what the kinds are, how they are stored, and the one function that
computes the regional picture (`regional_needs`, /needs); the export's Needs sheet and the
needs chart are drawn from the same rows (`item_needs`, `needs_grid`).

Who sees which country's needs is the summaries' rule, `summaries.visible_country`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.checklist import Checklist, ChecklistRegistry
from bot.models import Answer, Country, Cycle
from bot.services.actors import Actor
from bot.services.errors import NoOpenCycle, UnknownNeedsWord
from bot.services.summaries import visible_country

# The kinds of support, in the order they are shown and stored.
SUPPORT_KINDS: Final = ("policy", "technical", "training", "funding", "other")
NOTE_MAX: Final = 300  # characters of a support note: a short note, not a second comment
_SEPARATOR: Final = ","


def parse_kinds(text: str | None) -> tuple[str, ...]:
    """The kinds a stored `support_kinds` holds, in `SUPPORT_KINDS` order; unknown ones left out."""
    given = set((text or "").split(_SEPARATOR))
    return tuple(kind for kind in SUPPORT_KINDS if kind in given)


def kinds_text(kinds: Iterable[str]) -> str | None:
    """What `support_kinds` stores for `kinds`: the codes in order, or None for no kind."""
    return _SEPARATOR.join(parse_kinds(_SEPARATOR.join(kinds))) or None


def with_kind(stored: str | None, kind: str, on: bool) -> str | None:
    """`stored` with `kind` added (`on`) or taken away: a toggle leaves the other kinds as they
    are, so a colleague's kinds set meanwhile stay beside this one."""
    kinds = set(parse_kinds(stored))
    if on:
        kinds.add(kind)
    else:
        kinds.discard(kind)
    return kinds_text(kinds)


# --------------------------------------------------------------------------- the rows


@dataclass(frozen=True)
class ItemNeed:
    """The support one country asks for on one item."""

    country_code: str
    section_id: str
    item_id: str
    kinds: tuple[str, ...]  # in `SUPPORT_KINDS` order; may be empty when only a note is given
    note: str | None


def item_needs(
    session: Session, *, cycle_id: int, checklist: Checklist, country_code: str | None = None
) -> list[ItemNeed]:
    """Every item of the cycle on which a country asks for support: by country code, then in
    the checklist's order."""
    query = sa.select(
        col(Answer.country_code),
        col(Answer.item_id),
        col(Answer.support_kinds),
        col(Answer.support_note),
    ).where(
        col(Answer.cycle_id) == cycle_id,
        sa.or_(col(Answer.support_kinds).is_not(None), col(Answer.support_note).is_not(None)),
    )
    if country_code is not None:
        query = query.where(col(Answer.country_code) == country_code)
    found = []
    for country, item_id, kinds, note in session.connection().execute(query).all():
        try:
            item = checklist.item(item_id)
        except KeyError:  # an item of another checklist version: not in this picture
            continue
        found.append(ItemNeed(country, item.section_id, item.id, parse_kinds(kinds), note))
    found.sort(key=lambda need: (need.country_code, checklist.index_of(need.item_id)))
    return found


# --------------------------------------------------------------------------- /needs


@dataclass(frozen=True)
class NeedGroup:
    """One kind of support on one theme: the countries asking for it, most items first."""

    section_id: str
    kind: str
    countries: tuple[tuple[str, int], ...]  # (country code, items asking), most items first

    @property
    def items(self) -> int:
        return sum(count for _, count in self.countries)


@dataclass(frozen=True)
class NeedsPicture:
    """The regional picture of the open cycle of one instrument, as /needs shows it."""

    checklist: Checklist
    cycle_id: int
    cycle_title: str
    country_code: str | None  # the one country shown (asked for, or the reader's own)
    section_id: str | None  # the one theme shown, when asked for
    groups: tuple[NeedGroup, ...]  # most-requested first
    items: tuple[ItemNeed, ...]  # what the groups count, with the notes
    countries: tuple[str, ...]  # the countries asking for anything, by code


def regional_needs(
    session: Session, *, actor: Actor, checklists: ChecklistRegistry, words: Sequence[str]
) -> NeedsPicture:
    """`/needs [instrument] [THEME|COUNTRY]`: who needs which kind of help on which theme.

    The instrument is a checklist's short name (none: the one the actor acts in); the picture is
    of that instrument's open cycle. Groups are ordered by how many countries ask, then how
    many items, then in the checklist's and `SUPPORT_KINDS`' order.
    """
    instrument, focus = _instrument_and_focus(checklists, words, actor.checklist_id)
    actor = actor.within(instrument.id)
    actor.require_role()
    cycle = _open_cycle_of(session, instrument.id)
    assert cycle.id is not None
    checklist = checklists.get(cycle.checklist_id, cycle.checklist_version)
    country_code, section_id = _focus(session, checklist, checklists, focus)
    country_code = visible_country(session, actor, country_code)
    needs = [
        need
        for need in item_needs(
            session, cycle_id=cycle.id, checklist=checklist, country_code=country_code
        )
        if section_id is None or need.section_id == section_id
    ]
    return NeedsPicture(
        checklist=checklist,
        cycle_id=cycle.id,
        cycle_title=cycle.title,
        country_code=country_code,
        section_id=section_id,
        groups=tuple(_groups(checklist, needs)),
        items=tuple(needs),
        countries=tuple(sorted({need.country_code for need in needs})),
    )


def _groups(checklist: Checklist, needs: Iterable[ItemNeed]) -> list[NeedGroup]:
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for need in needs:
        for kind in need.kinds:
            per_country = counts.setdefault((need.section_id, kind), {})
            per_country[need.country_code] = per_country.get(need.country_code, 0) + 1
    section_order = {section.id: n for n, section in enumerate(checklist.sections)}
    groups = [
        NeedGroup(
            section_id,
            kind,
            tuple(sorted(per_country.items(), key=lambda pair: (-pair[1], pair[0]))),
        )
        for (section_id, kind), per_country in counts.items()
    ]
    groups.sort(
        key=lambda group: (
            -len(group.countries),
            -group.items,
            section_order.get(group.section_id, len(section_order)),
            SUPPORT_KINDS.index(group.kind),
        )
    )
    return groups


def _instrument_and_focus(
    checklists: ChecklistRegistry, words: Sequence[str], acting_in: str
) -> tuple[Checklist, str | None]:
    """The instrument named first (else the one the actor acts in) and the one word after it."""
    remaining = [word.strip() for word in words if word.strip()]
    instrument: Checklist | None = None
    if remaining:
        try:
            instrument = checklists.by_short_name(remaining[0].lower())
            remaining.pop(0)
        except KeyError:
            # Two words and no instrument: the second is one too many when the first is a
            # theme or a country (the handler took an instrument word at either end), else
            # the first is what was not understood (a mistyped instrument).
            if len(remaining) > 1:
                first = remaining[0]
                themes = {section.id for section in checklists.latest(acting_in).sections}
                fits = first.lower() in themes or (first.isascii() and len(first) == 2)
                raise _unknown(checklists, remaining[1] if fits else first) from None
    if len(remaining) > 1:
        raise _unknown(checklists, remaining[1])
    return instrument or checklists.latest(acting_in), remaining[0] if remaining else None


def _focus(
    session: Session, checklist: Checklist, checklists: ChecklistRegistry, word: str | None
) -> tuple[str | None, str | None]:
    """(country code, theme id) the word names; at most one of them."""
    if word is None:
        return None, None
    if word.isascii() and session.get(Country, word.upper()) is not None:
        return word.upper(), None
    sections = {section.id.lower(): section.id for section in checklist.sections}
    if word.lower() in sections:
        return None, sections[word.lower()]
    raise _unknown(checklists, word)


def _unknown(checklists: ChecklistRegistry, word: str) -> UnknownNeedsWord:
    return UnknownNeedsWord(
        value=word[:40], instruments=tuple(c.short_name for c in checklists.instruments())
    )


def _open_cycle_of(session: Session, checklist_id: str) -> Cycle:
    """The open cycle of the instrument; `NoOpenCycle` (naming its last one) when none is."""
    cycles = session.exec(
        select(Cycle)
        .where(col(Cycle.checklist_id) == checklist_id)
        .order_by(col(Cycle.opens_at).desc(), col(Cycle.id).desc())
    ).all()
    for cycle in cycles:
        if cycle.closed_at is None:
            return cycle
    raise NoOpenCycle(closed_title=cycles[0].title if cycles else None)


# --------------------------------------------------------------------------- the chart


@dataclass(frozen=True)
class NeedsGrid:
    """Items asking for support, per country (rows) and theme (columns), for the chart."""

    section_ids: tuple[str, ...]
    countries: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]  # one row per country, one count per theme


def needs_grid(picture: NeedsPicture) -> NeedsGrid:
    """The picture's items counted per country and theme: the needs chart's numbers."""
    section_ids = tuple(
        section.id
        for section in picture.checklist.sections
        if picture.section_id is None or section.id == picture.section_id
    )
    counts = {country: dict.fromkeys(section_ids, 0) for country in picture.countries}
    for need in picture.items:
        counts[need.country_code][need.section_id] += 1
    return NeedsGrid(
        section_ids=section_ids,
        countries=picture.countries,
        counts=tuple(
            tuple(counts[country][s] for s in section_ids) for country in picture.countries
        ),
    )
