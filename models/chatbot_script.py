from odoo import fields, models


class ChatbotScript(models.Model):
    """A live-chat bot script may be a page's receptionist: its answering step is the conversation engine."""

    _inherit = "chatbot.script"

    booking_page_id = fields.Many2one("booking.page", string="Receptionist of", readonly=True, index="btree_not_null",
                                      ondelete="set null")
