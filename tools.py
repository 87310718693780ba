"""Small helpers of the addon that need no model."""

import hmac


def safe_consteq(expected, given):
    """Whether ``given`` equals the secret ``expected``, in constant time, whatever ``given`` is.

    ``hmac.compare_digest`` (Odoo's ``consteq``) raises ``TypeError`` on a
    string holding non-ASCII characters: a token or a signature from a URL,
    a header or a JSON body can be anything, and must be "wrong", not a 500.
    """
    if not isinstance(expected, str) or not isinstance(given, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
