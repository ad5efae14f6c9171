"""Buttons' callback data: every kind packs and reads back, fits Telegram's 64 bytes with the
longest ids it can carry, keeps the wire format of buttons already in chats, and reads
anything forged or cut as no button at all."""

from __future__ import annotations

import pytest

from bot.checklist import ITEM_ID_MAX_CHARS, SHORT_NAME_MAX_CHARS, ChecklistRegistry
from bot.countries import ASEAN_MEMBER_STATES
from bot.i18n import LOCALES
from bot.services import reporting
from bot.services.erasure import TOKEN_CHARS
from bot.services.reporting import Action
from bot.views.callbacks import (
    INT_DIGITS,
    MAX_BYTES,
    AnswerButton,
    Button,
    CallbackDataError,
    CloseAskButton,
    CloseButton,
    ContinueButton,
    CountryStatusButton,
    CycleBackButton,
    DeadlineHelpButton,
    DigestButton,
    DraftButton,
    DraftChoice,
    EraseButton,
    EraseCancelButton,
    ExtendButton,
    InstrumentButton,
    LanguageButton,
    LanguagesButton,
    MenuButton,
    MuteButton,
    Muting,
    NeedsChartButton,
    NewCycleHelpButton,
    PeopleCancelButton,
    ProgressButton,
    ReadmitButton,
    ReviewButton,
    RevokeButton,
    Snooze,
    SnoozeButton,
    Switch,
    read_button,
)

BIG = 10**INT_DIGITS - 1  # the largest number a button carries
REGISTRY = ChecklistRegistry.bundled()
LONGEST_ITEM = max((item.id for c in REGISTRY for item in c.items), key=len)
LONGEST_SECTION = max((section.id for c in REGISTRY for section in c.sections), key=len)
LONGEST_LOCALE = max(LOCALES, key=len)
LONGEST_COUNTRY = max((country.code for country in ASEAN_MEMBER_STATES), key=len)


def _kinds(base: type[Button] = Button) -> set[type[Button]]:
    found: set[type[Button]] = set()
    for kind in base.__subclasses__():
        found |= {kind} | _kinds(kind)
    return found


# The widest button of every kind: the longest ids of the bundled checklists and of the
# locales and countries, the largest numbers.
WIDEST: list[Button] = [
    *(AnswerButton(action, BIG) for action in Action),
    AnswerButton(Action.STATUS, BIG, LONGEST_ITEM, BIG),
    AnswerButton(Action.OPEN, BIG, LONGEST_ITEM),
    AnswerButton(Action.REMOVE_EVIDENCE, BIG, LONGEST_ITEM, BIG),
    AnswerButton(Action.SUPPORT_ON, BIG, LONGEST_ITEM, BIG),
    AnswerButton(Action.SUPPORT_OFF, BIG, LONGEST_ITEM, BIG),
    MenuButton(BIG),
    ReviewButton(BIG),
    ReviewButton(BIG, LONGEST_SECTION),
    ProgressButton(BIG),
    LanguagesButton(),
    LanguageButton(LONGEST_LOCALE),
    CountryStatusButton(LONGEST_COUNTRY),
    RevokeButton(BIG),
    ReadmitButton(BIG),
    PeopleCancelButton(),
    EraseButton(BIG, "f" * TOKEN_CHARS),
    EraseCancelButton(),
    ExtendButton(BIG, BIG, BIG),
    DeadlineHelpButton(),
    CloseAskButton(BIG),
    CloseButton(BIG, BIG),
    CycleBackButton(),
    NewCycleHelpButton(),
    *(DraftButton(BIG, choice) for choice in DraftChoice),
    DraftButton(BIG, DraftChoice.VERSION, BIG),
    ContinueButton(),
    *(SnoozeButton(length, BIG) for length in Snooze),
    *(MuteButton(muting, BIG) for muting in Muting),
    *(DigestButton(switch) for switch in Switch),
    NeedsChartButton("n" * SHORT_NAME_MAX_CHARS, "s" * max(len(LONGEST_SECTION), 30)),
    InstrumentButton("a" * SHORT_NAME_MAX_CHARS),
]


def test_every_kind_of_button_is_tried():
    assert {type(button) for button in WIDEST} == _kinds()


@pytest.mark.parametrize("button", WIDEST, ids=repr)
def test_a_button_reads_back_as_itself_within_64_bytes(button: Button):
    data = button.pack()
    assert data.isascii() and len(data.encode()) <= MAX_BYTES, data
    assert type(button).unpack(data) == button
    # No other kind reads it: a handler serving several kinds tells them apart.
    others = [kind for kind in _kinds() if kind is not type(button)]
    assert all(kind.unpack(data) is None for kind in others), data


# What buttons already sitting in chats carry: these strings do not change.
WIRE = [
    (AnswerButton(Action.STATUS, 7, "a.1", 2), "a:s:7:a.1:2"),
    (AnswerButton(Action.REMOVE_EVIDENCE, 7, "b.10", 41), "a:ed:7:b.10:41"),
    (AnswerButton(Action.OPEN, 7, "k.3"), "a:o:7:k.3"),
    (AnswerButton(Action.SHOW, 7), "a:r:7"),
    (AnswerButton(Action.KEEP_PENDING, 7), "a:pk:7"),
    (AnswerButton(Action.SUPPORT_ON, 7, "a.1", 2), "a:s1:7:a.1:2"),
    (AnswerButton(Action.SUPPORT_OFF, 7, "a.1", 0), "a:s0:7:a.1:0"),
    (NeedsChartButton("norms", "TH"), "nd:c:norms:TH"),
    (MenuButton(7), "mn:7"),
    (ReviewButton(7), "rv:7"),
    (ReviewButton(7, "a"), "rv:7:a"),
    (ReviewButton(), "rv"),
    (ProgressButton(7), "pg:7"),
    (ProgressButton(), "pg"),
    (LanguagesButton(), "lg"),
    (LanguageButton("zh_Hans"), "l:zh_Hans"),
    (CountryStatusButton("TH"), "st:TH"),
    (RevokeButton(12), "pp:rv:12"),
    (ReadmitButton(12), "pp:ra:12"),
    (PeopleCancelButton(), "pp:x"),
    (EraseButton(12, "0a1b2c3d4e"), "er:y:12:0a1b2c3d4e"),
    (EraseCancelButton(), "er:x"),
    (ExtendButton(3, 14, 5), "cy:dl:3:14:5"),
    (DeadlineHelpButton(), "cy:dh"),
    (CloseAskButton(3), "cy:cl:3"),
    (CloseButton(3, 5), "cy:ok:3:5"),
    (CycleBackButton(), "cy:bk"),
    (NewCycleHelpButton(), "cy:nw"),
    (DraftButton(4, DraftChoice.BASELINE), "cy:d:4:b1"),
    (DraftButton(4, DraftChoice.NO_BASELINE), "cy:d:4:b0"),
    (DraftButton(4, DraftChoice.VERSION, 1), "cy:d:4:v:1"),
    (DraftButton(4, DraftChoice.OPEN), "cy:d:4:go"),
    (DraftButton(4, DraftChoice.CANCEL), "cy:d:4:no"),
    (ContinueButton(), "rm:go"),
    (SnoozeButton(Snooze.DAY, 9), "rm:s1:9"),
    (SnoozeButton(Snooze.WEEK, 9), "rm:s7:9"),
    (MuteButton(Muting.MUTE, 2), "rm:mute:2"),
    (MuteButton(Muting.UNMUTE, 2), "rm:um:2"),
    (DigestButton(Switch.ON), "dg:on"),
    (DigestButton(Switch.OFF), "dg:off"),
    (InstrumentButton("scams"), "in:scams"),
]


@pytest.mark.parametrize(("button", "data"), WIRE, ids=[data for _, data in WIRE])
def test_the_wire_format_of_buttons_in_chats_is_kept(button: Button, data: str):
    assert button.pack() == data
    assert type(button).unpack(data) == button


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (AnswerButton, None),
        (AnswerButton, ""),
        (AnswerButton, "a"),  # no action, no version
        (AnswerButton, "a:s"),
        (AnswerButton, "a:s:x:a.1:0"),  # the version is not a number
        (AnswerButton, "a:zz:7"),  # no such action
        (AnswerButton, "a:s:7:a.1:0:9"),  # a field too many
        (AnswerButton, "a:s:7:a.1:-1"),
        (AnswerButton, "a:s:7:a.1:" + "9" * (INT_DIGITS + 1)),
        (AnswerButton, "a:s:7:" + "x" * 70),  # longer than Telegram allows
        (AnswerButton, "a:s:7:a 1:0"),  # not plain ASCII fields
        (AnswerButton, "mn:7"),
        (MenuButton, "mn"),
        (ReviewButton, "rv:x"),
        (ReviewButton, "rvx"),
        (RevokeButton, "pp:rv"),
        (RevokeButton, "pp:rv:"),
        (RevokeButton, "pp:ra:12"),
        (EraseButton, "er:y:12"),
        (CloseButton, "cy:ok:3"),  # an old button without the cycle's version
        (ExtendButton, "cy:dl:3:7"),
        (DraftButton, "cy:d:4:maybe"),
        (SnoozeButton, "rm:s3:9"),
        (MuteButton, "rm:s1:9"),
        (DigestButton, "dg:maybe"),
        (LanguageButton, "l"),
        (LanguagesButton, "lg:x"),
    ],
)
def test_forged_or_cut_data_reads_as_no_button(kind: type[Button], data: str | None):
    assert kind.unpack(data) is None


def test_a_handler_serving_several_kinds_reads_the_right_one():
    kinds = (ContinueButton, SnoozeButton, MuteButton)
    assert read_button("rm:go", *kinds) == ContinueButton()
    assert read_button("rm:s7:9", *kinds) == SnoozeButton(Snooze.WEEK, 9)
    assert read_button("rm:um:2", *kinds) == MuteButton(Muting.UNMUTE, 2)
    assert read_button("rm:later", *kinds) is None
    assert SnoozeButton(Snooze.WEEK, 9).length.days == 7


def test_status_index_and_evidence_id_share_the_fifth_field():
    status = AnswerButton.unpack("a:s:7:a.1:2")
    removal = AnswerButton.unpack("a:ed:7:a.1:41")
    assert status is not None and (status.status_index, status.evidence_id) == (2, None)
    assert removal is not None and (removal.status_index, removal.evidence_id) == (None, 41)


def test_an_item_id_of_35_characters_is_the_most_a_button_carries():
    """The widest answering button: "a:ed:<version>:<item>:<evidence id>" with 11-digit numbers."""
    assert len(LONGEST_ITEM) <= ITEM_ID_MAX_CHARS <= 35  # the loader refuses longer ids
    AnswerButton(Action.REMOVE_EVIDENCE, BIG, "x" * 35, BIG).pack()
    with pytest.raises(CallbackDataError, match=f"longer than {MAX_BYTES} bytes"):
        AnswerButton(Action.REMOVE_EVIDENCE, BIG, "x" * 36, BIG).pack()


@pytest.mark.parametrize(
    ("button", "message"),
    [
        (AnswerButton(Action.STATUS, 7, "ä.1", 0), "not short plain ASCII"),
        (AnswerButton(Action.STATUS, 7, "a:1", 0), "not short plain ASCII"),
        (AnswerButton(Action.STATUS, -1), "not a number a button can carry"),
        (AnswerButton(Action.STATUS, BIG + 1), "not a number a button can carry"),
        (AnswerButton(Action.STATUS, 7, None, 0), "only the last fields may be left out"),
        (ReviewButton(None, "a"), "only the last fields may be left out"),
    ],
)
def test_a_button_that_cannot_be_made_fails_loudly(button: Button, message: str):
    with pytest.raises(CallbackDataError, match=message):
        button.pack()


def test_every_answering_action_has_a_step():
    assert set(reporting._STEPS) == set(Action)
