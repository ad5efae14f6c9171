"""Working hours and digest slots in local time: half-hour offsets, +9, weekends, evenings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.services.schedule import (
    OFFICE_HOURS,
    DigestFrequency,
    WorkingHours,
    digest_slot,
    zone,
)

YANGON = zone("Asia/Yangon")  # UTC+06:30
DILI = zone("Asia/Dili")  # UTC+09:00
BANGKOK = zone("Asia/Bangkok")  # UTC+07:00


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_yangon_friday_evening_moves_to_monday_0900_local():
    friday_1730_yangon = utc(2026, 3, 6, 11, 0)  # 17:30 at +06:30
    opening = OFFICE_HOURS.next_opening(friday_1730_yangon, YANGON)
    assert opening == utc(2026, 3, 9, 2, 30)  # Monday 09:00 at +06:30
    assert opening.astimezone(YANGON).strftime("%a %H:%M %z") == "Mon 09:00 +0630"


def test_dili_early_morning_waits_for_0900_same_day():
    tuesday_0700_dili = utc(2026, 3, 2, 22, 0)  # Monday 22:00 UTC is Tuesday 07:00 in Dili
    assert OFFICE_HOURS.next_opening(tuesday_0700_dili, DILI) == utc(2026, 3, 3, 0, 0)


def test_within_hours_stays_put_and_the_end_is_exclusive():
    monday_1000_bangkok = utc(2026, 3, 2, 3, 0)
    assert OFFICE_HOURS.next_opening(monday_1000_bangkok, BANGKOK) == monday_1000_bangkok
    assert OFFICE_HOURS.is_open(monday_1000_bangkok, BANGKOK)
    monday_1700_bangkok = utc(2026, 3, 2, 10, 0)
    assert not OFFICE_HOURS.is_open(monday_1700_bangkok, BANGKOK)
    assert OFFICE_HOURS.next_opening(monday_1700_bangkok, BANGKOK) == utc(2026, 3, 3, 2, 0)
    monday_1659_bangkok = monday_1700_bangkok - timedelta(minutes=1)
    assert OFFICE_HOURS.is_open(monday_1659_bangkok, BANGKOK)


def test_the_same_moment_is_open_in_one_zone_and_closed_in_another():
    moment = utc(2026, 3, 2, 2, 15)  # Monday: 08:45 in Yangon, 11:15 in Dili
    assert not OFFICE_HOURS.is_open(moment, YANGON)
    assert OFFICE_HOURS.is_open(moment, DILI)
    assert OFFICE_HOURS.next_opening(moment, YANGON) == utc(2026, 3, 2, 2, 30)


def test_saturday_and_sunday_move_to_monday():
    saturday_noon_bangkok = utc(2026, 3, 7, 5, 0)
    sunday_noon_bangkok = utc(2026, 3, 8, 5, 0)
    monday_0900 = utc(2026, 3, 9, 2, 0)
    assert OFFICE_HOURS.next_opening(saturday_noon_bangkok, BANGKOK) == monday_0900
    assert OFFICE_HOURS.next_opening(sunday_noon_bangkok, BANGKOK) == monday_0900


def test_other_working_days_and_midnight_end():
    sunday_to_thursday = WorkingHours(frozenset({6, 0, 1, 2, 3}), time(8, 0), time(0, 0))
    friday_noon = utc(2026, 3, 6, 5, 0)
    assert sunday_to_thursday.next_opening(friday_noon, BANGKOK) == utc(2026, 3, 8, 1, 0)
    monday_2330_bangkok = utc(2026, 3, 2, 16, 30)
    assert sunday_to_thursday.is_open(monday_2330_bangkok, BANGKOK)


def test_bad_working_hours_are_refused():
    with pytest.raises(ValueError, match="end after"):
        WorkingHours(frozenset({0}), time(17, 0), time(9, 0))
    with pytest.raises(ValueError, match="subset"):
        WorkingHours(frozenset({7}), time(9, 0), time(17, 0))


def test_unknown_zone_falls_back_to_the_default():
    assert zone("Mars/Olympus_Mons", "Asia/Jakarta") == zone("Asia/Jakarta")
    assert zone(None, "Asia/Dili") == DILI


def test_weekly_digest_slot_is_the_latest_monday_0900_local():
    jakarta = zone("Asia/Jakarta")
    before = utc(2026, 3, 9, 1, 59)  # Monday 08:59 in Jakarta
    slot = digest_slot(before, jakarta, frequency=DigestFrequency.WEEKLY, weekday=0, at=time(9))
    assert slot.key == "digest:2026-W10"
    assert slot.due == utc(2026, 3, 2, 2, 0)
    at = digest_slot(
        utc(2026, 3, 9, 2, 0), jakarta, frequency=DigestFrequency.WEEKLY, weekday=0, at=time(9)
    )
    assert (at.key, at.due) == ("digest:2026-W11", utc(2026, 3, 9, 2, 0))
    # Three weeks later, still one slot: the latest.
    later = digest_slot(
        utc(2026, 3, 31, 8, 0), jakarta, frequency=DigestFrequency.WEEKLY, weekday=0, at=time(9)
    )
    assert later.key == "digest:2026-W14"


def test_digest_slot_in_yangon_and_daily():
    slot = digest_slot(
        utc(2026, 3, 2, 2, 29), YANGON, frequency=DigestFrequency.DAILY, weekday=0, at=time(9)
    )
    assert (slot.key, slot.due) == ("digest:2026-03-01", utc(2026, 3, 1, 2, 30))
    slot = digest_slot(
        utc(2026, 3, 2, 2, 30), YANGON, frequency=DigestFrequency.DAILY, weekday=0, at=time(9)
    )
    assert (slot.key, slot.due) == ("digest:2026-03-02", utc(2026, 3, 2, 2, 30))
