"""A fake Telegram Bot API (real HTTP on loopback) and a client that plays Telegram users.

``FakeBotAPI`` is the server python-telegram-bot talks to; ``FakeTelegram``/``FakeUser`` drive
simulated users and read what the bot sent. See ``server.py`` and ``client.py``.
"""

from fakegram.client import Button, CallbackAnswer, FakeGroup, FakeTelegram, FakeUser, Msg
from fakegram.faults import FaultRule
from fakegram.limits import RateLimits
from fakegram.server import FakeBotAPI

__all__ = [
    "Button",
    "CallbackAnswer",
    "FakeBotAPI",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "FaultRule",
    "Msg",
    "RateLimits",
]
