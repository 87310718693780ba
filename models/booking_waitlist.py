from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date


def float_to_time(value):
    hours = int(value)
    minutes = round((value - hours) * 60)
    if minutes == 60:
        hours, minutes = hours + 1, 0
    return time.max if hours >= 24 else time(hours, minutes)


class BookingWaitlist(models.Model):
    """A customer waiting for a service on a date, in a window of the day.

    When a matching slot frees up, the oldest waiting entry gets an offer: the
    slot is held for it until a deadline; it is booked when accepted, or
    passed on to the next entry when the offer lapses.
    """

    _name = "booking.waitlist"
    _inherit = ["mail.thread", "mail.activity.mixin"]
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
    note = fields.Text()
    source = fields.Selection(
        selection=[("website", "Website"), ("backend", "Backend"), ("api", "API")], default="backend", required=True
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
    offer_provider_id = fields.Many2one("booking.provider", readonly=True, copy=False)
    offer_expires_at = fields.Datetime(string="Offer Deadline", readonly=True, copy=False)
    appointment_id = fields.Many2one("booking.appointment", readonly=True, copy=False)

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

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("booking.waitlist") or "/"
        return super().create(vals_list)

    @api.depends("name", "partner_id", "service_id", "date")
    def _compute_display_name(self):
        for entry in self:
            entry.display_name = " · ".join(
                part for part in (entry.partner_id.name, entry.service_id.name,
                                  format_date(self.env, entry.date) if entry.date else "") if part
            )

    # === BUSINESS METHODS === #

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

    def _matches(self, slot):
        """Whether a free slot fits this entry's wishes."""
        self.ensure_one()
        if self.provider_id and slot.provider_id != self.provider_id.id:
            return False
        begin, end = self._get_window()
        return begin <= slot.start and slot.stop <= end

    def _find_matching_slots(self, now=None):
        """Free slots today matching this entry, best first."""
        self.ensure_one()
        slots = self.env["booking.availability"]._get_slots(
            self.page_id, self.service_id, self.date, self.date, providers=self.provider_id or None, now=now
        )
        return [slot for slot in slots if self._matches(slot)]

    # === LIFE CYCLE === #

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
        self._check_state(("waiting", "offered"), self.env._("cancelled"))
        self.write({"state": "cancelled", "offer_start": False, "offer_provider_id": False,
                    "offer_expires_at": False})
        return True

    def action_reopen(self):
        """Put an expired or cancelled entry back in the queue."""
        self._check_state(("expired", "cancelled"), self.env._("reopened"))
        self.write({"state": "waiting"})
        return True

    def _action_offer(self, slot, deadline):
        """Hold ``slot`` for this entry until ``deadline``."""
        self._check_state(("waiting",), self.env._("offered a slot"))
        self.write({
            "state": "offered",
            "offer_start": slot.start,
            "offer_provider_id": slot.provider_id,
            "offer_expires_at": deadline,
        })
        return True

    def _action_expire_offer(self):
        """The offer lapsed: the entry is done, the slot goes to the next one."""
        self._check_state(("offered",), self.env._("expired"))
        self.write({"state": "expired"})
        return True

    def action_book(self, start=None, provider=None, by_staff=False, extra_vals=None):
        """Book the offered slot (or ``start``/``provider`` given by staff).

        Goes through the same availability check and exclusion constraint as
        any booking; on success the entry is ``booked`` and linked. Staff
        bookings are confirmed at once, as any booking staff make.
        """
        self.ensure_one()
        self._check_state(("waiting", "offered"), self.env._("booked"))
        start = start or self.offer_start
        provider = provider or self.offer_provider_id
        if not start or not provider:
            raise UserError(self.env._("Choose a time and a provider to book %(ref)s.", ref=self.name))
        Appointment = self.env["booking.appointment"]
        appointment = Appointment.create({
            "page_id": self.page_id.id,
            "service_id": self.service_id.id,
            "provider_id": provider.id,
            "partner_id": self.partner_id.id,
            "start": start,
            "source": "waitlist",
            "note": self.note,
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
            "res_model": "booking.booking.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_page_id": self.page_id.id,
                "default_service_id": self.service_id.id,
                "default_provider_id": self.provider_id.id,
                "default_partner_id": self.partner_id.id,
                "default_date": self.date,
                "default_waitlist_id": self.id,
                "default_channel": "phone",
            },
        }
