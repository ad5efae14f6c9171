"""`normsbot healthcheck`: ask a running bot's /readyz, for a container's HEALTHCHECK.

It runs in a process of its own beside the bot (same settings, same environment), so the
address comes from the settings: `NORMSBOT_LISTEN` in webhook mode, `NORMSBOT_HEALTH_LISTEN`
when polling. A server listening on every address (0.0.0.0) is asked on loopback.
"""

from __future__ import annotations

import httpx

from bot import logs
from bot.bootstrap import SetupError
from bot.config import Settings, host_port

TIMEOUT_SECONDS = 10.0  # /readyz may probe Telegram (up to 5 s) and the database
ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - the addresses, not a bind


def readyz_url(settings: Settings) -> str:
    listen = settings.listen if settings.webhook_url else settings.health_listen
    if not listen:
        raise SetupError(
            "this bot serves no /readyz: set NORMSBOT_HEALTH_LISTEN (polling) or "
            "NORMSBOT_WEBHOOK_URL (webhook mode), or give --url"
        )
    host, port = host_port(listen)
    host = ANY_ADDRESS.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/readyz"


def check_ready(target: Settings | str) -> tuple[bool, str]:
    """Whether the bot at `target` (its settings, or the URL of its /readyz) is ready, and
    one line saying so or why not."""
    url = target if isinstance(target, str) else readyz_url(target)
    try:
        answer = httpx.get(url, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        return False, logs.mask(f"not ready: no answer from {url}: {error or type(error).__name__}")
    if answer.status_code == 200:
        return True, "ready"
    problems = "; ".join(line for line in answer.text.splitlines() if line.strip())
    return False, logs.mask(f"not ready: {problems or f'HTTP {answer.status_code}'}")
