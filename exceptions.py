"""Errors the booking domain raises on purpose.

They subclass Odoo's ``ValidationError``, so the backend shows them as a clean
message, while controllers can tell them apart and answer with the right HTTP
status instead of a generic error.
"""

from odoo.exceptions import ValidationError


class SlotUnavailableError(ValidationError):
    """The requested time is not (or no longer) bookable for that provider.

    Raised both when the availability engine does not offer the slot and when
    PostgreSQL's exclusion constraint refuses an overlapping booking, which is
    the last word across workers and nodes.
    """
