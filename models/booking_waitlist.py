from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from odoo.addons.resource.models.utils import float_to_time

from ..const import WAITLIST_OPEN_STATES
from ..exceptions import BookingInputError
from ..exceptions import LoginRequiredError
from ..tools import clean_text


class BookingWaitlist(models.Model):
    """A customer waiting for a service on a date, in a window of the day.

    When a matching slot frees up, the oldest waiting entry gets an offer: the
    slot is held for it until a deadline; it is booked when accepted, or
    passed on to the next entry when the offer lapses.
    """

    _name = "booking.waitlist"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "booking.lock.mixin",
        "booking.signed.link.mixin",
        "booking.notification.mixin",
    ]
    _description = "Waitlist Entry"
    _order = "date, create_date, id"
    _check_company_auto = True

    # === REQUEST === #
    name = fields.Char(string="Reference", required=True, copy=False, readonly=True, default="/")
    page_id = fields.Many2one("booking.page", required=True, index=True, check_company=True)
    company_id = fields.Many2one(related="page_id.company_id", store=True, index=True, precompute=True)
    service_id = fields.Many2one("booking.service", required=True, check_company=True)
    provider_id = fields.Many2one(
        "booking.provider", check_company=True, help="Empty: any provider who delivers the service."
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    partner_email = fields.Char(related="partner_id.email", string="E-mail")
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    date = fields.Date(string="Preferred Date", required=True)
    time_from = fields.Float(string="From", help="Earliest start the customer accepts, local time. Empty: any.")
    time_to = fields.Float(string="To", help="Latest end the customer accepts, local time. Empty: any.")
    service_location = fields.Selection(related="service_id.location")
    address = fields.Char(
        string="Customer's Address", tracking=True,
        help="Where the job takes place, for services delivered at the customer's address: an offer books it there.")
    note = fields.Text()
    source = fields.Selection(
        selection=[("website", "Website"), ("backend", "Backend"), ("api", "API"), ("sms", "SMS receptionist"),
                   ("chat", "Chat receptionist")],
        default="backend", required=True,
    )

    # === STATE === #
    state = fields.Selection(
        selection=[
            ("waiting", "Waiting"),
            ("offered", "Offered"),
            ("booked", "Booked"),
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
        ],
        default="waiting",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )

    # === OFFER === #
    offer_start = fields.Datetime(readonly=True, copy=False)
    offer_provider_id = fields.Many2one("booking.provider", readonly=True, copy=False, check_company=True)
    offer_expires_at = fields.Datetime(string="Offer Deadline", readonly=True, copy=False)
    appointment_id = fields.Many2one("booking.appointment", readonly=True, copy=False, check_company=True)

    # === CONSTRAINTS === #

    @api.constrains("time_from", "time_to")
    def _check_window(self):
        for entry in self:
            if not (0 <= entry.time_from <= 24 and 0 <= entry.time_to <= 24):
                raise ValidationError(self.env._("Times of the day lie between 00:00 and 24:00."))
            if entry.time_to and entry.time_from >= entry.time_to:
                raise ValidationError(self.env._("The end of the preferred window must come after its start."))

    @api.constrains("service_id", "provider_id", "page_id")
    def _check_offer(self):
        for entry in self:
            if entry.service_id not in entry.page_id.service_ids:
                raise ValidationError(
                    self.env._("%(service)s is not offered on %(page)s.", service=entry.service_id.name,
                               page=entry.page_id.name)
                )
            if entry.provider_id and entry.service_id not in entry.provider_id.service_ids:
                raise ValidationError(
                    self.env._("%(provider)s does not deliver %(service)s.", provider=entry.provider_id.name,
                               service=entry.service_id.name)
                )

    @api.constrains("service_id", "address")
    def _check_address(self):
        for entry in self:
            if entry.service_id.location == "customer" and not (entry.address or "").strip():
                raise ValidationError(self.env._(
                    "%(service)s takes place at the customer's address: give the address.",
                    service=entry.service_id.name))

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("booking.waitlist") or "/"
        return super().create(vals_list)

    def write(self, vals):
        result = super().write(vals)
        if "address" in vals:  # what kept the offer job from offering time may be fixed: try at its next run
            self.env["booking.scheduler"]._retry_soon(self)
        return result

    @api.depends("name", "partner_id", "service_id", "date")
    def _compute_display_name(self):
        for entry in self:
            entry.display_name = " · ".join(
                part for part in (entry.partner_id.name, entry.service_id.name,
                                  format_date(self.env, entry.date) if entry.date else "") if part
            )

    # === JOINING (the booking page, the API) === #

    @api.model
    def _join(self, page, service, provider, day, time_from=None, time_to=None, customer=None, note=None,
              source="website", partner=None, address=None):
        """Put a customer on the waitlist for ``day`` (local), optionally in a window of the day.

        Joining twice is one entry: the same customer, or the same details
        typed again, gets the entry they already have.

        :param partner: the customer who proved who they are, else ``customer``
            holds what a visitor typed (see ``res.partner._booking_create_guest``).
        :param address: where the job takes place, required for a service at
            the customer's address (an offer books it there), as for a booking.
        """
        if not partner and not page.allow_guest_booking:
            raise LoginRequiredError(self.env._("Please sign in to join the waitlist on this page."))
        errors = {}
        if day < page._local_today():
            errors["date"] = self.env._("is in the past")
        elif day > page._last_bookable_date():
            errors["date"] = self.env._("is beyond the booking horizon")
        if time_from is not None and time_from >= 24:
            errors["time_from"] = self.env._("must be before 24:00")
        elif time_to is not None and time_to <= (time_from or 0.0):
            errors["time_to"] = self.env._("must be after time_from") if time_from is not None \
                else self.env._("must be after 00:00")
        try:
            address = self.env["booking.appointment"]._clean_address(service, address)
        except BookingInputError as error:
            errors.update(error.fields)
        if errors:
            raise BookingInputError(errors)
        Waitlist = self.sudo()
        domain = [("page_id", "=", page.id), ("service_id", "=", service.id), ("date", "=", day),
                  ("state", "in", WAITLIST_OPEN_STATES)]
        Partner = self.env["res.partner"]
        duplicate = Waitlist.search([*domain, ("partner_id", "in", (
            partner or Partner._booking_same_guests(page, customer or {})).ids)], limit=1)
        if duplicate:
            return duplicate
        with self.env.cr.savepoint():
            partner = partner or Partner._booking_create_guest(page, customer or {})
            entry = Waitlist.create({
                "page_id": page.id,
                "service_id": service.id,
                "provider_id": provider.id or False,
                "partner_id": partner.id,
                "date": day,
                "time_from": time_from or 0.0,
                "time_to": time_to or 0.0,
                "note": clean_text(self.env, note, "note"),
                "address": address,
                "source": source,
            })
        entry._notify_joined()
        return entry

    # === BUSINESS METHODS === #

    def _notify_joined(self):
        """"You're on the waitlist", with what they asked for, by the channel the customer gave.

        Their preference when they set one (``_notification_channels``), else
        e-mail when they gave one, else SMS; one who joined in an SMS or chat
        conversation was told there by the receptionist. Queued in the outbox
        by the page's rule (switched off: nothing).
        """
        self.ensure_one()
        partner = self.partner_id.sudo()
        if self.source in ("sms", "chat"):
            return 0
        given = "email" if partner.email else ("sms" if partner.mobile or partner.phone else None)
        Outbox = self.env["booking.notification"].sudo()
        queued = 0
        for rule in self.page_id.sudo().notification_rule_ids.filtered(
                lambda rule: rule.active and rule.event == "waitlist_joined"):
            if partner.booking_notify_channel:  # the customer said how they want to be told
                channels = self._notification_channels("waitlist_joined", rule._channels(), rule=rule)
            else:
                channels = tuple(channel for channel in rule._channels() if channel == given)
            for channel in channels:
                queued += Outbox._enqueue(self.page_id, "waitlist_joined",
                                          f"waitlist_joined:{self._name}:{self.id}:{rule.id}:{channel}:", self,
                                          rule=rule, channel=channel)
        return queued

    def _wish_label(self):
        """What the customer asked for, as they read it: "Tue, Jun 3, 10:00 AM - 2:00 PM CEST", or the day."""
        self.ensure_one()
        page = self.page_id
        if not (self.time_from or self.time_to):
            return page._format_when(self.date, style="day")
        begin, end = self._get_window()
        return f"{page._format_when(begin, style='short', with_tz=False)} - {page._format_when(end, style='time')}"

    def _get_window(self):
        """The preferred window as naive UTC datetimes ``(begin, end)``."""
        self.ensure_one()
        tz = pytz.timezone(self.page_id.tz or "UTC")
        begin = datetime.combine(self.date, float_to_time(self.time_from or 0.0))
        end = (
            datetime.combine(self.date, float_to_time(self.time_to))
            if self.time_to
            else datetime.combine(self.date + timedelta(days=1), time.min)
        )
        return (
            tz.localize(begin).astimezone(pytz.utc).replace(tzinfo=None),
            tz.localize(end).astimezone(pytz.utc).replace(tzinfo=None),
        )

    def _filter_matching(self, slots):
        """The slots of ``slots`` that fit this entry's wishes, in their order."""
        self.ensure_one()
        provider_id = self.provider_id.id
        begin, end = self._get_window()
        return [slot for slot in slots
                if (not provider_id or slot.provider_id == provider_id) and begin <= slot.start and slot.stop <= end]

    def _find_matching_slots(self, now=None):
        """Free slots today matching this entry, best first."""
        self.ensure_one()
        slots = self.env["booking.availability"]._get_slots(
            self.page_id, self.service_id, self.date, self.date, providers=self.provider_id or None, now=now
        )
        return self._filter_matching(slots)

    # === LIFE CYCLE === #
    def _notification_title(self, recipient="customer"):
        """The title of this entry's e-mails: the customer reads the service and the day."""
        self.ensure_one()
        if recipient != "customer":
            return self.display_name
        return self.env._("Waitlist · %(service)s, %(day)s", service=self.service_id.name,
                          day=self.page_id._format_when(self.date, style="day"))


    def _check_state(self, allowed, action):
        illegal = self.filtered(lambda e: e.state not in allowed)
        if illegal:
            raise UserError(
                self.env._(
                    "%(ref)s cannot be %(action)s: it is %(state)s.",
                    ref=illegal[0].name,
                    action=action,
                    state=dict(self._fields["state"]._description_selection(self.env))[illegal[0].state],
                )
            )

    def action_cancel(self):
        """Take the customer off the list; a pending offer's time goes to the next in line."""
        self._check_state(("waiting", "offered"), self.env._("cancelled"))
        holds = self._get_offer_holds()
        self.write({"state": "cancelled", "offer_start": False, "offer_provider_id": False,
                    "offer_expires_at": False})
        holds._action_expire(self.env._("The waitlist entry was cancelled."))
        return True

    def action_reopen(self):
        """Put an expired or cancelled entry back in the queue."""
        self._check_state(("expired", "cancelled"), self.env._("reopened"))
        self.write({"state": "waiting", "appointment_id": False})
        return True

    def _get_offer_holds(self):
        """The appointments holding the time of pending offers."""
        return self.filtered(lambda e: e.state == "offered").appointment_id.filtered(
            lambda a: a.state == "pending_payment").sudo()

    def _check_offerable(self):
        """Raise what keeps freed time from being offered to this entry: staff must fix it (the job tells them).

        Entries of before the address was asked for, or of a service that
        moved to the customer's address since, have none: the offer would be
        a booking nobody knows where to deliver.
        """
        self.ensure_one()
        if self.service_id.location == "customer" and not (self.address or "").strip():
            raise UserError(self.env._(
                "%(ref)s waits for %(service)s, which takes place at the customer's address, but has no address: "
                "complete the address so that freed time can be offered to %(customer)s.",
                ref=self.name, service=self.service_id.name, customer=self.partner_id.name))

    def _action_offer(self, slot, deadline):
        """Hold ``slot`` for this entry until ``deadline`` and tell the customer.

        The hold is an appointment awaiting the customer (``pending_payment``,
        expiring at the deadline), so PostgreSQL's exclusion constraint keeps
        anybody else, another offer included, off that time; accepting turns
        this very row into the booking.
        """
        self.ensure_one()
        self._check_state(("waiting",), self.env._("offered a slot"))
        appointment = self.env["booking.appointment"].sudo().create({
            "page_id": self.page_id.id,
            "service_id": self.service_id.id,
            "provider_id": slot.provider_id,
            "partner_id": self.partner_id.id,
            "start": slot.start,
            "source": "waitlist",
            "channel": "online",
            "note": self.note,
            "address": self.address,
            "state": "pending_payment",
            "hold_expires_at": deadline,
            "waitlist_id": self.id,
        })
        self.write({
            "state": "offered",
            "offer_start": slot.start,
            "offer_provider_id": slot.provider_id,
            "offer_expires_at": deadline,
            "appointment_id": appointment.id,
        })
        self.message_post(body=self.env._(
            "Offered %(when)s with %(provider)s, until %(deadline)s.",
            when=appointment._format_local(slot.start), provider=appointment.provider_id.name,
            deadline=appointment._format_local(deadline),
        ))
        self._notify("waitlist_offer", key_suffix=str(appointment.id))
        return appointment

    def _action_offer_taken(self, appointment):
        """The offered time became a booking (accepted, or its deposit paid)."""
        self.ensure_one()
        self.write({"state": "booked", "appointment_id": appointment.id})
        return True

    def _action_expire_offer(self):
        """The offer lapsed: the entry is done, the time goes to the next one."""
        self._check_state(("offered",), self.env._("expired"))
        self.write({"state": "expired"})
        return True

    # === THE CUSTOMER'S ANSWER === #

    def _offer_signature(self, appointment):
        """The offer link's proof: this entry, the held appointment and the customer, signed."""
        self.ensure_one()
        return self._link_signature("waitlist_offer", appointment.id, self.partner_id.id)

    def _offer_url(self):
        """The link of the current offer: shows it, with buttons to accept or decline."""
        self.ensure_one()
        appointment = self.appointment_id
        return (f"{self.get_base_url()}/booking/waitlist/{self.id}/{appointment.id}/"
                f"{self._offer_signature(appointment)}")

    def _check_offer_link(self, appointment_id, signature):
        """``(status, hold)`` of an offer link: ``open``, ``booked``, ``lapsed`` or ``invalid``.

        The signature binds the entry, the held appointment and the
        customer: a link can be neither forged nor carried over to another
        offer.
        """
        self.ensure_one()
        appointment = self.env["booking.appointment"].sudo().browse(appointment_id).exists()
        if not appointment or appointment.waitlist_id != self or not self._link_signature_ok(
                "waitlist_offer", signature, appointment.id, self.partner_id.id):
            return "invalid", self.env["booking.appointment"]
        if self.state == "booked" and self.appointment_id == appointment:
            return "booked", appointment
        if (self.state == "offered" and self.appointment_id == appointment
                and appointment.state == "pending_payment" and appointment.hold_expires_at
                and appointment.hold_expires_at > fields.Datetime.now()):
            return "open", appointment
        return "lapsed", appointment

    def action_accept_offer(self):
        """The customer takes the offered time.

        Without a deposit it is booked at once (or goes to approval); with
        one, the hold is stretched to the page's payment time and the
        customer pays on the confirmation page, which books it.
        """
        self.ensure_one()
        self._check_state(("offered",), self.env._("accepted"))
        appointment = self.appointment_id.sudo()
        if appointment.state != "pending_payment" or appointment.hold_expires_at <= fields.Datetime.now():
            raise UserError(self.env._("This offer has lapsed."))
        contract = appointment.contract_id
        if contract and contract.currency_id.compare_amounts(contract.amount_deposit, 0.0) > 0:
            until = max(appointment.hold_expires_at,
                        fields.Datetime.now() + timedelta(minutes=self.page_id.payment_hold_minutes))
            appointment.hold_expires_at = until
            self.offer_expires_at = until
            return appointment
        appointment._action_release_hold(self.env._("accepted from the waitlist"))
        return appointment

    def action_decline_offer(self):
        """The customer does not want the offered time: off the list, the time goes to the next one."""
        self.ensure_one()
        self._check_state(("offered",), self.env._("declined"))
        holds = self._get_offer_holds()
        self.write({"state": "cancelled"})
        self.message_post(body=self.env._("The customer declined the offer."))
        holds._action_expire(self.env._("The customer declined the waitlist offer."))
        return True

    def action_book(self, start=None, provider=None, by_staff=False, extra_vals=None):
        """Book the offered slot (or ``start``/``provider`` given by staff).

        Goes through the same availability check and exclusion constraint as
        any booking; on success the entry is ``booked`` and linked. Staff
        bookings are confirmed at once, as any booking staff make. An
        offer's hold on another time is released first.
        """
        self.ensure_one()
        self._check_state(("waiting", "offered"), self.env._("booked"))
        start = start or self.offer_start
        provider = provider or self.offer_provider_id
        if not start or not provider:
            raise UserError(self.env._("Choose a time and a provider to book %(ref)s.", ref=self.name))
        Appointment = self.env["booking.appointment"]
        hold = self._get_offer_holds()
        if hold and hold.start == start and hold.provider_id == provider:
            hold.write(extra_vals or {})
            if by_staff:
                hold._transition(self.env._("booked from the waitlist"), ("pending_payment",), "confirmed",
                                 vals={"hold_expires_at": False})
                self._action_offer_taken(hold)
            else:
                hold._action_release_hold(self.env._("accepted from the waitlist"))
            return hold
        hold._action_expire(self.env._("Booked at another time from the waitlist."))
        appointment = Appointment.create({
            "page_id": self.page_id.id,
            "service_id": self.service_id.id,
            "provider_id": provider.id,
            "partner_id": self.partner_id.id,
            "start": start,
            "source": "waitlist",
            "note": self.note,
            "address": self.address,
            "state": Appointment._get_initial_state(
                self.page_id, self.service_id, "backend" if by_staff else "waitlist"
            ),
            **(extra_vals or {}),
        })
        self.write({"state": "booked", "appointment_id": appointment.id})
        return appointment

    def action_find_slot(self):
        """Open the booking assistant on this entry's wishes."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Book from the Waitlist"),
            "res_model": "booking.assistant",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_page_id": self.page_id.id,
                "default_service_id": self.service_id.id,
                "default_provider_id": self.provider_id.id,
                "default_partner_id": self.partner_id.id,
                "default_date": self.date,
                "default_waitlist_id": self.id,
                "default_address": self.address,
                "default_channel": "phone",
            },
        }
