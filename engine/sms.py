"""How many SMS segments a text takes (pure Python, no ``odoo`` import).

A text that only uses the GSM 03.38 alphabet is sent in GSM-7: 160
characters in one segment, 153 per segment once it needs several (the
rest of each segment carries the header that joins them). Characters of
the alphabet's extension table (``{ } [ ] ~ \\ | ^ €`` and the form feed)
take two places, and a segment never ends between the two. Any other
character (an accented capital outside the table, an emoji, curly quotes)
sends the whole text in UCS-2: 70 characters in one segment, 67 per
segment otherwise, counted in UTF-16 code units (an emoji takes two, and
a segment never splits one).
"""

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


def is_gsm7(text):
    """Whether ``text`` can go in GSM-7 (basic alphabet and its extension table)."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _units(text):
    """Each character's size in its encoding's units: GSM-7 septets or UTF-16 code units."""
    if is_gsm7(text):
        return "gsm7", [2 if char in GSM7_EXTENSION else 1 for char in text]
    return "ucs2", [2 if ord(char) > 0xFFFF else 1 for char in text]


def sms_segments(text):
    """``(encoding, segments)`` of ``text``: ``"gsm7"`` or ``"ucs2"``, and how many SMS it is billed as.

    An empty text is one segment, as carriers count it.
    """
    encoding, units = _units(text or "")
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "gsm7" else (UCS2_SINGLE, UCS2_MULTI)
    if sum(units) <= single:
        return encoding, 1
    segments, used = 1, 0
    for size in units:  # a two-unit character never straddles two segments
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return encoding, segments
