"""18.0.1.2.0: the appointments' multi-company rule applies to staff only.

Portal customers are kept to their own bookings by their own rule; the
company rule also hid a customer's bookings with a second merchant. The rule
is ``noupdate`` data, so existing databases get its new groups here.
"""

from odoo import SUPERUSER_ID, Command, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("self_serve_booking.booking_appointment_company_rule", raise_if_not_found=False)
    if rule:
        rule.groups = [Command.set(env.ref("base.group_user").ids)]
