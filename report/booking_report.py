from odoo import fields, models, tools
from odoo.tools import SQL


class BookingReport(models.Model):
    """Bookings analysis: one row per appointment, with measures that average well.

    ``no_show_rate`` is 100 for a no-show, 0 for an appointment that took
    place and NULL for anything else, so the pivot's average is the no-show
    rate among appointments that were due, unaffected by cancellations.
    """

    _name = "booking.report"
    _description = "Bookings Analysis"
    _auto = False
    _rec_name = "start"
    _order = "start desc"

    start = fields.Datetime(readonly=True)
    name = fields.Char(string="Reference", readonly=True)
    page_id = fields.Many2one("booking.page", readonly=True)
    service_id = fields.Many2one("booking.service", readonly=True)
    provider_id = fields.Many2one("booking.provider", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    state = fields.Selection(
        selection=lambda self: self.env["booking.appointment"]._fields["state"].selection,
        readonly=True,
    )
    source = fields.Selection(
        selection=lambda self: self.env["booking.appointment"]._fields["source"].selection,
        readonly=True,
    )
    channel = fields.Selection(
        selection=lambda self: self.env["booking.appointment"]._fields["channel"].selection,
        readonly=True,
    )
    booking_count = fields.Integer(string="Bookings", readonly=True, aggregator="sum")
    duration_hours = fields.Float(string="Booked Hours", readonly=True, aggregator="sum")
    revenue = fields.Monetary(
        readonly=True, aggregator="sum", help="Price of the appointments that took place.",
    )
    booked_value = fields.Monetary(
        readonly=True, aggregator="sum", help="Price of the appointments that hold time (upcoming or done).",
    )
    no_show_rate = fields.Float(string="No-show Rate (%)", readonly=True, aggregator="avg")
    cancellation_rate = fields.Float(string="Cancellation Rate (%)", readonly=True, aggregator="avg")
    request_count = fields.Integer(string="Requests", readonly=True, aggregator="sum",
                                   help="Bookings that waited for the merchant's approval.")
    answer_hours = fields.Float(string="Hours to Answer", readonly=True, aggregator="avg",
                                help="How long the merchant took to approve or decline a request.")
    request_expired_rate = fields.Float(string="Requests Expired (%)", readonly=True, aggregator="avg",
                                        help="Share of requests nobody answered in time.")

    def _query(self):
        return SQL(
            """
            SELECT a.id AS id,
                   a.start AS start,
                   a.name AS name,
                   a.page_id AS page_id,
                   a.service_id AS service_id,
                   a.provider_id AS provider_id,
                   a.partner_id AS partner_id,
                   a.company_id AS company_id,
                   c.currency_id AS currency_id,
                   a.state AS state,
                   a.source AS source,
                   a.channel AS channel,
                   1 AS booking_count,
                   a.duration_minutes / 60.0 AS duration_hours,
                   CASE WHEN a.state = 'done' THEN a.price ELSE 0 END AS revenue,
                   CASE WHEN a.state IN ('pending_payment', 'pending', 'confirmed', 'checked_in', 'done')
                        THEN a.price ELSE 0 END AS booked_value,
                   CASE WHEN a.state = 'no_show' THEN 100.0
                        WHEN a.state = 'done' THEN 0.0 END AS no_show_rate,
                   CASE WHEN a.state IN ('cancelled', 'rejected', 'expired') THEN 100.0
                        ELSE 0.0 END AS cancellation_rate,
                   CASE WHEN a.pending_since IS NOT NULL THEN 1 ELSE 0 END AS request_count,
                   CASE WHEN a.pending_since IS NULL THEN NULL
                        WHEN a.confirmed_at >= a.pending_since
                        THEN EXTRACT(EPOCH FROM a.confirmed_at - a.pending_since) / 3600.0
                        WHEN a.state = 'rejected' AND a.cancelled_at >= a.pending_since
                        THEN EXTRACT(EPOCH FROM a.cancelled_at - a.pending_since) / 3600.0 END AS answer_hours,
                   CASE WHEN a.pending_since IS NULL OR a.state = 'pending' THEN NULL
                        WHEN a.state = 'expired' AND a.confirmed_at IS NULL THEN 100.0
                        ELSE 0.0 END AS request_expired_rate
              FROM booking_appointment a
              JOIN res_company c ON c.id = a.company_id
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
