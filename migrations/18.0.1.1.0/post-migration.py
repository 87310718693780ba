"""18.0.1.1.0: notification rules arrived; pages created before get the defaults."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    pages = env["booking.page"].with_context(active_test=False).search([("notification_rule_ids", "=", False)])
    for page in pages:
        page.notification_rule_ids = page._default_notification_rules()
