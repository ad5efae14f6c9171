"""/needs: the regional picture of capacity needs, and its chart (drawn in a worker process)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.services import needs
from bot.services.charts import render_heatmap, sends_as_photo
from bot.telegram.common import Caller, answer_query, handler, send
from bot.telegram.handlers.reports import one_at_a_time, showing
from bot.telegram.offload import offloader
from bot.views.callbacks import NEEDS, NeedsChartButton
from bot.views.needs import needs_chart, needs_chart_caption, render_needs


@handler()
async def needs_command(update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller) -> None:
    rt = caller.rt
    picture = await rt.db.run_read(
        needs.regional_needs,
        actor=caller.enrolled(),
        checklists=rt.checklists,
        words=context.args or [],
    )
    await send(update, render_needs(caller.t, picture))


@handler()
@one_at_a_time("chart")
async def needs_chart_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, caller: Caller
) -> None:
    """📊 Chart under /needs: the same picture, asked again (access checked again), drawn."""
    query = update.callback_query
    assert query is not None
    rt, t = caller.rt, caller.t
    button = NeedsChartButton.unpack(query.data)
    await answer_query(query)
    if button is None:
        return
    words = [button.instrument, *((button.focus,) if button.focus else ())]
    now = rt.clock.now()
    async with showing(update, ChatAction.UPLOAD_PHOTO):
        picture = await rt.db.run_read(
            needs.regional_needs, actor=caller.enrolled(), checklists=rt.checklists, words=words
        )
        data, labels = needs_chart(
            t,
            rt.i18n.translator("en"),
            picture,
            needs.needs_grid(picture),
            now=now,
            tz=caller.timezone,
        )
        fonts_dir = rt.settings.chart_fonts_dir
        png = await offloader(context).run(
            render_heatmap, data, labels, fonts_dir=str(fonts_dir) if fonts_dir else None
        )
    chat = update.effective_chat
    assert chat is not None
    caption, name = needs_chart_caption(t, picture), f"normsbot-needs-{now.date()}.png"
    if sends_as_photo(data):
        await chat.send_photo(png, caption=caption, filename=name)
    else:  # many countries: a file stays sharp (see /chart)
        await chat.send_document(png, caption=caption, filename=name)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("needs", needs_command, filters=private),
        # Not blocking, as /chart: the person's next tap is answered while the chart is drawn.
        CallbackQueryHandler(needs_chart_button, pattern=rf"^{NEEDS}:c:", block=False),
    ]
