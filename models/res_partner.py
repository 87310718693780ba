import logging

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL

from ..booking_api.validator import text_error
from ..exceptions import BookingInputError

_logger = logging.getLogger(__name__)

# Written only by the addon's own code (sudo): what was proved about a contact, and how it was made
BOOKING_IDENTITY_FIELDS = frozenset({"booking_verified_email", "booking_verified_phone", "booking_unverified"})


class ResPartner(models.Model):
    """Customers of bookings, and the identity rule every channel follows.

    What an anonymous visitor types (name, e-mail, phone) never changes an
    existing contact and never files a booking under one: it makes a contact
    of its own, marked "possibly the same as" the customer whose e-mail or
    phone it repeats, which staff merge with Odoo's merge wizard. A booking
    is an existing customer's only when the visitor proved to be them:
    signed in, or with a one-time code sent to a detail already on file.

    Verification belongs to a value (DESIGN.md invariant 11): a contact is
    verified for one e-mail address (``booking_verified_email``, normalized)
    and/or one phone number (``booking_verified_phone``, E.164), proved by a
    one-time code sent there, by the password link of an invitation sent
    there, or vouched for by the merchant's staff. Any change of that value,
    whoever makes it (the portal's account page, the backend, an import),
    drops its verification; changing it back does not bring it back. Sign-in
    codes, SMS keywords and invitations act only on contacts verified for
    the very value they come with, and one value is verified on one contact
    only (two customers holding one address are merged by staff).
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
        "It is never matched to a later booking; a code sent to its e-mail or phone proves that value (and "
        "makes it a customer verified for it); merge it with the customer it belongs to, or mark it verified "
        "once you know who it is.",
    )
    # every booking, sign-in and message looks contacts up by these (``_booking_find_customers``...): core
    # stores them without an index, a sequential scan of every contact per lookup (DESIGN.md section 9: a
    # booking costs the same with 100,000 contacts as with 100)
    email_normalized = fields.Char(index="btree_not_null")
    phone_sanitized = fields.Char(index="btree_not_null")
    booking_verified_email = fields.Char(
        string="Verified E-mail", readonly=True, copy=False, index="btree_not_null",
        groups="self_serve_booking.group_booking_user",
        help="The e-mail address this contact proved (a code or an invitation sent there) or staff vouched for. "
        "Changing the e-mail drops it.")
    booking_verified_phone = fields.Char(
        string="Verified Phone", readonly=True, copy=False, index="btree_not_null",
        groups="self_serve_booking.group_booking_user",
        help="The phone number (E.164) this contact proved (a code sent there) or staff vouched for. Changing "
        "the phone drops it.")
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

    @api.model_create_multi
    def create(self, vals_list):
        """What was proved is never typed in: only the addon's own code (sudo) sets it.

        A contact the merchant's own people (or a scheduled job) create is
        their file, which is what a code is checked against (DESIGN.md
        invariant 8): it is verified for the e-mail and phone it is created
        with, unless another contact is already verified for them. A contact
        a visitor's request makes (a guest's booking, a sign-up, an invitation
        from a booking's link: the request's user is public or portal) proves
        nothing.
        """
        if not self.env.su and any(BOOKING_IDENTITY_FIELDS & set(vals) for vals in vals_list):
            raise AccessError(self.env._("Only a code sent to a contact's e-mail or phone, or the merchant's "
                                         "staff, verify it."))
        partners = super().create(vals_list)
        if self.env.user._is_internal():
            for partner in partners.sudo().filtered(
                    lambda p: not p.booking_unverified and (p.email_normalized or p.phone_sanitized)):
                partner._booking_verify(email=partner.email_normalized, phone=partner.phone_sanitized)
        return partners

    def write(self, vals):
        # merging a contact into the one it was "possibly the same as" copies
        # that link onto the survivor: a contact is no duplicate of itself
        if vals.get("booking_same_as_id") and self.ids == [vals["booking_same_as_id"]]:
            vals = dict(vals, booking_same_as_id=False)
        if not self.env.su and BOOKING_IDENTITY_FIELDS & set(vals):
            # every field is writable through call_kw: readonly is for the form only
            raise AccessError(self.env._("Only a code sent to a contact's e-mail or phone, or the merchant's "
                                         "staff, verify it."))
        res = super().write(vals)
        if {"email", "phone", "mobile", "country_id"} & set(vals):
            self._booking_drop_changed_verifications()
        return res

    # === VERIFICATION (one value at a time) === #

    def _booking_current_phones(self):
        """The contact's phone numbers in E.164 (phone and mobile), as its country reads them."""
        self.ensure_one()
        return {self._phone_format(number=number, force_format="E164") for number in (self.phone, self.mobile)
                if number} - {False, None, ""}

    def _booking_drop_changed_verifications(self):
        """Forget what was proved about a value the contact no longer holds (a change drops it for good)."""
        for partner in self.sudo():
            drop = {}
            if partner.booking_verified_email and partner.booking_verified_email != partner.email_normalized:
                drop["booking_verified_email"] = False
            if partner.booking_verified_phone and \
                    partner.booking_verified_phone not in partner._booking_current_phones():
                drop["booking_verified_phone"] = False
            if drop:
                _logger.info("Contact %s: %s changed, its verification dropped", partner.id, ", ".join(drop))
                partner.write(drop)

    def _booking_verified_elsewhere(self, email=None, phone=None):
        """Another contact (that this one's merchant sees) already verified for ``email`` or ``phone``."""
        self.ensure_one()
        domain = [("id", "!=", self.id), ("active", "=", True)]
        if self.company_id:
            domain.append(("company_id", "in", [False, self.company_id.id]))
        if email:
            found = self.sudo().search([*domain, ("booking_verified_email", "=", email)], limit=1)
            if found:
                return found
        if phone:
            return self.sudo().search([*domain, ("booking_verified_phone", "=", phone)], limit=1)
        return self.browse()

    def _booking_verify(self, email=None, phone=None):
        """Record that this contact proved ``email`` (normalized) and/or ``phone`` (E.164), which it holds.

        A value the contact does not hold now is not verified (it changed
        meanwhile); nor is one already verified on another contact (staff
        merge the two): one value, one customer.

        :return: the values verified, ``{"email": ..., "phone": ...}``.
        """
        self.ensure_one()
        partner = self.sudo()
        vals, done = {}, {}
        if email and email == partner.email_normalized:
            if partner._booking_verified_elsewhere(email=email):
                # the address itself stays out of the server log (customer data)
                _logger.info("Contact %s: its e-mail is verified on another contact, left for staff's merge", self.id)
            else:
                vals["booking_verified_email"] = done["email"] = email
        if phone and phone in partner._booking_current_phones():
            if partner._booking_verified_elsewhere(phone=phone):
                _logger.info("Contact %s: its phone is verified on another contact, left for staff's merge", self.id)
            else:
                vals["booking_verified_phone"] = done["phone"] = phone
        if vals:
            partner.write({**vals, "booking_unverified": False})
        return done

    def _booking_claim(self, email=None, phone=None):
        """The contact verified for the value a code just proved (``email`` normalized, or ``phone`` E.164).

        This contact when it holds nothing else unproved (a guest who typed
        only that value); otherwise a new contact of the same merchant holding
        only the proved value (and the name), "possibly the same as" this
        one for staff to merge: whoever typed the other value (a phone next to
        someone's e-mail) must never receive what the value's owner books
        next. An empty recordset when another contact is verified for it.
        """
        self.ensure_one()
        partner = self.sudo()
        if partner._booking_is_verified_for(email=email, phone=phone):
            return self
        unproved_other = (email and partner._booking_current_phones()) or (phone and partner.email_normalized)
        if not unproved_other:
            return self if partner._booking_verify(email=email, phone=phone) else self.browse()
        claimed = self.sudo().create({
            "name": partner.name, "email": partner.email if email else False, "phone": phone or False,
            "company_id": partner.company_id.id, "lang": partner.lang,
        })
        if not claimed._booking_verify(email=email, phone=phone):
            claimed.unlink()
            return self.browse()
        if not partner.booking_same_as_id:
            partner.booking_same_as_id = claimed
        return claimed.with_env(self.env)

    def _booking_is_verified_for(self, email=None, phone=None):
        """Whether this contact is verified for ``email`` (normalized) and/or ``phone`` (E.164), as it holds them."""
        self.ensure_one()
        partner = self.sudo()
        if email and not (partner.booking_verified_email == email == partner.email_normalized):
            return False
        if phone and not (partner.booking_verified_phone == phone and phone in partner._booking_current_phones()):
            return False
        return bool(email or phone)

    # === IDENTITY === #

    @api.model
    def _booking_find_customers(self, company, email=None, phone=None):
        """The contacts a merchant knows by ``email`` (normalized) and/or ``phone`` (E.164): verified for it.

        Both given: contacts verified for the e-mail and holding the phone.
        Contacts of another company, and contacts that merely hold the value
        (typed by a visitor, changed on an account page), are never found:
        whoever types an address first does not own it.
        """
        email_normalized = tools.email_normalize(email) if email else False
        if (email and not email_normalized) or not (email or phone):
            return self.browse()
        domain = [("active", "=", True), ("company_id", "in", [False, company.id])]
        if email_normalized:
            domain += [("booking_verified_email", "=", email_normalized), ("email_normalized", "=", email_normalized)]
            if phone:
                domain.append(("phone_sanitized", "=", phone))
        else:
            domain.append(("booking_verified_phone", "=", phone))
        return self.sudo().search(domain, order="id").filtered(
            lambda partner: partner._booking_is_verified_for(email=email_normalized or None,
                                                             phone=None if email_normalized else phone))

    @api.model
    def _booking_unclaimed_holders(self, company, email=None, phone=None):
        """Contacts that hold ``email`` (normalized) or ``phone`` (E.164) but proved nothing at all, newest first.

        A visitor's contact (what they typed when booking) or one staff made
        without vouching for it: no account (nobody signs in as it), no
        verified value. A code sent to the value proves it, and the contact
        becomes that customer's (``booking.customer.session``). A contact with
        an account, or verified for another value, is never claimed this way:
        its owner is someone else until proved otherwise.
        """
        email_normalized = tools.email_normalize(email) if email else False
        if not (email_normalized or phone):
            return self.browse()
        domain = [("active", "=", True), ("company_id", "in", [False, company.id]),
                  ("booking_verified_email", "=", False), ("booking_verified_phone", "=", False)]
        domain.append(("email_normalized", "=", email_normalized) if email_normalized
                      else ("phone_sanitized", "=", phone))
        return self.sudo().with_context(active_test=False).search(domain, order="id desc").filtered(
            lambda partner: not partner.user_ids)

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
        elif text_error(name):  # whatever channel it came by (the API's contract checks it too)
            errors["customer.name"] = self.env._("must not contain control characters")
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
    def _booking_same_guests(self, page, customer, serialize=False):
        """Contacts made from visitors' input holding exactly these details (a request sent again).

        Name (case aside), e-mail and phone must all match, on a contact of
        the page's merchant made from a visitor's input: never someone
        borrowing one detail, nor a real customer.

        :param serialize: take the serialization key of these details
            (``booking.serial.lock``) first, in the same statement: two
            identical requests at once run one after the other.
        """
        name, email, phone = self._booking_guest_key(page, customer)
        SerialLock = self.env["booking.serial.lock"].sudo()
        lock_key = ("guest", page.id, name or "", email or "", phone or "")
        if not name or not (email or phone):
            if serialize:
                SerialLock._serialize(*lock_key)
            return self.browse()
        query = self.sudo()._search([
            ("company_id", "=", page.company_id.id), ("booking_unverified", "=", True),
            ("email_normalized", "=", email), ("phone_sanitized", "=", phone),
        ], order="id")
        select = query.select(SQL.identifier(query.table, "id"), SQL.identifier(query.table, "name"))
        rows = SerialLock._serialize(*lock_key, then=select) if serialize else self.env.execute_query(select)
        return self.browse(partner_id for partner_id, partner_name in rows
                           if (partner_name or "").strip().casefold() == name)

    @api.model
    def _booking_create_guest(self, page, customer, same_as=True):
        """The contact of a visitor's booking, made from what they typed: always a new one.

        Anonymous input never acts as an existing customer (DESIGN.md
        invariant 8): it neither changes nor borrows a contact whose e-mail or
        phone it repeats. The new contact belongs to the merchant's company
        (other merchants' staff do not see it) and points to the customer
        whose e-mail, else phone, it repeats, for staff to merge after
        checking. Visitors who prove who they are (signed in, or a one-time
        code) book as themselves instead.

        :param same_as: look up the customer it repeats now; else later, with
            ``_booking_link_same_as`` (a booking answered first: staff merge
            contacts at their desk, not while the visitor waits).
        """
        name, email, phone = self._booking_read_guest(page, customer)
        company = page.company_id
        same_as = self._booking_find_same_as(company, email=email, phone=phone) if same_as else self.browse()
        lang = self.env.lang if self.env.lang in dict(self.env["res.lang"].get_installed()) else False
        # no "Contact created" chatter line nor tracking for a contact made by a booking: a booking costs
        # what it must (issue 26); the booking's own chatter tells where it came from
        # the merchant's company is the current one: its defaults (ir.default) apply, and nothing reads the
        # request's user to find out which company is current
        Partner = self.sudo().with_context(mail_create_nolog=True, mail_create_nosubscribe=True,
                                           tracking_disable=True, allowed_company_ids=company.ids)
        partner = Partner.create(Partner._booking_guest_values({
            "name": name,
            "email": email,
            "phone": phone,
            "company_id": company.id,
            "lang": lang,
            "booking_unverified": True,
            "booking_same_as_id": same_as.id,
            # what their computations would store, known here: a new contact has no user, so it is shared
            # (_compute_partner_share reads the superuser to say so); the phone is in E.164 already, its
            # sanitized form (_compute_phone_sanitized reads the current company's country for it)
            "partner_share": True,
            "phone_sanitized": phone,
        }))
        for name in ("partner_share", "phone_sanitized"):
            self.env.remove_to_compute(self._fields[name], partner)
        return partner.with_env(self.sudo().env)

    def _booking_link_same_as(self):
        """Point guests' contacts made without the look-up at the customer each repeats (see above)."""
        for partner in self.sudo().filtered(lambda p: p.booking_unverified and not p.booking_same_as_id):
            same_as = partner._booking_find_same_as(partner.company_id, email=partner.email, phone=partner.phone)
            if same_as:
                partner.booking_same_as_id = same_as

    @api.model
    def _booking_find_same_as(self, company, email=None, phone=None):
        """The customer a guest's contact repeats: verified for ``email``, else for ``phone`` (one query).

        What ``_booking_find_customers`` finds for the e-mail, else for the
        phone (the first by id), looked up together.
        """
        email_normalized = tools.email_normalize(email) if email else False
        by_email = [("booking_verified_email", "=", email_normalized), ("email_normalized", "=", email_normalized)]
        by_phone = [("booking_verified_phone", "=", phone)]
        if email_normalized and phone:
            match = expression.OR([by_email, by_phone])
        elif email_normalized or phone:
            match = by_email if email_normalized else by_phone
        else:
            return self.browse()
        found = self.sudo().search(
            [("active", "=", True), ("company_id", "in", [False, company.id]), *match], order="id")
        if email_normalized:
            for partner in found:
                if partner._booking_is_verified_for(email=email_normalized):
                    return partner
        if phone:
            for partner in found:
                if partner._booking_is_verified_for(phone=phone):
                    return partner
        return self.browse()

    @api.model
    def _booking_guest_values(self, vals):
        """``vals`` of a guest's contact completed so that ``create`` reads nothing it need not (issue 26).

        - defaults of fields ``create`` discards (not stored, no inverse),
          e.g. account's ``show_credit_limit`` (reads the company) and
          ``display_invoice_template_pdf_report_id`` (counts reports): they
          are not computed;
        - editable computed fields (peppol, company registry...) computed in
          memory by their own methods, as a ``precompute`` field is (their
          computation after the INSERT reads the row again for their previous
          values), on a draft holding what they depend on: a guest's values
          hold none of what they read (country, VAT, registry numbers), and a
          draft of all the values costs four times as much.
        """
        vals = dict.fromkeys(self._booking_discarded_defaults(), False) | vals
        editable, depends = self._booking_editable_computed()
        missing = [name for name in editable if name not in vals]
        if missing:
            draft = self.new({name: value for name, value in vals.items() if name in depends})
            for name in missing:
                vals[name] = self._fields[name].convert_to_write(draft[name], draft)
        return vals

    @api.model
    @tools.ormcache()
    def _booking_discarded_defaults(self):
        """Fields whose default ``create`` computes and throws away: not stored, no inverse."""
        return tuple(sorted(
            name for name, field in self._fields.items()
            if field.default and not field.store and not field.inverse and not field.inherited and not field.related
            and field.type not in ("one2many", "many2many", "properties")
        ))

    @api.model
    @tools.ormcache()
    def _booking_editable_computed(self):
        """Stored computed fields a value in ``create`` protects (editable, not precomputed by Odoo), and
        the fields they depend on (their declared dependencies, through computed and related fields)."""
        names = tuple(sorted(
            name for name, field in self._fields.items()
            if field.store and field.compute and not field.readonly and not field.precompute
            and not field.related and field.type not in ("one2many", "many2many", "binary")
        ))
        depends, todo = set(), [self._fields[name] for name in names]
        while todo:
            for path in self.pool.field_depends[todo.pop()]:
                field = self._fields.get(path.split(".")[0])
                if field and field.name not in depends:
                    depends.add(field.name)
                    if field.compute or field.related:
                        todo.append(field)
        return names, frozenset(depends)

    # === ACTIONS === #

    def action_view_booking_appointments(self):
        self.ensure_one()
        return self.env["booking.appointment"]._get_action_for("partner_id", self)

    def action_booking_mark_verified(self):
        """Staff know who this contact is: verified for its current e-mail and phone.

        Booking staff of the contact's company only (every public method is
        callable through call_kw by anyone who can read the contact); a value
        already verified on another contact is refused: merge the two.
        """
        user = self.env.user
        if not self.env.su and not user.has_group("self_serve_booking.group_booking_user"):
            raise AccessError(self.env._("Only the merchant's Booking staff verify a customer."))
        for partner in self:
            if not self.env.su and partner.company_id and partner.company_id not in user.company_ids:
                raise AccessError(self.env._("Only the merchant's Booking staff verify a customer."))
            partner.check_access("read")
            sudo_partner = partner.sudo()
            email, phones = sudo_partner.email_normalized, sudo_partner._booking_current_phones()
            phone = sudo_partner.phone_sanitized if sudo_partner.phone_sanitized in phones else next(iter(phones), None)
            other = sudo_partner._booking_verified_elsewhere(email=email, phone=phone)
            if other:
                raise UserError(self.env._(
                    "%(other)s is already verified for this e-mail or phone: merge the two contacts instead.",
                    other=other.display_name))
            if not email and not phone:
                raise UserError(self.env._("This contact has no e-mail or phone to verify."))
            sudo_partner._booking_verify(email=email, phone=phone)
            sudo_partner.write({"booking_unverified": False, "booking_same_as_id": False})
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
