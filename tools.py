"""Small helpers of the addon that need no model."""

import hmac

from .booking_api.validator import text_error
from .exceptions import BookingInputError


def safe_consteq(expected, given):
    """Whether ``given`` equals the secret ``expected``, in constant time, whatever ``given`` is.

    ``hmac.compare_digest`` (Odoo's ``consteq``) raises ``TypeError`` on a
    string holding non-ASCII characters: a token or a signature from a URL,
    a header or a JSON body can be anything, and must be "wrong", not a 500.
    """
    if not isinstance(expected, str) or not isinstance(given, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def clean_text(env, value, field, max_length=2000):
    """Free text from outside (a note, a reason), stripped and cut to ``max_length``; False when empty.

    Text holding control characters is refused (a 400 on ``field``):
    PostgreSQL cannot store NUL, and no customer types the others.
    """
    value = (value or "").strip()
    if text_error(value):
        raise BookingInputError({field: env._("must not contain control characters")})
    return value[:max_length] or False
