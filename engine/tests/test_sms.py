"""SMS segment counting: GSM-7 and UCS-2, single and concatenated, the characters that take two places."""

from engine.sms import is_gsm7
from engine.sms import sms_segments


def test_gsm7_single_and_concatenated():
    assert sms_segments("") == ("gsm7", 1)
    assert sms_segments("a" * 160) == ("gsm7", 1)
    assert sms_segments("a" * 161) == ("gsm7", 2)
    assert sms_segments("a" * 306) == ("gsm7", 2)
    assert sms_segments("a" * 307) == ("gsm7", 3)


def test_extension_characters_take_two_places_and_are_never_split():
    assert sms_segments("€" * 80) == ("gsm7", 1)
    assert sms_segments("€" * 81) == ("gsm7", 2)
    # 152 septets then a two-septet character: it starts the next segment
    assert sms_segments("a" * 152 + "{" + "a" * 10) == ("gsm7", 2)
    assert sms_segments("a" * 152 + "{" + "a" * 152) == ("gsm7", 3)


def test_accents_of_the_alphabet_stay_gsm7_others_switch_to_ucs2():
    assert is_gsm7("Café à Zürich, Ñu")
    assert not is_gsm7("Ñandú")  # ú is not in the GSM alphabet (ù is)
    assert not is_gsm7("Noël")  # ë is not in the GSM alphabet
    assert sms_segments("Noël" + "a" * 66) == ("ucs2", 1)
    assert sms_segments("Noël" + "a" * 67) == ("ucs2", 2)
    assert sms_segments("\u2019" + "a" * 133) == ("ucs2", 2)  # a curly apostrophe: the whole text is UCS-2
    assert sms_segments("\u2019" + "a" * 134) == ("ucs2", 3)


def test_an_emoji_is_two_utf16_units_and_never_split():
    assert sms_segments("\U0001F600" * 35) == ("ucs2", 1)
    assert sms_segments("\U0001F600" * 36) == ("ucs2", 2)
    # 134 units would fill two segments exactly, but the emoji cannot straddle them
    assert sms_segments("a" * 66 + "\U0001F600" + "a" * 66) == ("ucs2", 3)
