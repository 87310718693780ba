from odoo import Command, api, models
from odoo.exceptions import ValidationError

from .booking_notification_rule import default_rules
from .booking_notification_rule import is_sms_worthy

# the commands that give a page a rule (create, link, set); a page whose value has none of them gets the defaults
GIVING_COMMANDS = (Command.CREATE, Command.LINK, Command.SET)


class BookingPage(models.Model):
    """What a page sends from its first minute: its notification rules.

    However a page is made (the form, an import, the API, demo data, a
    copy), it starts with the default rules; with an SMS gateway set up, the
    occasions people act on from their phone go by e-mail and SMS. A
    published page always confirms its bookings.
    """

    _inherit = "booking.page"

    # === DEFAULTS === #

    @api.model
    def _default_notification_rules(self, sms=None):
        """The default rules as commands; ``sms``: whether the page can send SMS (default: Odoo SMS set up)."""
        if sms is None:
            sms = self._odoo_sms_ready(self.env.company)
        return [
            Command.create({"event": event, "channel": channel, "offset_hours": offset, "sequence": index})
            for index, (event, channel, offset) in enumerate(default_rules(sms=sms))
        ]

    @api.model
    def _gives_rules(self, commands):
        """Whether the one2many value ``commands`` gives the page at least one rule."""
        for command in commands or ():
            if isinstance(command, (list, tuple)) and command and command[0] in GIVING_COMMANDS \
                    and (command[0] != Command.SET or command[2]):
                return True
        return False

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not self._gives_rules(vals.get("notification_rule_ids")):
                # absent, empty, or only clearing (an import, the API, a copy of a page without rules)
                sms = self._sms_ready_values(vals)
                vals["notification_rule_ids"] = [*(vals.get("notification_rule_ids") or []),
                                                 *self._default_notification_rules(sms=sms)]
        return super().create(vals_list)

    def write(self, vals):
        gateway_fields = {"sms_gateway", "twilio_account_sid", "twilio_auth_token", "twilio_number"}
        before = {page.id: page._sms_ready() for page in self} if gateway_fields & set(vals) else {}
        result = super().write(vals)
        if before:
            self.filtered(lambda page: not before[page.id] and page._sms_ready())._send_sms_worthy_rules_by_sms()
        return result

    # === SMS SET UP === #

    @api.model
    def _odoo_sms_ready(self, company):
        """Whether Odoo's SMS (IAP) is set up for ``company``: its IAP account is registered (credits bought)."""
        return bool(self.env["iap.account"].sudo().search_count([
            ("service_name", "=", "sms"), ("state", "=", "registered"),
            "|", ("company_ids", "=", False), ("company_ids", "in", company.ids),
        ], limit=1))

    @api.model
    def _sms_ready_values(self, vals):
        """Whether a page created with ``vals`` can send SMS."""
        if vals.get("sms_gateway") == "twilio":
            return bool(vals.get("twilio_account_sid") and vals.get("twilio_auth_token") and vals.get("twilio_number"))
        company = self.env["res.company"].browse(vals.get("company_id")) if vals.get("company_id") \
            else self.env.company
        return self._odoo_sms_ready(company)

    def _sms_ready(self):
        """Whether this page can send SMS: its Twilio account is entered, or Odoo's SMS is set up."""
        self.ensure_one()
        page = self.sudo()
        if page.sms_gateway == "twilio":
            return bool(page.twilio_account_sid and page.twilio_auth_token and page.twilio_number)
        return self._odoo_sms_ready(page.company_id)

    def _sms_upgradable_rules(self):
        """The rules still as a page without SMS had them that go by SMS too once it has SMS."""
        return self.notification_rule_ids.filtered(
            lambda rule: rule.channel in ("email", "sms") and not rule.sms_template_id and not rule.mail_template_id
            and is_sms_worthy(rule.event, rule.offset_hours))

    def _send_sms_worthy_rules_by_sms(self):
        """SMS was just set up: the occasions people act on from their phone go by e-mail and SMS from now on."""
        for page in self:
            rules = page.sudo()._sms_upgradable_rules()
            if rules:
                rules.channel = "email_sms"
                page.sudo().message_post(body=page.env._(
                    "SMS is set up: %(occasions)s now go by e-mail and SMS.",
                    occasions=", ".join(dict(rules._fields["event"]._description_selection(page.env)).get(event)
                                        for event in dict.fromkeys(rules.mapped("event")))),
                    message_type="comment", subtype_xmlid="mail.mt_note")

    @api.onchange("sms_gateway", "twilio_number")
    def _onchange_sms_gateway(self):
        """The form: choosing Twilio shows the rules that will go by SMS too."""
        if self.sms_gateway == "twilio" and self.twilio_number:
            self._sms_upgradable_rules().channel = "email_sms"

    # === A PUBLISHED PAGE CONFIRMS ITS BOOKINGS === #

    @api.constrains("is_published", "notification_rule_ids", "sms_gateway", "twilio_number",
                    "twilio_account_sid", "twilio_auth_token")
    def _check_confirmation_rule(self):
        for page in self.filtered("is_published"):
            # by SMS alone, only a page that can send SMS confirms anything
            if not page.notification_rule_ids.filtered(
                    lambda rule, page=page: rule.active and rule.event == "confirmed" and (
                        rule.channel in ("email", "email_sms") or (rule.channel == "sms" and page._sms_ready()))):
                raise ValidationError(page.env._(
                    "The page %(page)s is published: it must tell customers their booking is confirmed. Keep an "
                    "active \u201cCustomer: booking confirmed\u201d notification (by e-mail, SMS or both; by SMS "
                    "alone once the page can send SMS), or unpublish the page first.", page=page.name))
