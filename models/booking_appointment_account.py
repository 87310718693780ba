from odoo import fields, models

from odoo.addons.auth_signup.models.res_partner import SignupError


class BookingAppointment(models.Model):
    """The customer's account: a visitor's booking may open one; staff merge a visitor with a known customer."""

    _inherit = "booking.appointment"

    partner_same_as_id = fields.Many2one(related="partner_id.booking_same_as_id",
                                         groups="self_serve_booking.group_booking_user")

    def _can_invite_to_account(self):
        """A visitor's booking (its contact made from what they typed) may open an account."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        return bool(partner.booking_unverified and partner.email_normalized and not partner.user_ids)

    def _invite_to_account(self):
        """Open a portal account from this booking's link: the message to show.

        Whoever holds the link proved nothing, so the account is made on a
        contact of its own holding only the booking's name and e-mail (which
        its owner proves by choosing a password from the invitation), never
        on an existing customer's record; this booking moves to it. An
        address that already has an account, or a customer, gets nothing.
        """
        self.ensure_one()
        env = self.env
        partner = self.partner_id.sudo()
        email = partner.email_normalized
        if not self._can_invite_to_account():
            return env._("Sign in to see your bookings.")
        allowed, _retry = env["booking.rate.limit"].sudo()._hit(f"invite:{email}", 3, 60)
        if not allowed:
            return env._("We could not send an invitation. Please try again later.")
        Users = env["res.users"].sudo().with_context(active_test=False)
        if Users.search_count([("login", "=ilike", email)], limit=1):
            return env._("An account already uses this e-mail address: sign in with it, or reset its password.")
        if env["res.partner"]._booking_find_customers(self.company_id, email=email):
            return env._("This e-mail address is known to us: create your account from the sign-in page.")
        account = env["res.partner"].sudo().create({
            "name": partner.name, "email": partner.email, "lang": partner.lang, "company_id": False})
        try:
            user = Users.with_context(no_reset_password=True)._create_user_from_template({
                "login": email, "email": partner.email, "partner_id": account.id})
        except SignupError:
            return env._("An account already uses this e-mail address: sign in with it, or reset its password.")
        self.sudo().partner_id = account
        partner.booking_same_as_id = account
        account.signup_prepare(signup_type="signup")
        env.ref("auth_signup.set_password_email").sudo().send_mail(user.id, force_send=False, email_values={
            "email_to": user.email, "email_cc": False, "recipient_ids": [], "partner_ids": []})
        return env._("Check your inbox: we sent %(email)s a link to choose your password.", email=partner.email)

    def action_merge_customer(self):
        """Staff checked that the visitor is the known customer: merge the two contacts (Odoo's wizard)."""
        self.ensure_one()
        return self.partner_id.action_booking_merge_same_as()
