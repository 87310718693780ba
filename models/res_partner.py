from odoo import api, fields, models, tools

from ..exceptions import BookingInputError


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
    booking_no_show_flag = fields.Selection(
        selection=[("auto", "By the cancellation policy"), ("at_risk", "At risk"), ("trusted", "Trusted")],
        string="No-show Protection", default="auto", required=True, tracking=True,
        groups="self_serve_booking.group_booking_user",
        help="At risk: online bookings need full prepayment, or a call, as the page's policy says. Trusted: "
             "never at risk, whatever the no-shows.")
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

    booking_dependant_ids = fields.One2many("booking.dependant", "partner_id", string="Pets & Family")
    booking_dependant_count = fields.Integer(
        compute="_compute_booking_dependant_count", groups="self_serve_booking.group_booking_user")

    def _compute_booking_dependant_count(self):
        counts = dict(self.env["booking.dependant"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]))
        for partner in self:
            partner.booking_dependant_count = counts.get(partner, 0)

    def action_view_booking_dependants(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("self_serve_booking.booking_dependant_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

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
    def _booking_phone_e164(self, phone, country):
        """``phone`` in E.164, read with ``country`` as default (a page's), or False when it is no number."""
        return self._phone_format(number=phone, country=country, force_format="E164") or False

    @api.model
    def _booking_read_guest(self, page, customer):
        """What a visitor typed (``name``, ``email``, ``phone``), checked: ``(name, email, phone in E.164)``.

        :raise BookingInputError: a message per field (``customer.name``...).
        """
        errors = {}
        name = (customer.get("name") or "").strip()
        email = (customer.get("email") or "").strip()
        phone = (customer.get("phone") or "").strip()
        if not name:
            errors["customer.name"] = self.env._("is required")
        if email and not tools.email_normalize(email):
            errors["customer.email"] = self.env._("is not a valid e-mail address")
        phone_e164 = self._booking_phone_e164(phone, page._get_country()) if phone else False
        if phone and not phone_e164:
            errors["customer.phone"] = self.env._("is not a valid phone number")
        if not email and not phone:
            errors["customer.email"] = self.env._("an e-mail or a phone number is required")
        if errors:
            raise BookingInputError(errors)
        return name, email or False, phone_e164

    @api.model
    def _booking_guest_key(self, page, customer):
        """What identifies a visitor's request: ``(name case aside, normalized e-mail, E.164 phone)``.

        Never raises: details that do not parse count as empty (the request
        is refused as invalid later).
        """
        email = tools.email_normalize(customer.get("email") or "") or False
        phone = customer.get("phone")
        return ((customer.get("name") or "").strip().casefold(), email,
                self._booking_phone_e164(phone, page._get_country()) if phone else False)

    @api.model
    def _booking_same_guests(self, page, customer):
        """Contacts made from visitors' input holding exactly these details (a request sent again).

        Name (case aside), e-mail and phone must all match, on a contact of
        the page's merchant made from a visitor's input: never someone
        borrowing one detail, nor a real customer.
        """
        name, email, phone = self._booking_guest_key(page, customer)
        if not name or not (email or phone):
            return self.browse()
        guests = self.sudo().search([
            ("company_id", "=", page.company_id.id), ("booking_unverified", "=", True),
            ("email_normalized", "=", email), ("phone_sanitized", "=", phone),
        ])
        return guests.filtered(lambda partner: (partner.name or "").strip().casefold() == name)

    @api.model
    def _booking_create_guest(self, page, customer):
        """The contact of a visitor's booking, made from what they typed: always a new one.

        Anonymous input never acts as an existing customer (DESIGN.md
        invariant 8): it neither changes nor borrows a contact whose e-mail or
        phone it repeats. The new contact belongs to the merchant's company
        (other merchants' staff do not see it) and points to the customer
        whose e-mail, else phone, it repeats, for staff to merge after
        checking. Visitors who prove who they are (signed in, or a one-time
        code) book as themselves instead.
        """
        name, email, phone = self._booking_read_guest(page, customer)
        company = page.company_id
        same_as = self.browse()
        if email:
            same_as = self._booking_find_customers(company, email=email)
        if not same_as and phone:
            same_as = self._booking_find_customers(company, phone=phone)
        lang = self.env.lang if self.env.lang in dict(self.env["res.lang"].get_installed()) else False
        return self.sudo().create({
            "name": name,
            "email": email,
            "phone": phone,
            "company_id": company.id,
            "lang": lang,
            "booking_unverified": True,
            "booking_same_as_id": same_as[:1].id,
        })

    # === ACTIONS === #

    def action_view_booking_appointments(self):
        self.ensure_one()
        return self.env["booking.appointment"]._get_action_for("partner_id", self)

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
