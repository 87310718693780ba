"""Errors the booking domain raises on purpose.

They subclass Odoo's ``ValidationError``/``UserError``, so the backend shows
them as a clean message, while controllers can tell them apart and answer
with the right HTTP status and a stable error code instead of a generic error.
"""

from odoo.exceptions import UserError, ValidationError


class SlotUnavailableError(ValidationError):
    """The requested time is not (or no longer) bookable for that provider.

    Raised both when the availability engine does not offer the slot and when
    PostgreSQL's exclusion constraint refuses an overlapping booking, which is
    the last word across workers and nodes. ``alternatives`` may hold the
    nearest free slots to propose instead.
    """

    def __init__(self, message, alternatives=()):
        super().__init__(message)
        self.alternatives = list(alternatives)


class BookingInputError(ValidationError):
    """Customer input that cannot be booked, with a message per field.

    ``fields`` maps a field path (``start``, ``customer.email``) to a message.
    """

    def __init__(self, fields, message=None):
        self.fields = dict(fields)
        super().__init__(message or "; ".join(f"{name}: {text}" for name, text in self.fields.items()))


class LoginRequiredError(UserError):
    """The page takes bookings from signed-in customers only."""


class BookingActionRefused(UserError):
    """A customer's request the rules refuse (too late to cancel, wrong state...).

    ``code`` is the stable reason: ``policy_limit``, ``invalid_state``,
    ``window_closed``.
    """

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class IdempotencyKeyReused(UserError):
    """An ``Idempotency-Key`` sent again with another request body (422)."""


class ContractMismatchError(BookingInputError):
    """A request whose shape the API contract cannot describe (unknown fields, wrong JSON types).

    Sent by a client built from another version of the contract: answered
    with its own error code, ``contract_mismatch``, naming the fields.
    """


class SeriesUnavailableError(ValidationError):
    """Some occurrences of a recurring booking cannot be had: nothing was booked.

    ``occurrences`` is the plan (``booking.series._plan``): each start with
    whether it is free, why not, and the nearest free times instead.
    """

    def __init__(self, message, occurrences=()):
        super().__init__(message)
        self.occurrences = list(occurrences)
