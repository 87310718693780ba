"""18.0.5.1.0, after the update: pages that existed before get the follow-up rule a new page has.

"Time to book again" goes by e-mail once a service's rebook interval has
passed since a visit (services have none until a manager sets one, so
nothing is sent before). Rules a page already has for it are left alone.
"""

from odoo import SUPERUSER_ID, api

# (event, channel, hours before, sequence) of the new rule, as a new page of 18.0.5.1.0 had it
NEW_RULES = (("rebook_reminder", "email", 0.0, 7),)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    Rule = env["booking.notification.rule"].with_context(active_test=False)
    for page in env["booking.page"].with_context(active_test=False).search([]):
        existing = {(rule.event, rule.channel) for rule in Rule.search([("page_id", "=", page.id)])}
        Rule.create([
            {"page_id": page.id, "event": event, "channel": channel, "offset_hours": offset, "sequence": sequence}
            for event, channel, offset, sequence in NEW_RULES
            if (event, channel) not in existing
        ])
