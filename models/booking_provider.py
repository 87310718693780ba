from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..const import TIME_HOLDING_STATES


class BookingProvider(models.Model):
    """A person or a resource (a room, a chair) who delivers services.

    Built on ``resource.mixin`` so that working hours, time zone and time off
    are Odoo's own (``resource.calendar`` and ``resource.calendar.leaves``):
    what HR or a manager already maintains there is what customers can book.
    """

    _name = "booking.provider"
    _inherit = ["resource.mixin", "avatar.mixin", "mail.thread", "booking.notification.mixin"]
    _description = "Service Provider"
    _order = "sequence, name, id"
    _check_company_auto = True

    # === IDENTITY === #
    name = fields.Char(related="resource_id.name", store=True, readonly=False, required=True)
    active = fields.Boolean(related="resource_id.active", store=True, readonly=False, default=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer(help="Colour of this provider's appointments in the calendar.")
    user_id = fields.Many2one(
        "res.users",
        check_company=True,
        help="Backend user of this provider, if any: their calendar, their notifications.",
    )
    job_title = fields.Char(translate=True)
    bio = fields.Html(string="Public Bio", translate=True, sanitize_attributes=True)

    # === WHAT THEY DO === #
    service_ids = fields.Many2many(
        "booking.service",
        "booking_provider_service_rel",
        "provider_id",
        "service_id",
        string="Services",
        check_company=True,
    )
    page_ids = fields.Many2many(
        "booking.page", "booking_page_provider_rel", "provider_id", "page_id", string="Pages", check_company=True
    )

    travel_minutes = fields.Integer(
        string="Travel Time (minutes)", default=0,
        help="Reserved before each job at a customer's address: the drive to it. Nothing is reserved for "
             "services at the business.",
    )

    # === FOLLOW-UP === #
    appointment_ids = fields.One2many("booking.appointment", "provider_id", string="Appointments")
    time_off_count = fields.Integer(compute="_compute_time_off_count")

    # === COMPUTES === #

    def _compute_time_off_count(self):
        counts = dict(
            self.env["resource.calendar.leaves"]._read_group(
                [("resource_id", "in", self.resource_id.ids), ("date_to", ">=", fields.Datetime.now())],
                ["resource_id"],
                ["__count"],
            )
        )
        for provider in self:
            provider.time_off_count = counts.get(provider.resource_id, 0)

    @api.constrains("travel_minutes")
    def _check_travel_minutes(self):
        for provider in self:
            if not 0 <= provider.travel_minutes <= 8 * 60:
                raise ValidationError(self.env._("Travel time is between 0 and 8 hours."))

    # === ACTIONS === #

    def _time_off_context(self):
        self.ensure_one()
        return {
            "default_resource_id": self.resource_id.id,
            "default_calendar_id": self.resource_calendar_id.id,
            "default_company_id": self.company_id.id,
            "default_time_type": "leave",
        }

    def action_block_time(self):
        """Block time for this provider: time off, the bookings in it listed first, to be moved or cancelled."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Block Time for %(provider)s", provider=self.name),
            "res_model": "booking.time.off",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_provider_id": self.id},
        }

    # === TIME OFF OVER BOOKINGS === #

    def _get_time_off_conflicts(self, date_from, date_to):
        """This provider's bookings that time off from ``date_from`` to ``date_to`` would leave without a provider.

        Those that will take place (an unpaid hold past its deadline is free
        time, as the engine says), in any company, read as superuser: a
        check that must see everything, telling the caller only that they
        exist. By start.
        """
        self.ensure_one()
        if not (date_from and date_to) or date_to <= date_from:
            return self.env["booking.appointment"]
        return self.env["booking.appointment"].sudo().search([
            ("provider_id", "=", self.id),
            ("state", "in", [state for state in TIME_HOLDING_STATES if state != "done"]),
            ("start", "<", date_to), ("stop", ">", date_from),
            "|", ("state", "!=", "pending_payment"), "|", ("hold_expires_at", "=", False),
            ("hold_expires_at", ">=", fields.Datetime.now()),
        ], order="start, id")

    def action_view_time_off(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Time Off of %(provider)s", provider=self.name),
            "res_model": "resource.calendar.leaves",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("self_serve_booking.booking_time_off_view_list").id, "list"),
                (self.env.ref("self_serve_booking.booking_time_off_view_form").id, "form"),
            ],
            "domain": [("resource_id", "=", self.resource_id.id)],
            "context": self._time_off_context(),
        }

    def action_view_appointments(self):
        self.ensure_one()
        return self.env["booking.appointment"]._get_action_for("provider_id", self)

    @api.onchange("resource_calendar_id")
    def _onchange_resource_calendar_id(self):
        if self.resource_calendar_id and not self.tz:
            self.tz = self.resource_calendar_id.tz

    # === THE AGENDA (booking.notification.mixin) === #

    def _merchant_partners(self):
        """A provider's agenda goes to the provider's own user."""
        self.ensure_one()
        return self.user_id.filtered("active").partner_id

    def _notification_title(self, recipient="merchant"):
        return self.env._("Your agenda")

    def _get_agenda(self, day):
        """The provider's bookings of local ``day`` (a date or an ISO string) that will take place, by time."""
        self.ensure_one()
        day = fields.Date.to_date(day)
        zone = pytz.timezone(self.tz or "UTC")
        start = zone.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
        stop = zone.localize(datetime.combine(day + timedelta(days=1), time.min)).astimezone(pytz.utc).replace(
            tzinfo=None)
        return self.env["booking.appointment"].sudo().search([
            ("provider_id", "=", self.id), ("start", ">=", start), ("start", "<", stop),
            ("state", "in", [state for state in TIME_HOLDING_STATES if state != "done"]),
        ], order="start")

    def _agenda_title(self, day):
        self.ensure_one()
        return fields.Date.to_date(day).strftime("%A %d %B %Y") if day else ""

    def _get_agenda_sms(self, day):
        """The agenda in one SMS: times, services, customers (the e-mail has the details)."""
        self.ensure_one()
        items = [appointment._agenda_sms_item() for appointment in self._get_agenda(day)]
        return self.env._("Tomorrow, %(count)s booking(s): %(items)s", count=len(items), items="; ".join(items))

