"""Small helpers of the addon that need no model."""

import hmac
import logging
import threading
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg2

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


# === EXPECTED REFUSALS KEPT OUT OF THE SERVER LOG === #

_expected = threading.local()


class ExpectedViolationFilter(logging.Filter):
    """Drop ``odoo.sql_db``'s "bad query" record of a violation the caller expects and answers itself.

    Odoo logs every failing statement with its full text, values included
    (``odoo.sql_db: bad query``): for a booking that lost the race for a
    slot, an ERROR line holding the customer's data, for what is an
    ordinary "slot taken" answer. Only records of this thread, inside
    :func:`expected_violation`, about one of the constraints it names are
    dropped; any other failing statement is logged as always.
    """

    def filter(self, record):
        names = getattr(_expected, "constraints", None)  # this thread's: a thread-local
        if not names:
            return True
        error = record.args[-1] if isinstance(record.args, tuple) and record.args else None
        return not (isinstance(error, psycopg2.IntegrityError)
                    and getattr(error.diag, "constraint_name", None) in names)


_filter = ExpectedViolationFilter()
logging.getLogger("odoo.sql_db").addFilter(_filter)


@contextmanager
def expected_violation(*constraints):
    """Within the block, a violation of ``constraints`` is an expected answer: not logged by ``odoo.sql_db``.

    The caller catches it (and answers with a clean refusal); the violation
    itself still raises as always.
    """
    previous = getattr(_expected, "constraints", None)
    _expected.constraints = frozenset(constraints) | (previous or frozenset())
    try:
        yield
    finally:
        _expected.constraints = previous


# === ONE COMPILATION OF A MAIL TEMPLATE PER BATCH (models/ir_qweb.py) === #

qweb_memo = ContextVar("self_serve_booking_qweb_memo", default=None)


@contextmanager
def compiled_once():
    """Within the block, ``ir.qweb`` compiles each template element of a given source and options once."""
    token = qweb_memo.set({})
    try:
        yield
    finally:
        qweb_memo.reset(token)
