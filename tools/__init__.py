"""The developers' tools, run from the repository root (`python -m tools.<name>`, or by make).

They are not part of the bot: the wheel does not ship them, and nothing in `bot/` imports them.
"""
