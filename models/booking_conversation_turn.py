from odoo import fields, models


class BookingConversationTurn(models.Model):
    """One message of a conversation with the receptionist: the transcript staff read."""

    _name = "booking.conversation.turn"
    _description = "Booking Conversation Message"
    _order = "id"

    conversation_id = fields.Many2one("booking.conversation", required=True, ondelete="cascade", index=True,
                                      readonly=True)
    company_id = fields.Many2one(related="conversation_id.company_id", store=True, index=True)
    author = fields.Selection(
        selection=[("customer", "Customer"), ("receptionist", "Receptionist"), ("staff", "Staff")],
        required=True, readonly=True,
    )
    body = fields.Text(readonly=True)
    understood = fields.Boolean(default=True, readonly=True,
                                help="Whether the receptionist understood this customer message.")
