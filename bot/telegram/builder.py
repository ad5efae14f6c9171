"""How the bot talks to Telegram: API address, defaults, rate limiter and concurrency.

Kept apart from `app.py` (which wires handlers and jobs) so that the answer-path benchmark's
bare comparison bot is built exactly the same way without importing normsbot's handlers.
"""

from __future__ import annotations

from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, Defaults

from bot.config import Settings
from bot.telegram.contact import TelegramContact
from bot.telegram.fairness import FairUpdateProcessor
from bot.telegram.limiter import ReplyAwareRateLimiter
from bot.telegram.transient import QuietRequest


def application_builder(
    settings: Settings, *, contact: TelegramContact | None = None
) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """How the bot talks to Telegram: API address, defaults, rate limiter, concurrency.

    Each answer of the Bot API is recorded in `contact` (for /readyz). The answer-path
    benchmark builds its bare comparison bot from this too.
    """
    base = settings.telegram_base_url
    return (
        ApplicationBuilder()
        .token(settings.token())
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        # PTB's own pool sizes (256 for calls, 1 for getUpdates), without its ERROR traceback
        # for a proxy's HTML error page (see transient.py).
        .request(QuietRequest(connection_pool_size=256, contact=contact))
        .get_updates_request(QuietRequest(connection_pool_size=1, contact=contact))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        # Telegram allows about 30 messages a second overall: what the bot sends on its own
        # queues beyond that and retries after a 429's retry_after, so bursts (reminders)
        # never get us banned; replies to the person being handled pass straight.
        .rate_limiter(
            ReplyAwareRateLimiter(
                # A bucket of `send_burst` messages refilled at the overall rate: a burst of a
                # whole second's worth would leave Telegram's own bucket no room for network
                # jitter, and one 429 pauses every send of the process.
                overall_max_rate=settings.send_burst,
                overall_time_period=settings.send_burst / settings.overall_messages_per_second,
                max_retries=settings.send_max_retries,
            )
        )
        # Updates handled at once, each person's one at a time and paced: one person's flood
        # never holds another person's tap back (see bot/telegram/fairness.py).
        .concurrent_updates(
            FairUpdateProcessor(
                settings.concurrent_updates,
                burst=settings.user_burst,
                per_second=settings.user_updates_per_second,
                backlog=settings.user_backlog,
            )
        )
    )
