from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

COMPLETE_CRON = "self_serve_booking.ir_cron_complete_bookings"


class BookingAppointment(models.Model):
    """A booking made online is answered as soon as its time is safely taken.

    The request that books inserts the appointment (its time held by the
    exclusion constraint, its reference, its customer) and answers; what the
    answer does not need (``_complete_creation``: the chatter line, the
    followers, the bill when nothing is due yet, the first state's messages,
    live news; the customer a visitor's new contact may repeat) follows
    right after, in the scheduled action this request wakes (DESIGN.md
    invariant 6: side effects never block a booking). A
    booking is completed once, by whoever comes first: the scheduled action,
    or any change to it (``write``: a cancellation a second later finds its
    bill and sends its confirmation first), or the customer opening it.
    """

    _inherit = "booking.appointment"

    creation_pending = fields.Boolean(
        string="Completion Pending", readonly=True, copy=False,
        help="Booked online a moment ago: its chatter line, followers, bill and messages are on their way.")

    def init(self):
        result = super().init()
        # the scheduled action's "still to complete": a handful of rows at most, whatever the history
        self.env.cr.execute(SQL(
            "CREATE INDEX IF NOT EXISTS booking_appointment_creation_pending_index"
            " ON booking_appointment (id) WHERE creation_pending"))
        return result

    # === HOOKS === #

    def _complete_creation(self):
        """Bookings answered first wait for ``_complete_pending`` (the scheduled action, a change, a view)."""
        return super(BookingAppointment, self - self.filtered("creation_pending"))._complete_creation()

    @api.model_create_multi
    def create(self, vals_list):
        self._check_intake_vals(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._check_intake_vals([vals])
        # whatever changes a new booking finds it complete: its bill, its followers, its first messages
        self.sudo()._complete_pending()
        return super().write(vals)

    def _check_intake_vals(self, vals_list):
        """Only the code marks a booking to complete later, and only completing it clears the mark."""
        if not self.env.su and any("creation_pending" in vals for vals in vals_list):
            raise AccessError(self.env._("Whether a new booking is complete is kept by the booking itself."))

    # === COMPLETION === #

    def _ensure_complete(self):
        """``self``, each completed if it was still waiting: for whoever shows a booking (its bill, its state)."""
        self.sudo()._complete_pending()
        return self

    def _complete_pending(self):
        """Complete the bookings of ``self`` still waiting, each once: the first transaction to claim it does."""
        pending = self.filtered("creation_pending")
        if pending:
            claimed = pending._claim_creation()
            claimed.partner_id._booking_link_same_as()  # a visitor's contact: whom it may repeat, for staff
            claimed._post_creation_line()
            claimed._complete_creation()

    def _claim_creation(self):
        """The appointments of ``self`` still to complete, marked complete in this transaction (row locks).

        A concurrent claimer waits for this transaction, then finds them complete (or, under Odoo's
        repeatable read, retries and does).
        """
        self.env.cr.execute(SQL(
            "UPDATE booking_appointment SET creation_pending = FALSE WHERE id IN %s AND creation_pending RETURNING id",
            tuple(self.ids),
        ))
        claimed = {row[0] for row in self.env.cr.fetchall()}
        self.invalidate_recordset(["creation_pending"], flush=False)
        return self.filtered(lambda a: a.id in claimed)

    def _post_creation_line(self):
        """The chatter's first line, by whoever booked, dated when they did (mail.thread's, skipped at creation)."""
        for appointment in self.sudo():
            message = appointment._message_log(
                body=appointment._creation_message(),
                author_id=appointment.create_uid.partner_id.id,
            )
            message.date = appointment.create_date

    @api.model
    def _intake_values(self):
        """What ``create`` takes for a booking to complete after its creator's answer (see the class)."""
        self.env["booking.scheduler"]._wake(COMPLETE_CRON)
        return {"creation_pending": True}

    @api.model
    def _complete_pending_creations(self, batch_size=200):
        """Complete up to ``batch_size`` bookings made online: ``(done, maybe more left)``.

        Each in its own savepoint (DESIGN.md invariant 12); rows another run or a request is completing
        are skipped (``SKIP LOCKED``), not waited for.
        """
        Scheduler = self.env["booking.scheduler"]
        ids = Scheduler._locked_ids(SQL(
            """
            SELECT id FROM booking_appointment
             WHERE creation_pending AND %s
          ORDER BY id
             LIMIT %s
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            Scheduler._not_waiting_to_retry("complete_bookings", "booking.appointment", SQL("booking_appointment.id")),
            batch_size,
        ))
        appointments = self.sudo().browse(ids)
        Scheduler._for_each(appointments, lambda appointment: appointment._complete_pending(),
                            self.env._("Complete new bookings"), "complete_bookings")
        return len(ids), len(ids) == batch_size
