from itertools import pairwise

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.res_partner import _tz_get

WEEKDAYS = [("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"), ("4", "Friday"),
            ("5", "Saturday"), ("6", "Sunday")]


class BookingSetupHours(models.TransientModel):
    """Opening hours: the week in one table, the time zone, an optional break.

    The hours become the page's *Team Hours* (a ``resource.calendar`` of its
    own), worked by everyone on the page: customers can book within them.
    """

    _name = "booking.setup.hours"
    _inherit = "booking.setup.step"
    _description = "Guided Setup: Opening Hours"
    _setup_step = "hours"

    tz = fields.Selection(_tz_get, string="Time Zone", required=True, default=lambda self: self._default_tz())
    line_ids = fields.One2many("booking.setup.hours.line", "wizard_id", string="Days",
                               default=lambda self: self._default_line_ids())
    has_break = fields.Boolean(string="Closed for a Break", default=lambda self: bool(self._current_break()))
    break_from = fields.Float(default=lambda self: (self._current_break() or (12.0, 13.0))[0])
    break_to = fields.Float(default=lambda self: (self._current_break() or (12.0, 13.0))[1])
    provider_names = fields.Char(string="Applies To", compute="_compute_provider_names")

    # === DEFAULTS: what the page works today, else Monday to Friday 9:00-17:00 === #

    @api.model
    def _default_tz(self):
        page = self.env["booking.page"]._booking_setup_page()
        return page.tz if page else (self.env.user.tz or self.env.company.partner_id.tz or "UTC")

    @api.model
    def _current_attendances(self):
        page = self.env["booking.page"]._booking_setup_page()
        calendar = page.resource_calendar_id or page.provider_ids[:1].resource_calendar_id
        return calendar.attendance_ids.filtered(
            lambda a: not a.display_type and not a.resource_id and not a.date_to and a.day_period != "lunch")

    @api.model
    def _current_break(self):
        """The break between two stretches of a day in the current hours, if any: ``(from, to)``."""
        attendances = self._current_attendances()
        for day, _name in WEEKDAYS:
            stretches = sorted((a.hour_from, a.hour_to) for a in attendances if a.dayofweek == day)
            for (_start, stop), (start, _stop) in pairwise(stretches):
                if start > stop:
                    return stop, start
        return None

    @api.model
    def _default_line_ids(self):
        attendances = self._current_attendances()
        lines = []
        for day, _name in WEEKDAYS:
            days = attendances.filtered(lambda a, day=day: a.dayofweek == day)
            if attendances:
                is_open, start, stop = bool(days), min(days.mapped("hour_from"), default=9.0), \
                    max(days.mapped("hour_to"), default=17.0)
            else:
                is_open, start, stop = day < "5", 9.0, 17.0
            lines.append(Command.create({"dayofweek": day, "is_open": is_open, "hour_from": start, "hour_to": stop}))
        return lines

    @api.depends("page_id")
    def _compute_provider_names(self):
        for wizard in self:
            wizard.provider_names = ", ".join(wizard.page_id.provider_ids.mapped("name"))

    # === APPLY === #

    def _apply(self):
        page = self._get_page()
        attendances = self._attendance_values()
        calendar = page.resource_calendar_id
        if not calendar or not self._calendar_is_the_pages_own(page, calendar):
            calendar = self.env["resource.calendar"].create({
                "name": self.env._("%(page)s hours", page=page.name),
                "company_id": page.company_id.id,
                "tz": self.tz,
                "attendance_ids": [Command.clear()] + [Command.create(vals) for vals in attendances],
            })
        else:
            calendar.attendance_ids.unlink()
            calendar.write({"tz": self.tz, "attendance_ids": [Command.create(vals) for vals in attendances]})
        page.write({"tz": self.tz, "resource_calendar_id": calendar.id})
        page.provider_ids.write({"resource_calendar_id": calendar.id, "tz": self.tz})

    def _attendance_values(self):
        """The calendar's lines: one per open day, two around the break (refused: an impossible day)."""
        self.ensure_one()
        days = dict(self.env["booking.setup.hours.line"]._fields["dayofweek"]._description_selection(self.env))
        values = []
        if self.has_break and not 0 <= self.break_from < self.break_to <= 24:
            raise UserError(self.env._("The break ends after it starts, within the day."))
        for line in self.line_ids.filtered("is_open").sorted(lambda line: line.dayofweek):
            if not 0 <= line.hour_from < line.hour_to <= 24:
                raise UserError(self.env._("On %(day)s, closing time comes after opening time.",
                                           day=days[line.dayofweek]))
            stretches = [(line.hour_from, line.hour_to)]
            if self.has_break and line.hour_from < self.break_from and self.break_to < line.hour_to:
                stretches = [(line.hour_from, self.break_from), (self.break_to, line.hour_to)]
            for start, stop in stretches:
                values.append({
                    "name": days[line.dayofweek], "dayofweek": line.dayofweek, "hour_from": start, "hour_to": stop,
                    "day_period": "morning" if start < 12 else "afternoon",
                })
        if not values:
            raise UserError(self.env._("Open on at least one day: customers book within these hours."))
        return values

    def _calendar_is_the_pages_own(self, page, calendar):
        """Whether ``calendar`` serves this page's people only (then it is changed in place, else a new one
        is made: the company's working hours or another page's are not this page's to change)."""
        if calendar == page.company_id.resource_calendar_id:
            return False
        if self.env["booking.page"].with_context(active_test=False).search_count(
                [("resource_calendar_id", "=", calendar.id), ("id", "!=", page.id)], limit=1):
            return False
        others = self.env["resource.resource"].with_context(active_test=False).search_count(
            [("calendar_id", "=", calendar.id), ("id", "not in", page.provider_ids.resource_id.ids)], limit=1)
        return not others


class BookingSetupHoursLine(models.TransientModel):
    _name = "booking.setup.hours.line"
    _description = "Guided Setup: the Hours of a Day"
    _order = "dayofweek"

    wizard_id = fields.Many2one("booking.setup.hours", required=True, ondelete="cascade")
    dayofweek = fields.Selection(WEEKDAYS, string="Day", required=True)
    is_open = fields.Boolean(string="Open")
    hour_from = fields.Float(string="From", default=9.0)
    hour_to = fields.Float(string="To", default=17.0)
