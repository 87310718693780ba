import hashlib
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, mute_logger


class BookingSerialLock(models.Model):
    """Keys that make concurrent transactions about the same thing run one after the other.

    ``_serialize(key)`` upserts the key's row: a second transaction doing
    the same waits for the first; if the first commits, PostgreSQL refuses
    the second (a serialization failure, at REPEATABLE READ) and Odoo runs
    it again from the start, when it sees what the first one wrote. Used
    where no constraint can say "the same", e.g. two identical requests of
    a visitor booking two providers at once.
    """

    _name = "booking.serial.lock"
    _description = "Booking Serialization Key"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    touched_at = fields.Datetime(required=True, readonly=True, index=True)

    _sql_constraints = [("key_unique", "UNIQUE(key)", "A serialization key exists once.")]

    @api.model
    def _serialize(self, *parts, then=None):
        """Take the key of ``parts``; ``then``: a query run by the same statement, whose rows are returned.

        The query sees what the transaction's snapshot sees, as it would
        after the upsert (at REPEATABLE READ the snapshot is the
        transaction's, taken at its first statement): one statement instead
        of two, the same answers.
        """
        key = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
        upsert = SQL(
            """
            INSERT INTO booking_serial_lock (key, touched_at) VALUES (%(key)s, %(now)s)
            ON CONFLICT (key) DO UPDATE SET touched_at = EXCLUDED.touched_at
            """,
            key=key, now=fields.Datetime.now(),
        )
        # the refused upsert of a concurrent transaction is expected (Odoo retries it): not an error
        with mute_logger("odoo.sql_db"):
            if then is None:
                self.env.cr.execute(upsert)
                return None
            # a data-modifying WITH runs to completion whether or not the query reads it
            return self.env.execute_query(SQL("WITH serial_lock AS (%s RETURNING 1) %s", upsert, then))

    @api.autovacuum
    def _gc_keys(self):
        self.env["booking.scheduler"]._unlink_each(
            self.sudo().search([("touched_at", "<", fields.Datetime.now() - timedelta(days=1))]),
            "Delete old serialization keys", "gc_serial_locks")
