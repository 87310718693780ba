from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def signup(self, values, token=None):
        """A password chosen from a link sent to an address proves that address (an invitation).

        The link went to the contact's e-mail: once its owner chose a
        password through it, the contact is verified for that e-mail, if it
        still holds it (DESIGN.md invariant 11). A sign-up without a link
        proves nothing.
        """
        partner = self.env["res.partner"]
        email = False
        if token:
            partner = self.env["res.partner"].sudo()._signup_retrieve_partner(token, check_validity=True)
            email = partner.email_normalized if partner else False
        result = super().signup(values, token=token)
        if partner and email:
            partner.sudo()._booking_verify(email=email)
        return result
