from datetime import timedelta
from urllib.parse import urlparse

import pytz
import vobject
from markupsafe import Markup
from werkzeug.urls import url_encode

from odoo import fields, models

from ..const import TIME_HOLDING_STATES


class BookingAppointment(models.Model):
    """Calendars: the provider's Odoo Calendar mirrors their appointments; the customer adds theirs to their own.

    The provider's side is ``booking.calendar.sync`` (an event per
    appointment that holds time, kept in line by a scheduled action); the
    customer's side is an ``.ics`` file and Google/Outlook links.
    """

    _name = "booking.appointment"
    _inherit = ["booking.appointment", "booking.calendar.sync"]

    # === THE PROVIDER'S CALENDAR (booking.calendar.sync) === #

    def _calendar_wanted(self):
        """Time-holding appointments of a provider with a user, on a page that mirrors calendars.

        A no-show keeps the event it had: the provider's day did hold it.
        """
        self.ensure_one()
        user = self.provider_id.user_id
        holds_time = self.state in TIME_HOLDING_STATES and self.page_id.sync_provider_calendars \
            and user and user.active
        return bool(holds_time or (self.state == "no_show" and self.calendar_event_id))

    def _calendar_event_values(self):
        self.ensure_one()
        user = self.provider_id.user_id
        label = {
            "pending_payment": self.env._("awaiting payment"),
            "pending": self.env._("to approve"),
        }.get(self.state)
        name = f"{self.service_id.name} · {self.partner_id.name}"
        if label:
            name = f"{name} ({label})"
        description = Markup("<p>%s</p>") % self.name
        if self.note:
            description += Markup("<p>%s</p>") % self.note
        if self._is_checked_in_by_provider():
            # at the customer's place there is no desk: the provider checks the customer in from here
            label = self.env._("Arrived: check %(customer)s in", customer=self.partner_id.name)
            description += Markup('<p><a href="%s">%s</a></p>') % (self._provider_check_in_url(), label)
        return {
            "name": name,
            "start": self.start,
            "stop": self.stop,
            "allday": False,
            "user_id": user.id,
            "partner_ids": [(6, 0, user.partner_id.ids)],
            "show_as": "busy",
            "location": self._get_agenda_address() or self.page_id.name,
            "description": description,
            "res_model_id": self.env["ir.model"]._get_id(self._name),
            "res_id": self.id,
        }

    # === THE CUSTOMER'S CALENDAR === #

    def _customer_event_texts(self):
        """Title, description and place of this booking in the customer's calendar."""
        self.ensure_one()
        page = self.page_id
        manage = f"{self.get_base_url()}{self.get_portal_url()}"
        description = "\n".join([
            self.env._("%(service)s with %(provider)s", service=self.service_id.name, provider=self.provider_id.name),
            self.env._("Reference: %(ref)s", ref=self.name),
            self.env._("Manage your booking: %(url)s", url=manage),
        ])
        return {
            "summary": f"{self.service_id.name} · {page.name}",
            "description": description,
            "location": self._get_agenda_address() or page.name,
            "url": manage,
        }

    def _get_ics_file(self):
        """The booking as an iCalendar file (built with vobject, as Odoo's calendar does), with a reminder.

        The UID is stable, so importing the file again after a move updates
        the event instead of adding a second one; a request is TENTATIVE.
        """
        self.ensure_one()
        texts = self._customer_event_texts()
        cal = vobject.iCalendar()
        cal.add("prodid").value = "-//Self-Serve Booking//Odoo 18//EN"
        cal.add("method").value = "PUBLISH"
        event = cal.add("vevent")
        event.add("uid").value = f"booking-{self.id}@{urlparse(self.get_base_url()).hostname or 'odoo'}"
        event.add("dtstamp").value = fields.Datetime.now().replace(tzinfo=pytz.utc)
        event.add("dtstart").value = self.start.replace(tzinfo=pytz.utc)
        event.add("dtend").value = self.stop.replace(tzinfo=pytz.utc)
        event.add("summary").value = texts["summary"]
        event.add("description").value = texts["description"]
        event.add("location").value = texts["location"]
        event.add("url").value = texts["url"]
        event.add("status").value = "TENTATIVE" if self.state in ("pending", "pending_payment") else "CONFIRMED"
        alarm = event.add("valarm")
        alarm.add("action").value = "DISPLAY"
        alarm.add("description").value = texts["summary"]
        trigger = alarm.add("trigger")
        trigger.params["related"] = ["START"]
        trigger.value = -timedelta(hours=1)
        return cal.serialize().encode("utf-8")

    def _calendar_links(self):
        """"Add to calendar" links: Google Calendar and Outlook.com take the event in the URL."""
        self.ensure_one()
        texts = self._customer_event_texts()
        google = "https://calendar.google.com/calendar/render?" + url_encode({
            "action": "TEMPLATE",
            "text": texts["summary"],
            "dates": f"{self.start:%Y%m%dT%H%M%SZ}/{self.stop:%Y%m%dT%H%M%SZ}",
            "details": texts["description"],
            "location": texts["location"],
        })
        outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + url_encode({
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": texts["summary"],
            "startdt": f"{self.start:%Y-%m-%dT%H:%M:%SZ}",
            "enddt": f"{self.stop:%Y-%m-%dT%H:%M:%SZ}",
            "body": texts["description"],
            "location": texts["location"],
        })
        return {"google": google, "outlook": outlook}
