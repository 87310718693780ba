from odoo import api, fields, models, tools


class ResPartner(models.Model):
    """Customers of bookings, and the identity rule every channel follows.

    What an anonymous visitor types (name, e-mail, phone) never changes an
    existing contact and never files a booking under one: it makes a contact
    of its own, marked "possibly the same as" the customer whose e-mail or
    phone it repeats, which staff merge with Odoo's merge wizard. A booking
    is an existing customer's only when the visitor proved to be them:
    signed in, or with a one-time code sent to a detail already on file.
    """

    _inherit = "res.partner"

    booking_appointment_ids = fields.One2many("booking.appointment", "partner_id", string="Appointments")
    booking_appointment_count = fields.Integer(
        compute="_compute_booking_appointment_count", groups="self_serve_booking.group_booking_user"
    )
    booking_unverified = fields.Boolean(
        string="Unverified Visitor",
        readonly=True,
        copy=False,
        groups="self_serve_booking.group_booking_user",
        help="Made from what a visitor typed when booking, without signing in: nothing on it was proved. "
        "Such a contact never signs in with a code and is never matched to a later booking; merge it with "
        "the customer it belongs to, or mark it verified once you know who it is.",
    )
    booking_same_as_id = fields.Many2one(
        "res.partner",
        string="Possibly the Same As",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="self_serve_booking.group_booking_user",
        help="This contact was made from what a visitor typed when booking, and repeats the e-mail or the "
        "phone of this customer. It was not proved to be them, so the booking was not filed under their "
        "record: merge the two contacts if they are the same person.",
    )

    def _compute_booking_appointment_count(self):
        counts = dict(
            self.env["booking.appointment"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.booking_appointment_count = counts.get(partner, 0)

    def write(self, vals):
        # merging a contact into the one it was "possibly the same as" copies
        # that link onto the survivor: a contact is no duplicate of itself
        if vals.get("booking_same_as_id") and self.ids == [vals["booking_same_as_id"]]:
            vals = dict(vals, booking_same_as_id=False)
        return super().write(vals)

    # === IDENTITY === #

    @api.model
    def _booking_find_customers(self, company, email=None, phone=None):
        """The contacts a merchant knows by ``email`` (normalized) and/or ``phone`` (E.164).

        Both given: contacts holding both. Contacts of another company, and
        contacts made from a visitor's input (``booking_unverified``), are
        never found: the first visitor to type an address must not own it.
        """
        email_normalized = tools.email_normalize(email) if email else False
        if (email and not email_normalized) or not (email or phone):
            return self.browse()
        # contacts made from a visitor's input own nothing: what they hold was typed, not proved
        domain = [("active", "=", True), ("company_id", "in", [False, company.id]),
                  ("booking_unverified", "=", False)]
        if email_normalized:
            domain.append(("email_normalized", "=", email_normalized))
        if phone:
            domain.append(("phone_sanitized", "=", phone))
        return self.sudo().search(domain, order="id")

    @api.model
    def _booking_create_guest(self, company, name, email=None, phone=None, lang=None):
        """A contact of its own for a visitor's booking (never an existing one).

        It belongs to the merchant's company (other merchants' staff do not
        see it) and points to the customer whose e-mail, else phone, it
        repeats, for staff to merge after checking.
        """
        same_as = self.browse()
        if email:
            same_as = self._booking_find_customers(company, email=email)
        if not same_as and phone:
            same_as = self._booking_find_customers(company, phone=phone)
        same_as = same_as[:1]
        return self.sudo().create({
            "name": name,
            "email": email or False,
            "phone": phone or False,
            "company_id": company.id,
            "lang": lang or False,
            "booking_unverified": True,
            "booking_same_as_id": same_as.id,
        })

    # === ACTIONS === #

    def action_view_booking_appointments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("self_serve_booking.booking_appointment_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_booking_mark_verified(self):
        """Staff know who this visitor is: the contact becomes a customer like any other."""
        self.sudo().write({"booking_unverified": False, "booking_same_as_id": False})
        return True

    def action_booking_merge_same_as(self):
        """Open Odoo's merge wizard on this contact and the customer it may duplicate."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "base.partner.merge.automatic.wizard",
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Merge Contacts"),
            "context": {"active_model": "res.partner", "active_ids": (self | self.booking_same_as_id).ids},
        }
