"""`normsbot demo`: someone without a token tries the bot in a terminal (here, a pipe)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_demo(script: str, *args: str) -> subprocess.CompletedProcess[str]:
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
            "1",  # ✅ Implemented on item a.1
            "6",  # 💬 Comment on item a.2
            "Named in the UN directory <since 2024> & the ASEAN list.",
            "7",  # 📎 Evidence on item a.2
            f":doc {paper}",
            ":coord",
            "/invites",
            ":fp",
            ":quit",
        ]
    )
    result = run_demo(script + "\n")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    # Enrolled through the invite flow, the first item shows with numbered buttons.
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


def test_an_unknown_language_is_refused_with_the_choices():
    result = run_demo(":quit\n", "--language", "xx")
    assert result.returncode == 2
    assert "no language 'xx'; choose one of: en" in result.stderr


def test_the_end_of_input_ends_the_demo_as_the_coordinator():
    result = run_demo("", "--role", "coordinator")
    assert result.returncode == 0, result.stderr
    assert "── you are now Cora (coordinator) ──" in result.stdout
    assert "Bye." in result.stdout
