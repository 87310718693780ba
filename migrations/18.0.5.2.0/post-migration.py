"""18.0.5.2.0, after the update: pages that existed before ask for reviews as a new page does.

The review request (e-mail and SMS, after a completed booking) is added to
every page that has no rule for it yet; existing rules stay as they are.
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.self_serve_booking.models.booking_notification_rule import DEFAULT_RULES

NEW_EVENTS = {"review_request"}


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    Rule = env["booking.notification.rule"].with_context(active_test=False)
    for page in env["booking.page"].with_context(active_test=False).search([]):
        existing = {rule.event for rule in Rule.search([("page_id", "=", page.id)])}
        Rule.create([
            {"page_id": page.id, "event": event, "channel": channel, "offset_hours": offset, "sequence": index}
            for index, (event, channel, offset) in enumerate(DEFAULT_RULES)
            if event in NEW_EVENTS - existing
        ])
