from odoo import models

from .booking_notification_rule import EVENTS


class BookingNotificationMixin(models.AbstractModel):
    """What the outbox needs of a record it sends messages about (appointments, waitlist entries).

    The record has a ``page_id`` (whose rules say what is sent, by which
    channel), a ``partner_id`` (the customer) and a ``provider_id`` (whose
    user hears the merchant's side, with the page's responsible).
    """

    _name = "booking.notification.mixin"
    _description = "Booking Notifications"

    def _notify(self, event, key_suffix="", values=None, rules=None):
        """Queue the page's messages for ``event`` of each record; sending happens later, in the outbox.

        :param key_suffix: what makes this occurrence distinct (a new start
            time for "rescheduled", a start time for a reminder...).
        :return: how many messages were queued.
        """
        Outbox = self.env["booking.notification"].sudo()
        return sum(Outbox._notify(record, event, key_suffix=key_suffix, values=values, rules=rules)
                   for record in self)

    def _notification_channels(self, event, channels, rule=None):
        """The channels a message of ``event`` goes by, out of ``channels`` (what its rule says).

        The one place every occasion asks: a customer's message follows the
        customer's preferences (``res.partner._booking_message_channels``:
        their channel, marketing-like messages off, the other channel when
        theirs cannot reach them); the merchant's side is the rule's.
        """
        self.ensure_one()
        channels = tuple(channels)
        if EVENTS[event][0] != "customer" or not self.partner_id:
            return channels
        if rule:
            sms_text = rule._get_sms_template()
        else:
            sms_text = EVENTS[event][2] and self.env.ref(f"self_serve_booking.{EVENTS[event][2]}",
                                                         raise_if_not_found=False)
        return self.partner_id._booking_message_channels(self.page_id, event, channels, sms_text=bool(sms_text))

    def _notification_title(self, recipient="customer"):
        """The title of the record's e-mails (the layout's header)."""
        self.ensure_one()
        return self.display_name

    def _merchant_partners(self):
        """Who hears the merchant's side: the page's responsible and the provider's user."""
        self.ensure_one()
        return self.page_id._get_merchant_partners(self.provider_id)

    def _merchant_partner_to(self):
        """The merchant's recipients with an e-mail address, as a template's "To (partners)" wants them."""
        self.ensure_one()
        return ",".join(str(partner.id) for partner in self._merchant_partners() if partner.email)

    def _render_template(self, template):
        """``(subject, body)`` of ``template`` for this record, in its recipient's language."""
        self.ensure_one()
        lang = template._render_lang(self.ids)[self.id]
        template = template.with_context(lang=lang)
        body = template._render_field("body_html", self.ids, compute_lang=True)[self.id]
        subject = template._render_field("subject", self.ids, compute_lang=True)[self.id]
        return subject, body

    def _notify_staff_inbox(self, template, partners):
        """Post ``template``'s message as a note and put it in the Odoo inbox of ``partners`` (staff).

        Whatever their e-mail preference: the page's rule asked for an Odoo
        notification. The note stays in the record's chatter.
        """
        self.ensure_one()
        users = partners.user_ids.filtered(lambda user: user.active and not user.share)
        if not users:
            return self.env["mail.message"]
        subject, body = self._render_template(template)
        message = self._message_log(body=body, subject=subject, message_type="notification")
        self._notify_thread_by_inbox(message, [
            {"id": user.partner_id.id, "uid": user.id, "notif": "inbox"} for user in users])
        return message

    def _post_template_without_reports(self, template, recipient, **post):
        """Post ``template``'s message without its attached reports (they could not be rendered)."""
        self.ensure_one()
        subject, body = self._render_template(template)
        partners = self.partner_id if recipient == "customer" else self._merchant_partners().filtered("email")
        return self.message_post(body=body, subject=subject, partner_ids=partners.ids, message_type="comment",
                                 **post)
