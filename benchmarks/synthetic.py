"""A synthetic region for benchmarks and load tests: many countries, a long checklist, several
cycles, every answer with its history, written straight into the database.

    checklist = write_checklist(folder, items=150)           # a YAML file, loaded as usual
    region = seed_region(db, checklist, countries=193, cycles=3)

The first countries are the 11 member states (seeded as the bot seeds them); the others get
made-up codes (`Q012`), which have no name in any language and are shown by their code. Rows go
in with bulk inserts (SQLAlchemy's insertmanyvalues), so a region of 193 countries x 150 items x
3 cycles, with about four revisions per answer, takes seconds, not minutes. The data is random
but reproducible (`seed`).
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlmodel import col

from bot.checklist import Checklist, load_checklist
from bot.db import Database
from bot.models import Answer, AnswerRevision, Country, Cycle, Evidence, Membership, Person, Role
from bot.services.actors import Actor, actor_of, grant
from bot.services.setup import seed_countries

STATUSES = ("implemented", "in_progress", "planned", "not_started", "not_applicable")
# How often each final status occurs: more progress in later cycles reads naturally.
STATUS_WEIGHTS = (35, 25, 15, 15, 10)
CUMULATIVE_WEIGHTS = tuple(itertools.accumulate(STATUS_WEIGHTS))
NORM_IDS = tuple("abcdefghijk")
START = datetime(2024, 2, 1, 2, 0, tzinfo=UTC)


def write_checklist(
    folder: Path, *, items: int, sections: int = 11, checklist_id: str = "synthetic-norms"
) -> Checklist:
    """A checklist of `items` items spread over `sections` norms (a, b, ...), as a YAML file
    in `folder`, loaded and validated like any other."""
    ids = (
        NORM_IDS[:sections]
        if sections <= len(NORM_IDS)
        else tuple(f"n{n}" for n in range(sections))
    )
    per_section = [items // sections + (1 if n < items % sections else 0) for n in range(sections)]
    document: dict[str, Any] = {
        "id": checklist_id,
        "version": "1",
        "title": "Synthetic checklist",
        "source": "benchmarks/synthetic.py",
        "source_language": "en",
        "statuses": list(STATUSES),
        "norms": [
            {
                "id": section_id,
                "label": f"Norm {section_id} of the synthetic checklist",
                "summary": f"What norm {section_id} asks of a State.",
                "items": [
                    {
                        "id": f"{section_id}.{n}",
                        "text": f"Practical action {n} under norm {section_id}, in a sentence.",
                        "explanation": "Counts if a document shows it. Evidence: the document.",
                    }
                    for n in range(1, count + 1)
                ],
            }
            for section_id, count in zip(ids, per_section, strict=True)
            if count
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{checklist_id}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return load_checklist(path)


@dataclass(frozen=True)
class Region:
    countries: tuple[str, ...]
    cycle_ids: tuple[int, ...]  # oldest first; the last one is open
    coordinator: Actor
    answers: int
    revisions: int

    @property
    def open_cycle_id(self) -> int:
        return self.cycle_ids[-1]


def country_codes(count: int) -> list[str]:
    from bot.countries import ASEAN_MEMBER_STATES

    asean = [info.code for info in ASEAN_MEMBER_STATES]
    return asean[:count] + [f"Q{n:03d}" for n in range(len(asean), count)]


def seed_region(
    db: Database,
    checklist: Checklist,
    *,
    countries: int = 193,
    cycles: int = 3,
    answered_share: float = 0.9,
    seed: int = 1,
    coordinator_telegram_id: int = 7_000_001,
) -> Region:
    """Countries, people, cycles, answers and revisions, as a region that has used the bot for
    `cycles` reporting rounds; the last cycle is open and `answered_share` of it answered.

    Works on a fresh database and on one the bot has already prepared (its first cycle stays,
    closed, before the synthetic ones).
    """
    rng = random.Random(seed)
    codes = country_codes(countries)
    with db.session() as session:
        seed_countries(session)
        session.flush()
        # Core inserts of many rows at once (executemany), not the ORM's unit of work.
        connection = session.connection()
        existing = set(session.execute(sa.select(col(Country.code))).scalars())
        new_countries = [
            {"code": code, "name": f"Country {code}", "timezone": "UTC", "locales": "en"}
            for code in codes
            if code not in existing
        ]
        if new_countries:
            connection.execute(_table(Country).insert(), new_countries)

        now = START
        coordinator = Person(
            telegram_id=coordinator_telegram_id,
            display_name="Synthetic Coordinator",
            locale="en",
            created_at=now,
        )
        session.add(coordinator)
        session.flush()
        assert coordinator.id is not None
        grant(session, coordinator.id, checklist.id, Role.COORDINATOR)
        people = [
            {
                "telegram_id": coordinator_telegram_id + 1 + n,
                "display_name": f"Focal point {code}",
                "country_code": code,
                "locale": "en",
                "created_at": now,
            }
            for n, code in enumerate(codes)
        ]
        person_ids = connection.execute(_insert_returning_ids(Person), people).scalars().all()
        answerer = dict(zip(codes, person_ids, strict=True))
        connection.execute(
            _table(Membership).insert(),
            [
                {
                    "person_id": person_id,
                    "checklist_id": checklist.id,
                    "role": Role.FOCAL_POINT,
                    "is_national_lead": False,
                }
                for person_id in person_ids
            ],
        )
        # Cycles the bot opened on its first start end before the synthetic ones.
        session.execute(
            sa.update(Cycle).where(col(Cycle.closed_at).is_(None)).values(closed_at=now)
        )

        cycle_ids: list[int] = []
        total_answers = total_revisions = 0
        for n in range(cycles):
            opens = START + timedelta(days=365 * n)
            is_open = n == cycles - 1
            cycle = Cycle(
                checklist_id=checklist.id,
                checklist_version=checklist.version,
                title=f"Synthetic cycle {2024 + n}",
                opens_at=opens,
                deadline=opens + timedelta(days=120),
                closed_at=None if is_open else opens + timedelta(days=150),
                created_at=opens,
            )
            session.add(cycle)
            session.flush()
            assert cycle.id is not None
            cycle_ids.append(cycle.id)
            answers, revisions = _cycle_rows(
                rng,
                checklist,
                codes,
                answerer,
                cycle.id,
                opens,
                1.0 if not is_open else answered_share,
            )
            links = [answer.pop("evidence_url") for answer in answers]
            answer_ids = connection.execute(_insert_returning_ids(Answer), answers).scalars().all()
            pieces = [
                {
                    "answer_id": answer_id,
                    "public_id": secrets.token_urlsafe(16),
                    "kind": "link",
                    "url": url,
                    "added_by": answer["updated_by"],
                    "added_at": answer["updated_at"],
                }
                for answer_id, answer, url in zip(answer_ids, answers, links, strict=True)
                if url is not None
            ]
            if pieces:
                connection.execute(_table(Evidence).insert(), pieces)
            for revision in revisions:
                revision["answer_id"] = answer_ids[revision.pop("answer_index")]
            for start in range(0, len(revisions), 20_000):
                connection.execute(
                    _table(AnswerRevision).insert(), revisions[start : start + 20_000]
                )
            total_answers += len(answers)
            total_revisions += len(revisions)
        coordinator_actor = actor_of(session, coordinator, checklist.id)
    return Region(tuple(codes), tuple(cycle_ids), coordinator_actor, total_answers, total_revisions)


def _table(model: type[Any]) -> sa.Table:
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def _insert_returning_ids(model: type[Any]) -> sa.Insert:
    table = _table(model)
    return table.insert().returning(table.c.id, sort_by_parameter_order=True)


def _cycle_rows(
    rng: random.Random,
    checklist: Checklist,
    codes: Sequence[str],
    answerer: dict[str, int],
    cycle_id: int,
    opens: datetime,
    answered_share: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Answers of one cycle and their history: each answer went through one or two earlier
    statuses, and some got a comment and evidence, each change a revision."""
    answers: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    for code in codes:
        person = answerer[code]
        for item in checklist.items:
            if rng.random() > answered_share:
                continue
            when = opens + timedelta(minutes=rng.randrange(60, 60 * 24 * 100))
            final = rng.choices(STATUSES, cum_weights=CUMULATIVE_WEIGHTS)[0]
            path = [rng.choice(("not_started", "planned")) for _ in range(rng.randint(1, 2))]
            path.append(final)
            comment = (
                rng.choice(
                    (
                        "Adopted by cabinet decision; implementation is under way.",
                        "Draft with the ministry of foreign affairs, expected next quarter.",
                        '=HYPERLINK("http://example.invalid","click")',
                        "ตามมติคณะรัฐมนตรี ปี 2567",
                    )
                )
                if rng.random() < 0.3
                else None
            )
            evidence = (
                f"https://example.org/{code.lower()}/{item.id}" if rng.random() < 0.2 else None
            )
            index = len(answers)
            answers.append(
                {
                    "cycle_id": cycle_id,
                    "country_code": code,
                    "item_id": item.id,
                    "status": final,
                    "skipped": False,
                    "comment": comment,
                    "evidence_url": evidence,  # becomes an `evidence` row (see seed_region)
                    "updated_by": person,
                    "updated_at": when + timedelta(hours=len(path) + 2),
                    "version": len(path) + (comment is not None) + (evidence is not None),
                    "baseline": False,
                }
            )
            old: str | None = None
            for step, status in enumerate(path):
                revisions.append(
                    _revision(
                        index,
                        cycle_id,
                        code,
                        item.id,
                        "status",
                        old,
                        status,
                        person,
                        when + timedelta(hours=step),
                    )
                )
                old = status
            if comment is not None:
                revisions.append(
                    _revision(
                        index,
                        cycle_id,
                        code,
                        item.id,
                        "comment",
                        None,
                        comment,
                        person,
                        when + timedelta(hours=len(path)),
                    )
                )
            if evidence is not None:
                revisions.append(
                    _revision(
                        index,
                        cycle_id,
                        code,
                        item.id,
                        "evidence",
                        None,
                        evidence,
                        person,
                        when + timedelta(hours=len(path) + 1),
                    )
                )
    return answers, revisions


def _revision(
    answer_index: int,
    cycle_id: int,
    country: str,
    item_id: str,
    field: str,
    old: str | None,
    new: str | None,
    person: int,
    when: datetime,
) -> dict[str, Any]:
    return {
        "answer_index": answer_index,
        "cycle_id": cycle_id,
        "country_code": country,
        "item_id": item_id,
        "field": field,
        "old_value": old,
        "new_value": new,
        "changed_by": person,
        "changed_at": when,
    }
