"""18.0.5.2.0, after the update: pages that existed before ask for reviews as a new page does.

The review request (e-mail and SMS, after a completed booking) is added to
every page that has no rule for it yet; existing rules stay as they are.
"""

from odoo import SUPERUSER_ID, api

# (event, channel, hours before, sequence) of the new rule, as a new page of 18.0.5.2.0 had it
NEW_RULES = (("review_request", "email", 0.0, 18),)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    Rule = env["booking.notification.rule"].with_context(active_test=False)
    for page in env["booking.page"].with_context(active_test=False).search([]):
        existing = {rule.event for rule in Rule.search([("page_id", "=", page.id)])}
        Rule.create([
            {"page_id": page.id, "event": event, "channel": channel, "offset_hours": offset, "sequence": sequence}
            for event, channel, offset, sequence in NEW_RULES
            if event not in existing
        ])
