"""The bot's web server: Telegram's webhook, /healthz, /readyz and /metrics (Starlette on
Uvicorn, inside the bot's own event loop)."""
