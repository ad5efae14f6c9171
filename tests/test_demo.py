"""`normsbot demo`: someone without a token tries the bot in a terminal (here, a pipe)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_demo(script: str, *args: str, output: Path) -> subprocess.CompletedProcess[str]:
    # Not the default folder for the bot's files: a new temporary one that outlives the demo.
    args = (*args, "--output", str(output))
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", *args],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_a_focal_point_answers_comments_attaches_and_looks_at_the_coordinators_view(
    tmp_path: Path,
):
    paper = tmp_path / "contact-points.pdf"
    paper.write_bytes(b"%PDF-1.4 a list of contact points")
    script = "\n".join(
        [
            "1",  # English, the first language offered (the Telegram app's)
            "1",  # ✅ Implemented on item a.1
            "6",  # 💬 Comment on item a.2
            "Named in the UN directory <since 2024> & the ASEAN list.",
            "7",  # 📎 Evidence on item a.2
            f":doc {paper}",
            ":coord",
            "1",  # English
            "/invites",
            ":fp",
            ":quit",
        ]
    )
    result = run_demo(script + "\n", output=tmp_path / "files")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    # Welcomed through the invite flow, the person chooses the language.
    assert "👋 Welcome, Fon! You report for Thailand as a national focal point." in out
    assert "🌐 Choose your language:\n│ [1] English  [2] ไทย" in out
    # Then the first item shows with numbered buttons.
    assert "Item 1 / 48" in out
    assert "a.1 The government has published its national position" in out
    assert "[1] ✅ Implemented  [2] 🔄 In progress" in out
    # The press recorded the answer and moved on to the second item.
    assert "✔️ Recorded: Implemented" in out
    assert "Item 2 / 48 · 1 answered" in out
    # The comment flow: asked for, typed, saved, shown back as plain text (not HTML).
    assert "Type your comment and send it as a message." in out
    assert "✔️ Comment saved." in out
    assert "💬 Named in the UN directory <since 2024> & the ASEAN list." in out
    # Evidence: asked for, uploaded from a file, recorded under its name.
    assert "» sent the document contact-points.pdf (33 bytes)" in out
    assert "✔️ Evidence saved." in out
    assert "📎 contact-points.pdf" in out
    # The coordinator's chat answers the coordinator's command.
    assert "── you are now Cora (coordinator) ──" in out
    assert "/summary" in out
    assert "✉️ No open invites." in out  # both invites of the demo were used
    assert out.rstrip().endswith("Bye. The demo's database is deleted now.")


def test_an_unknown_language_is_refused_with_the_choices(tmp_path: Path):
    result = run_demo(":quit\n", "--language", "xx", output=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("normsbot: no language xx; choose one of: en, ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_shipped_language_can_be_the_demos(tmp_path: Path):
    """A Khmer app: the focal point of Thailand is offered Khmer first, then Thai and English."""
    result = run_demo("1\n:quit\n", "--language", "km", output=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[1] ខ្មែរ  [2] ไทย\n│ [3] English" in result.stdout


def test_charts_and_exports_are_saved_and_their_paths_printed(tmp_path: Path):
    script = ":coord\n1\n/chart\n/export\n:quit\n"
    result = run_demo(script, output=tmp_path / "files")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Charts and exports the bot sends are saved in {tmp_path / 'files'}" in out
    saved = sorted(path.name for path in (tmp_path / "files").iterdir())
    assert len(saved) == 3, saved  # the chart, the workbook and the CSV
    for name in saved:
        assert f"(saved {tmp_path / 'files' / name})" in out
    assert any(name.endswith(".xlsx") for name in saved)
    assert any(name.endswith(".csv") for name in saved)


def test_the_end_of_input_ends_the_demo_as_the_coordinator(tmp_path: Path):
    result = run_demo("", "--role", "coordinator", output=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "── you are now Cora (coordinator) ──" in result.stdout
    assert "Bye." in result.stdout


def test_the_demo_runs_the_bot_with_a_webhook(tmp_path: Path):
    """`normsbot demo --webhook`: the fake Telegram posts each update to the bot's webhook."""
    result = run_demo("1\n:quit\n", "--webhook", output=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "The fake Telegram posts each update to http://127.0.0.1:" in result.stdout
    assert "Language: English" in result.stdout  # the press went through the webhook
    assert "Bye." in result.stdout and "Traceback" not in result.stderr
