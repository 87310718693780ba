"""18.0.4.0.0, after the update: the merchant hears of every booking on pages that existed before.

New occasions get the rules a new page has (a new online booking and a new
request in the Odoo inbox as well as by e-mail, tomorrow's agenda by e-mail
at 18:00); rules a page already has for an occasion are left as they are.
Upcoming bookings get their followers (the customer; the page's responsible
and the provider's user), so that messages on them reach the right people.
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.self_serve_booking.const import UPCOMING_STATES
from odoo.addons.self_serve_booking.models.booking_notification_rule import DEFAULT_RULES

NEW_RULES = {("new_booking", "email"), ("new_booking", "inbox"), ("new_request", "inbox"), ("agenda", "email")}


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    Rule = env["booking.notification.rule"].with_context(active_test=False)
    for page in env["booking.page"].with_context(active_test=False).search([]):
        existing = {(rule.event, rule.channel) for rule in Rule.search([("page_id", "=", page.id)])}
        Rule.create([
            {"page_id": page.id, "event": event, "channel": channel, "offset_hours": offset, "sequence": index}
            for index, (event, channel, offset) in enumerate(DEFAULT_RULES)
            if (event, channel) in NEW_RULES - existing
        ])
    env["booking.appointment"].search([("state", "in", UPCOMING_STATES)])._subscribe_people()
