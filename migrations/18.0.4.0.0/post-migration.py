"""18.0.4.0.0, after the update: the merchant hears of every booking on pages that existed before.

New occasions get the rules a new page has (a new online booking and a new
request in the Odoo inbox as well as by e-mail, tomorrow's agenda by e-mail
at 18:00); rules a page already has for an occasion are left as they are.
Upcoming bookings get their followers (the customer; the page's responsible
and the provider's user), so that messages on them reach the right people.
"""

from odoo import SUPERUSER_ID, api

# the values of 18.0.4.0.0, written here (a migration never reads today's code):
# (event, channel, hours before, sequence) of the new rules, as a new page then had them
NEW_RULES = (
    ("new_booking", "email", 0.0, 9),
    ("new_booking", "inbox", 0.0, 10),
    ("new_request", "inbox", 0.0, 12),
    ("agenda", "email", 18.0, 16),
)
UPCOMING_STATES = ("pending_payment", "pending", "confirmed", "checked_in")


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
    # followers as 18.0.4.0.0 set them: the customer follows the customer's messages, staff (the page's
    # responsible, the provider's user) the internal notes
    comment, note = env.ref("mail.mt_comment"), env.ref("mail.mt_note")
    for appointment in env["booking.appointment"].search([("state", "in", UPCOMING_STATES)]):
        appointment.message_subscribe(partner_ids=appointment.partner_id.ids, subtype_ids=comment.ids)
        staff = (appointment.page_id.responsible_user_id | appointment.provider_id.user_id).filtered(
            lambda user: user.active and not user.share).partner_id
        if staff:
            appointment.message_subscribe(partner_ids=staff.ids, subtype_ids=note.ids)
