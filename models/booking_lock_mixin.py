import psycopg2

from odoo import models
from odoo.tools import SQL, mute_logger


class BookingLockMixin(models.AbstractModel):
    """Row locks for answers given from links and for payments, that never wait."""

    _name = "booking.lock.mixin"
    _description = "Booking Row Lock"

    def _try_lock(self):
        """Lock these rows for this transaction, or return False if somebody else holds them.

        ``NOWAIT``, as ``website_sale`` locks an order before a payment: a
        double tap, or a customer tapping while staff act in the backend,
        gets a "try again" instead of waiting on, then repeating, the other.
        The refused lock is expected, so PostgreSQL's error is not logged.
        """
        if not self:
            return True
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.env.cr.execute(SQL(
                    "SELECT 1 FROM %s WHERE id IN %s FOR NO KEY UPDATE NOWAIT",
                    SQL.identifier(self._table), tuple(self.ids)))
        except psycopg2.errors.LockNotAvailable:
            return False
        self.invalidate_recordset()
        return True
