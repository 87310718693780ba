from odoo import api, fields, models


class PaymentToken(models.Model):
    _inherit = "payment.token"

    booking_default = fields.Boolean(
        string="Default for Bookings",
        help="The card charged for balances, tips and fees of this customer's bookings.",
    )
    booking_only_appointment_id = fields.Many2one(
        "booking.appointment",
        string="Saved for Booking",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        help="Saved by someone paying through this booking's link, not by the customer signed in: it is "
        "charged for this booking only and never offered to the customer.",
    )
    booking_owner_verified = fields.Boolean(
        string="Saved by its Owner",
        readonly=True,
        help="Saved while its owner was signed in (or chosen by them for bookings in the portal): only such "
        "cards are charged off-session for their other bookings. A card saved on a booking's link is "
        "charged for that booking only.",
    )

    def _booking_label(self):
        """The card as a customer recognises it: "Visa •••• 4242"."""
        self.ensure_one()
        details = (self.payment_details or "")[-4:]
        return f"{self.payment_method_id.name} •••• {details}" if details else self.display_name

    def _get_available_tokens(self, providers_ids, partner_id, is_validation=False, **kwargs):
        """A card someone saved through a booking's link is not its customer's to choose, anywhere."""
        tokens = super()._get_available_tokens(providers_ids, partner_id, is_validation=is_validation, **kwargs)
        return tokens.filtered(lambda token: not token.booking_only_appointment_id)

    @api.model_create_multi
    def create(self, vals_list):
        tokens = super().create(vals_list)
        tokens.filtered("booking_default")._unset_other_booking_defaults()
        return tokens

    def write(self, vals):
        res = super().write(vals)
        if vals.get("booking_default"):
            self._unset_other_booking_defaults()
        return res

    def _unset_other_booking_defaults(self):
        """One default card per customer."""
        for token in self:
            self.search([
                ("id", "!=", token.id),
                ("partner_id", "child_of", token.partner_id.commercial_partner_id.id),
                ("booking_default", "=", True),
            ]).write({"booking_default": False})
