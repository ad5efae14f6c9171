"""The bare python-telegram-bot bot that `answer_path.py` compares normsbot with.

It is built like normsbot's `build_application` (same API address, `Defaults`, rate limiter,
`concurrent_updates` and HTTP client, all read from the same settings), but keeps no state and
touches no database: /start sends a message with a keyboard, and every tap is answered and the
message edited to a new text with a new keyboard of the same size. So the work through the
server per tap is the same as normsbot's (answerCallbackQuery plus editMessageText), and the
difference in answers per second is normsbot's own cost.

With `--stock-client` it talks through PTB's own HTTP client instead (`HTTPXRequest` with the
pool sizes `ApplicationBuilder` gives it), not normsbot's (`bot/telegram/http.py`): the bot as
python-telegram-bot ships it.

Run: `TELEGRAM_BOT_TOKEN=... TELEGRAM_BASE_URL=... python -m benchmarks.bare_bot [--stock-client]`
"""

from __future__ import annotations

import asyncio
import sys

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.telegram.builder import application_builder
from bot.telegram.limiter import replying_to

# A text about as long as one of normsbot's item prompts, with the same kinds of markup.
FILLER = (
    "Keep a current directory of points of contact at foreign counterparts, and check at "
    "least once a year that each one still answers. "
) * 2


def screen(step: int) -> tuple[str, InlineKeyboardMarkup]:
    """Screen number `step`: a new text and ten buttons in five rows, like an item prompt."""
    text = (
        f"✔️ Recorded: Implemented\n\n<b>Norm d: Cooperate on crime and terrorism</b>\n"
        f"Item {step} / 48 · {step - 1} answered\n\n<b>d.{step}</b> {FILLER}\n\n"
        f"<i>{FILLER}</i>\n\nAnswer: ▫️ Open"
    )
    labels = [
        "✅ Implemented",
        "🔄 In progress",
        "🗓 Planned",
        "⭕ Not started",
        "➖ Not applicable",
        "💬 Comment",
        "📎 Evidence",
        "◀️ Back",
        "Skip ▶️",
        "☰ Menu",
    ]
    buttons = [
        InlineKeyboardButton(label, callback_data=f"b:{step}:{index}")
        for index, label in enumerate(labels)
    ]
    rows = [buttons[0:2], buttons[2:4], buttons[4:5], buttons[5:7], buttons[7:10]]
    return text, InlineKeyboardMarkup(rows)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None
    text, markup = screen(1)
    await update.effective_chat.send_message(text, reply_markup=markup)


async def on_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    step = int(query.data.split(":")[1]) + 1
    text, markup = screen(step)
    with replying_to(update.effective_chat.id if update.effective_chat else None):
        await asyncio.gather(query.answer(), query.edit_message_text(text, reply_markup=markup))


def build(settings: Settings, *, stock_client: bool = False) -> Application:  # type: ignore[type-arg]
    # Exactly normsbot's API address, defaults, rate limiter and concurrency.
    builder = application_builder(settings)
    if stock_client:  # PTB's own client and pool sizes (ApplicationBuilder's defaults)
        builder = builder.request(HTTPXRequest(connection_pool_size=256))
        builder = builder.get_updates_request(HTTPXRequest(connection_pool_size=1))
    application = builder.build()
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CallbackQueryHandler(on_tap))
    return application


def main() -> int:
    settings = Settings()
    stock_client = "--stock-client" in sys.argv[1:]
    build(settings, stock_client=stock_client).run_polling(
        allowed_updates=Update.ALL_TYPES, timeout=settings.poll_timeout
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
