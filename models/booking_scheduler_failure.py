from datetime import timedelta

from odoo import api, fields, models

FAILURE_MEMORY = timedelta(days=7)  # a failure nobody tried again for this long is forgotten


class BookingSchedulerFailure(models.Model):
    """A record a scheduled job could not handle: when the job tries it again, and what staff were told.

    Written by ``booking.scheduler._for_each`` after the record's savepoint
    was rolled back, so it survives the failure it describes. It is what
    keeps one bad record from costing the others: the job leaves the record
    alone until ``retry_at``, later after each failure (so it is neither
    taken again in the same run nor first in every batch), and staff get one
    activity per record and problem rather than one per run. Deleted as soon
    as the job handles the record, or when nobody tried it for a week.
    """

    _name = "booking.scheduler.failure"
    _description = "Booking Scheduled Job Failure"
    _order = "id desc"

    # === WHAT FAILED === #
    job = fields.Char(required=True, readonly=True, help="The scheduled job's key, e.g. waitlist_offers.")
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(string="Record", model_field="res_model", required=True, readonly=True)
    page_id = fields.Many2one("booking.page", readonly=True, ondelete="cascade", index="btree_not_null")
    problem = fields.Char(readonly=True, help="The error, as staff read it in the activity.")

    # === WHEN AGAIN === #
    attempts = fields.Integer(readonly=True)
    retry_at = fields.Datetime(
        string="Next Try", readonly=True,
        help="The job leaves the record alone until then. Empty: the job keeps its own retry schedule on the "
             "record (messages, calendars).")

    # === WHO WAS TOLD === #
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")

    _sql_constraints = [
        ("job_record_unique", "UNIQUE(job, res_model, res_id)", "A job remembers one failure per record."),
    ]

    @api.autovacuum
    def _gc_forgotten(self):
        """Forget failures nobody tried again for a week: their record was deleted, or is no longer due."""
        stale = self.sudo().search([("write_date", "<", fields.Datetime.now() - FAILURE_MEMORY)])
        self.env["booking.scheduler"]._unlink_each(stale, "Forget old failures of scheduled jobs", "gc_failures")
