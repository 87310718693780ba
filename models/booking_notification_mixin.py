from odoo import models


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

    def _notification_title(self, recipient="customer"):
        """The title of the record's e-mails (the layout's header)."""
        self.ensure_one()
        return self.display_name

    def _merchant_partners(self):
        """Who hears the merchant's side: the page's responsible and the provider's user."""
        self.ensure_one()
        return self.page_id._get_merchant_partners(self.provider_id)

    def _merchant_partner_to(self):
        """The merchant's recipients, as a template's "To (partners)" wants them."""
        self.ensure_one()
        return ",".join(str(partner_id) for partner_id in self._merchant_partners().ids)

    def _post_template_without_reports(self, template, recipient, **post):
        """Post ``template``'s message without its attached reports (they could not be rendered)."""
        self.ensure_one()
        lang = template._render_lang(self.ids)[self.id]
        template = template.with_context(lang=lang)
        body = template._render_field("body_html", self.ids, compute_lang=True)[self.id]
        subject = template._render_field("subject", self.ids, compute_lang=True)[self.id]
        partners = self.partner_id if recipient == "customer" else self._merchant_partners()
        return self.message_post(body=body, subject=subject, partner_ids=partners.ids, message_type="comment",
                                 **post)
