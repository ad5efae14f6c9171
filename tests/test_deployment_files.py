"""The files a deployment is made of agree with the bot: compose.yaml parses (without a .env,
as on a clean checkout) and hands every setting to the bot, and `.env.example` lists exactly
the settings of `bot/config.py`, plus the few that only compose.yaml reads."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[1]

# Read by compose.yaml (and Caddy), not by the bot.
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "BOT_DOMAIN"}
# What compose.yaml sets itself rather than passing on from .env.
SET_BY_COMPOSE = {"DATABASE_URL", "NORMSBOT_WEBHOOK_URL", "NORMSBOT_LISTEN"}
# Polling only: compose.yaml runs the bot by webhook, whose server serves health already.
NOT_FOR_COMPOSE = {"NORMSBOT_HEALTH_LISTEN"}


def setting_names() -> set[str]:
    """The environment variables `Settings` reads: its aliases, else NORMSBOT_<FIELD>."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(f"NORMSBOT_{name.upper()}")
        else:
            choices = getattr(alias, "choices", [alias])
            names.update(str(choice) for choice in choices)
    return names


def example_names() -> list[str]:
    """Every variable .env.example names, set (`NAME=`) or shown with its default (`# NAME=`)."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)


def test_env_example_lists_every_setting_once_and_nothing_else() -> None:
    listed = example_names()
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    settings = setting_names()
    unknown = set(listed) - settings - COMPOSE_ONLY
    assert not unknown, f"in .env.example but not a setting: {sorted(unknown)}"
    missing = settings - set(listed)
    assert not missing, f"settings missing from .env.example: {sorted(missing)}"


def test_compose_hands_every_setting_to_the_bot() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for name in set(example_names()) - SET_BY_COMPOSE - NOT_FOR_COMPOSE:
        assert f"${{{name}:-" in compose, f"{name} from .env never reaches a container"
    for name in SET_BY_COMPOSE:
        assert re.search(rf"^\s+{name}: ", compose, flags=re.MULTILINE), name


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin) or `docker-compose` (Debian's package), whichever works."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False, timeout=60
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_parses_without_a_dotenv(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        message = "neither `docker compose` nor `docker-compose` is installed"
        if IN_CI:
            pytest.fail(message + " (.ci/run installs Debian's docker-compose as root)")
        pytest.skip(message)
    # A copy with no .env beside it, as on a clean checkout, and no setting in the environment.
    for name in ("compose.yaml", "Caddyfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if k not in setting_names() | COMPOSE_ONLY}
    result = subprocess.run(
        [
            *command,
            "--project-directory",
            str(tmp_path),
            "-f",
            str(tmp_path / "compose.yaml"),
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr  # no warning about an unset variable


def test_every_setting_left_empty_means_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """What compose.yaml hands over when .env does not set a variable: `NAME=` (empty)."""
    for name in setting_names():
        monkeypatch.setenv(name, "")
    defaults = Settings(_env_file=None).model_dump()
    for name in setting_names():
        monkeypatch.delenv(name)
    assert defaults == Settings(_env_file=None).model_dump()
