"""The member states the bot knows from the first start, with their locales and time zones.

Reference data, not configuration: no member state uses daylight saving time, and each offers
its own languages plus English (ASEAN's working language). Seeded by `bot.services.setup`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CountryInfo:
    code: str
    name: str
    timezone: str
    locales: tuple[str, ...]


ASEAN_MEMBER_STATES: tuple[CountryInfo, ...] = (
    CountryInfo("BN", "Brunei Darussalam", "Asia/Brunei", ("ms", "en")),
    CountryInfo("KH", "Cambodia", "Asia/Phnom_Penh", ("km", "en")),
    CountryInfo("ID", "Indonesia", "Asia/Jakarta", ("id", "en")),
    CountryInfo("LA", "Lao PDR", "Asia/Vientiane", ("lo", "en")),
    CountryInfo("MY", "Malaysia", "Asia/Kuala_Lumpur", ("ms", "en")),
    CountryInfo("MM", "Myanmar", "Asia/Yangon", ("my", "en")),
    CountryInfo("PH", "Philippines", "Asia/Manila", ("fil", "en")),
    CountryInfo("SG", "Singapore", "Asia/Singapore", ("en", "ms", "zh_Hans", "ta")),
    CountryInfo("TH", "Thailand", "Asia/Bangkok", ("th", "en")),
    CountryInfo("TL", "Timor-Leste", "Asia/Dili", ("tet", "pt", "id", "en")),
    CountryInfo("VN", "Viet Nam", "Asia/Ho_Chi_Minh", ("vi", "en")),
)
