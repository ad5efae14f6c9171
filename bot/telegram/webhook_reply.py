"""In webhook mode, the answer to a button press rides on the webhook's response.

Telegram lets the response to a webhook request name one Bot API call (its `method` and
parameters, as JSON), which Telegram then makes for the bot: no request of the bot's own, no
connection taken from the pool, no response to parse. The webhook route (`bot/web/app.py`)
opens a `Reply` around each update's handling and sends what it holds with the 200 once the
update was handled; `common.answer_query` offers the button's answer to it.

Only that answer rides there. Nobody learns whether such a call succeeded, and a button's
answer is the one call whose failure matters to no one (a lost answer leaves the button's
spinner turning for a few seconds; the message itself is edited by a request as before).
With long polling, for a second answer in one update, or once the update was answered (a
task the handler left running), the answer goes through the Bot API as a request.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

ANSWER_CALLBACK_QUERY = "answerCallbackQuery"


class Reply:
    """The call the webhook's response will name, if one was offered in time.

    `with Reply() as reply:` around one update's handling: within it, calls may be offered.
    The handler's tasks share it (they copy the context, which holds this object); once the
    block ends it takes nothing more, so a late answer goes as a request.
    """

    def __init__(self) -> None:
        self.call: dict[str, Any] | None = None
        self.open = True
        self._token: Token[Reply | None] | None = None

    def __enter__(self) -> Reply:
        self._token = _reply.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.open = False
        if self._token is not None:
            _reply.reset(self._token)

    def offer(self, call: dict[str, Any]) -> bool:
        """Take `call` for the response; False when closed or already holding one."""
        if not self.open or self.call is not None:
            return False
        self.call = call
        return True


_reply: ContextVar[Reply | None] = ContextVar("normsbot_webhook_reply", default=None)


def offer_answer(callback_query_id: str, text: str | None, *, show_alert: bool) -> bool:
    """Offer a button's answer to the webhook's response; False: send it yourself."""
    reply = _reply.get()
    if reply is None:
        return False
    call: dict[str, Any] = {"method": ANSWER_CALLBACK_QUERY, "callback_query_id": callback_query_id}
    if text is not None:
        call["text"] = text
    if show_alert:
        call["show_alert"] = True
    return reply.offer(call)
