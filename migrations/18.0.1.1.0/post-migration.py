"""18.0.1.1.0: notification rules arrived; pages created before get the defaults.

The rules are the defaults of that version, written here: a migration carries
its own values, so running it again later gives what it gave then.
"""

from odoo import SUPERUSER_ID, api

# (event, channel, hours before) as a new page of 18.0.1.1.0 had them, in that order
RULES_18_0_1_1 = (
    ("request_received", "email", 0.0),
    ("confirmed", "email", 0.0),
    ("declined", "email", 0.0),
    ("cancelled", "email", 0.0),
    ("rescheduled", "email", 0.0),
    ("reminder", "email", 24.0),
    ("reminder", "sms", 2.0),
    ("receipt", "email", 0.0),
    ("waitlist_offer", "email_sms", 0.0),
    ("new_request", "email", 0.0),
    ("request_nudge", "email", 0.0),
    ("customer_cancelled", "email", 0.0),
    ("customer_rescheduled", "email", 0.0),
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    pages = env["booking.page"].with_context(active_test=False).search([("notification_rule_ids", "=", False)])
    env["booking.notification.rule"].create([
        {"page_id": page.id, "event": event, "channel": channel, "offset_hours": offset, "sequence": index}
        for page in pages
        for index, (event, channel, offset) in enumerate(RULES_18_0_1_1)
    ])
