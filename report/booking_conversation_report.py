from odoo import fields, models, tools
from odoo.tools import SQL


class BookingConversationReport(models.Model):
    """Conversations analysis: one row per conversation with the receptionist, its rates computed here.

    ``booked_rate`` is 100 for a conversation that became a booking and 0 for
    any other (``handed_off_rate`` likewise), never empty: the pivot's average
    is the share among all conversations. (Rates stored on the conversation
    were left empty until something happened, and an average skips empty
    values: 2 bookings in 8 conversations read 50 % instead of 25 %.)
    """

    _name = "booking.conversation.report"
    _description = "Conversations Analysis"
    _auto = False
    _rec_name = "conversation_id"
    _order = "date desc"

    date = fields.Datetime(string="Started", readonly=True)
    last_activity = fields.Datetime(readonly=True)
    conversation_id = fields.Many2one("booking.conversation", readonly=True)
    page_id = fields.Many2one("booking.page", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    channel = fields.Selection(
        selection=lambda self: self.env["booking.conversation"]._fields["channel"].selection, readonly=True)
    state = fields.Selection(
        selection=lambda self: self.env["booking.conversation"]._fields["state"].selection, readonly=True)
    hand_off_reason = fields.Selection(
        selection=lambda self: self.env["booking.conversation"]._fields["hand_off_reason"].selection, readonly=True)
    conversation_count = fields.Integer(string="Conversations", readonly=True, aggregator="sum")
    booked_count = fields.Integer(string="Bookings", readonly=True, aggregator="sum",
                                  help="Conversations that became a booking (a declined or expired request did not).")
    handed_off_count = fields.Integer(string="Handed Off", readonly=True, aggregator="sum")
    booked_rate = fields.Float(string="Booked (%)", readonly=True, aggregator="avg",
                               help="Share of the conversations that became a booking: the conversion rate.")
    handed_off_rate = fields.Float(string="Handed off (%)", readonly=True, aggregator="avg",
                                   help="Share of the conversations handed over to a person.")
    turn_count = fields.Float(string="Messages per Conversation", readonly=True, aggregator="avg")

    def _query(self):
        return SQL(
            """
            SELECT c.id AS id,
                   c.id AS conversation_id,
                   c.create_date AS date,
                   c.last_activity AS last_activity,
                   c.page_id AS page_id,
                   c.company_id AS company_id,
                   c.channel AS channel,
                   c.state AS state,
                   c.hand_off_reason AS hand_off_reason,
                   1 AS conversation_count,
                   CASE WHEN c.is_booked THEN 1 ELSE 0 END AS booked_count,
                   CASE WHEN c.is_handed_off THEN 1 ELSE 0 END AS handed_off_count,
                   CASE WHEN c.is_booked THEN 100.0 ELSE 0.0 END AS booked_rate,
                   CASE WHEN c.is_handed_off THEN 100.0 ELSE 0.0 END AS handed_off_rate,
                   COALESCE(c.turn_count, 0) AS turn_count
              FROM booking_conversation c
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
