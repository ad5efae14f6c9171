"""How wide a button label is on a phone, measured in the glyphs of its own script.

Counting columns treats every script as if it were as narrow as Latin; Burmese, Tamil and
Khmer clusters are much wider at the same size. So each label is shaped (Pillow with libraqm,
which uses HarfBuzz, as Android does) in the Noto font of its script, the fonts the charts use
too (Debian's fonts-noto-core and fonts-wqy-microhei, found the way matplotlib finds them).

What a label may take comes from Telegram for Android's inline keyboard (ChatMessageCell and
MessageObject.wantedBotKeyboardWidth), on a 360-dp phone, the most common Android width:

- The keyboard of a bot's message in a private chat (no avatar beside it) may be as wide as
  the screen less 15 dp: 360 - 15 = 345 dp.
- A row of n buttons shares that less 5 dp between buttons and 2 dp at the edge:
  (345 - 5·(n-1) - 2) / n dp each: 343, 169 and 111 dp for 1, 2 and 3 buttons.
- A label is cut with "…" when it is wider than its button less 10 dp of padding: 333, 159
  and 101 dp of text.
- The text is 15 dp Roboto Medium for Latin; other scripts fall back to Android's Noto fonts
  at the same size, here their regular weight (Android has no medium Burmese, Tamil or Khmer,
  and picks the nearer regular face). Noto Sans, our stand-in for Roboto (which the project
  does not install), is about 7 % wider than Roboto Medium, so runs drawn in Noto Sans count
  0.93 of their width. Calibrated so that every English label and the Latin labels with room
  pass (the widest English one, "📎 Attach as evidence" two to a row, takes 89 % of its
  159 dp), while those the column count let through at its very limit (Malay
  "● 🔄 Dalam pelaksanaan", 104 %) do not: the model is good to a few per cent, so a label
  should keep some room rather than end exactly at the edge.
- Telegram draws an emoji as a 15-dp picture; with the space around it, 1.1 em.

A label within its budget shows whole on a 360-dp phone; on a wider phone it has more room.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont, features

SCREEN_DP = 360
KEYBOARD_MARGIN_DP = 15  # the screen less the keyboard's widest (ChatMessageCell)
BUTTON_GAP_DP = 5
ROW_EDGE_DP = 2
LABEL_PADDING_DP = 10  # a button's width less the text Telegram shows uncut
FONT_DP = 15.0
LATIN_SCALE = 0.93  # Noto Sans measured for Roboto Medium
EMOJI_EM = 1.1

# The fonts, in the order they are tried for a character: the first that has it draws it.
FONT_FILES = (
    "NotoSans-Regular.ttf",
    "NotoSansThai-Regular.ttf",
    "NotoSansKhmer-Regular.ttf",
    "NotoSansLao-Regular.ttf",
    "NotoSansMyanmar-Regular.ttf",
    "NotoSansTamil-Regular.ttf",
    "wqy-microhei.ttc",
    "DejaVuSans.ttf",  # ships with matplotlib: symbols such as ● and ☰
)
# Characters Telegram shows as emoji pictures even without U+FE0F after them.
_EMOJI_WITHOUT_SELECTOR = frozenset("✅⭕➕➖✖❌❓❗⏰⏳⌛⏭⏮⏩⏪⬜⬛⭐☑")
_ZERO_WIDTH = frozenset("\ufe0f\ufe0e\u200d\u200c")


def label_budget(in_row: int) -> float:
    """The dp of text a button shows uncut in a row of `in_row` on a 360-dp phone."""
    row = SCREEN_DP - KEYBOARD_MARGIN_DP
    button = (row - BUTTON_GAP_DP * (in_row - 1) - ROW_EDGE_DP) / in_row
    return button - LABEL_PADDING_DP


def _is_emoji(text: str, index: int) -> bool:
    char = text[index]
    if ord(char) >= 0x1F000 or char in _EMOJI_WITHOUT_SELECTOR:
        return True
    return index + 1 < len(text) and text[index + 1] == "\ufe0f"


def _same_run(char: str) -> bool:
    """Marks and spaces stay with the run before them, so a cluster is shaped whole."""
    return unicodedata.category(char) in ("Mn", "Mc", "Me", "Zs")


@dataclass(frozen=True)
class Face:
    path: Path
    codepoints: frozenset[int]
    scale: float


@dataclass(frozen=True)
class LabelFonts:
    """The fonts a phone would draw button labels with, and the width of a label in them."""

    faces: tuple[Face, ...]

    def width(self, label: str) -> float:
        """The label's width in dp at Telegram's button size."""
        runs: list[tuple[int, str]] = []
        total = 0.0
        for index, char in enumerate(label):
            if char in _ZERO_WIDTH:
                continue
            if _is_emoji(label, index):
                total += EMOJI_EM * FONT_DP
                continue
            if runs and (_same_run(char) or ord(char) in self.faces[runs[-1][0]].codepoints):
                runs[-1] = (runs[-1][0], runs[-1][1] + char)
                continue
            face = next(
                (n for n, f in enumerate(self.faces) if ord(char) in f.codepoints),
                len(self.faces) - 1,
            )
            runs.append((face, char))
        return total + sum(self._run_width(face, text) for face, text in runs)

    def _run_width(self, face: int, text: str) -> float:
        return _shaped_length(self.faces[face].path, text) * self.faces[face].scale


# Shaping at ten times the size keeps the rounding of advances out of the sum.
_SIZE_FACTOR = 10


@cache
def _shaped_length(path: Path, text: str) -> float:
    return float(_font(path).getlength(text)) / _SIZE_FACTOR


@cache
def _font(path: Path) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), round(FONT_DP * _SIZE_FACTOR), layout_engine=engine)


def find_label_fonts() -> tuple[LabelFonts | None, str]:
    """The fonts, or None and what is missing (the font files, or libraqm to shape)."""
    from matplotlib import font_manager, get_data_path
    from matplotlib.ft2font import FT2Font

    if not features.check("raqm"):
        return None, "Pillow without libraqm cannot shape Burmese, Tamil or Khmer"
    found = {Path(p).name: Path(p) for p in font_manager.findSystemFonts()}
    found.setdefault("DejaVuSans.ttf", Path(get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    missing = [name for name in FONT_FILES if name not in found]
    if missing:
        return None, (
            f"no {', '.join(missing)} here (apt-get install fonts-noto-core fonts-wqy-microhei)"
        )
    faces = tuple(
        Face(
            found[name],
            frozenset(FT2Font(str(found[name])).get_charmap()),
            LATIN_SCALE if name == "NotoSans-Regular.ttf" else 1.0,
        )
        for name in FONT_FILES
    )
    return LabelFonts(faces), ""
