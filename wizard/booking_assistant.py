
from datetime import timedelta

import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..exceptions import SlotUnavailableError


class BookingAssistant(models.TransientModel):
    """Staff book a phone call or a walk-in through the same engine and
    constraint as customers: the assistant lists the free times of a day and
    books the chosen one, or books "now" for someone at the desk."""

    _name = "booking.assistant"
    _description = "Booking Assistant"

    page_id = fields.Many2one(
        "booking.page",
        required=True,
        default=lambda self: self.env["booking.appointment"]._default_page_id(),
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    service_id = fields.Many2one("booking.service", required=True, domain="[('id', 'in', allowed_service_ids)]")
    allowed_service_ids = fields.Many2many("booking.service", compute="_compute_allowed")
    provider_id = fields.Many2one(
        "booking.provider",
        domain="[('id', 'in', allowed_provider_ids)]",
        help="Empty: whoever is free, least busy first.",
    )
    allowed_provider_ids = fields.Many2many("booking.provider", compute="_compute_allowed")
    date = fields.Date(required=True, default=lambda self: self._default_date())
    partner_id = fields.Many2one("res.partner", string="Customer")
    channel = fields.Selection(
        selection=[("phone", "Phone"), ("walk_in", "Walk-in"), ("other", "In person")],
        required=True,
        default="phone",
    )
    note = fields.Text()
    service_location = fields.Selection(related="service_id.location")
    address = fields.Char(string="Customer's Address", help="Where the job takes place (services at the customer's).")
    waitlist_id = fields.Many2one("booking.waitlist")
    slot_ids = fields.One2many("booking.assistant.slot", "wizard_id", string="Free Times")
    # who it is for: the customer's pets, children... (services for a dependant)
    service_for_dependant = fields.Boolean(related="service_id.for_dependant")
    dependant_ids = fields.Many2many("booking.dependant", string="For",
                                     domain="[('partner_id', '=', partner_id)]")
    dependant_mode = fields.Selection(
        selection=[("together", "One booking for all (durations add up)"),
                   ("separate", "A booking each, one after the other")],
        string="Several", default="together", required=True)
    searched = fields.Boolean()

    @api.model
    def _default_date(self):
        """Today where the business is (the page's time zone), not where the server or the user is."""
        page = self.env["booking.page"].browse(self.env.context.get("default_page_id")) or self._fields[
            "page_id"].default(self)
        return page._local_today() if page else fields.Date.context_today(self)

    @api.depends("page_id", "service_id")
    def _compute_allowed(self):
        for wizard in self:
            wizard.allowed_service_ids = wizard.page_id.service_ids.filtered("active")
            wizard.allowed_provider_ids = wizard.page_id._get_bookable_providers(wizard.service_id or None)

    @api.onchange("page_id", "service_id", "provider_id", "date")
    def _onchange_search_criteria(self):
        """A new page or service drops choices it does not offer; any change drops the listed times.

        Checked against the page itself: in an onchange the ``allowed_*``
        fields hold new-record copies (``NewId``), which a chosen record is
        never ``in``, so comparing with them blanked every choice.
        """
        page = self.page_id
        if self.service_id and self.service_id._origin not in page.service_ids.filtered("active"):
            self.service_id = False
        if self.provider_id and self.provider_id._origin not in page._get_bookable_providers(
                self.service_id._origin or None):
            self.provider_id = False
        self.slot_ids = [Command.clear()]
        self.searched = False

    # === ACTIONS === #

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("New Booking"),
        }

    def _open_appointment(self, appointment):
        return {
            "type": "ir.actions.act_window",
            "res_model": "booking.appointment",
            "res_id": appointment.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_search(self):
        """List the free times of the chosen day (one line per start)."""
        self.ensure_one()
        slots = self.env["booking.availability"]._get_slots(
            self.page_id, self.service_id, self.date, self.date, providers=self.provider_id or None, strict=False,
            duration_minutes=self.service_id._duration_for(self._dependant_count_per_booking()),
        )
        tz = pytz.timezone(self.page_id.tz)
        lines, seen = [Command.clear()], set()
        for slot in slots:
            if slot.start in seen:
                continue
            seen.add(slot.start)
            local = pytz.utc.localize(slot.start).astimezone(tz)
            local_end = pytz.utc.localize(slot.stop).astimezone(tz)
            lines.append(Command.create({
                "sequence": len(lines),
                "start": slot.start,
                "stop": slot.stop,
                "provider_id": slot.provider_id,
                "label": f"{local:%H:%M} – {local_end:%H:%M}",
            }))
        self.write({"slot_ids": lines, "searched": True})
        return self._reopen()

    def action_book_walk_in(self):
        """Book from now for a customer at the desk, with the first provider free: checked in at once.

        The customer is standing at the desk: the visit starts now, so the
        booking is checked in as it is made (the provider sees the customer
        has arrived, checkout is one click away, and the no-show job never
        takes a customer who is in the chair for a no-show).
        """
        self.ensure_one()
        now = fields.Datetime.now().replace(second=0, microsecond=0)
        providers = self.provider_id or self.allowed_provider_ids
        if not providers:
            raise UserError(self.env._("Nobody on this page delivers %(service)s.", service=self.service_id.name))
        slots = self.env["booking.availability"]._get_slots(
            self.page_id, self.service_id, self.env["booking.availability"]._local_date(self.page_id, now),
            self.env["booking.availability"]._local_date(self.page_id, now), providers=providers, strict=False,
        )
        ranked = list(dict.fromkeys(slot.provider_id for slot in slots))
        ranked += [p for p in providers.ids if p not in ranked]
        errors = []
        for provider in self.env["booking.provider"].browse(ranked):
            try:
                appointment = self._book(now, provider, channel="walk_in")
            except SlotUnavailableError as error:
                errors.append(error.args[0])
                continue
            appointment.filtered(lambda booked: booked.state == "confirmed").action_check_in()
            return self._open_appointment(appointment)
        raise UserError(
            self.env._("Nobody can take a walk-in for %(service)s right now.", service=self.service_id.name)
            + "\n" + "\n".join(errors[:3])
        )

    def _book(self, start, provider, channel=None):
        self.ensure_one()
        if not self.partner_id:
            raise UserError(self.env._("Choose the customer first."))
        vals = {
            "page_id": self.page_id.id,
            "service_id": self.service_id.id,
            "provider_id": provider.id,
            "partner_id": self.partner_id.id,
            "start": start,
            "source": "backend",
            "channel": channel or self.channel,
            "note": self.note,
            "address": self.env["booking.appointment"]._clean_address(self.service_id, self.address),
        }
        if self.waitlist_id:
            extra_vals = {"channel": vals["channel"], **({"address": vals["address"]} if vals["address"] else {})}
            return self.waitlist_id.action_book(start=start, provider=provider, by_staff=True, extra_vals=extra_vals)
        if self.dependant_ids:
            return self._book_dependants(vals)
        return self.env["booking.appointment"].create(vals)


    # === DEPENDANTS === #

    @api.onchange("partner_id", "service_id")
    def _onchange_dependants(self):
        """Another customer or a service not for dependants drops the dependants chosen."""
        foreign = self.dependant_ids.filtered(lambda d: d.partner_id != self.partner_id)
        if not self.service_id.for_dependant or foreign:
            self.dependant_ids = [Command.clear()]

    @api.onchange("dependant_ids", "dependant_mode")
    def _onchange_dependant_count(self):
        """The times listed were for another duration: list them again."""
        self.slot_ids = [Command.clear()]
        self.searched = False

    def _dependant_count_per_booking(self):
        """How many dependants each booking covers: the duration of the times listed adds up for them."""
        self.ensure_one()
        if self.dependant_mode == "separate" or not self.dependant_ids:
            return 1
        return len(self.dependant_ids)

    def _book_dependants(self, vals):
        """Book for the chosen dependants: one booking for all, or one each, back to back from ``vals``'s start.

        Each booking goes through the same checks as any other (working
        time, overlaps, the dependants' owner and kinds); all are made or
        none. :return: the first booking.
        """
        self.ensure_one()
        Appointment = self.env["booking.appointment"]
        service = self.service_id
        if self.dependant_mode == "together" or len(self.dependant_ids) == 1:
            # the duration adds up per dependant (booking.appointment._compute_service_snapshot)
            return Appointment.create(dict(vals, dependant_ids=[Command.set(self.dependant_ids.ids)]))
        gap = timedelta(minutes=service.duration_minutes + service.buffer_after_minutes
                        + service.buffer_before_minutes)
        appointments = Appointment
        for index, dependant in enumerate(self.dependant_ids):
            appointments |= Appointment.create(dict(vals, start=vals["start"] + index * gap,
                                                    dependant_ids=[Command.set(dependant.ids)]))
        return appointments[:1]
