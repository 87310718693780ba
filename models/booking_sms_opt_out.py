from odoo import api, fields, models

# The whole message, trimmed and case aside, as Twilio and the carriers read it (Twilio's default keywords)
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})


class BookingSmsOptOut(models.Model):
    """A phone number that replied STOP to one page's number: that page texts it no more.

    Carriers and Twilio read a reply as an opt-out only when the whole
    message is a keyword ("STOP", not "End of the day works for me"), and
    only for the number that received it: the opt-out belongs to the page
    (its Twilio number), never to every merchant of the database, and only
    an opt-in word sent to that page's number undoes it. Staff read them;
    only the webhook writes them.
    """

    _name = "booking.sms.opt.out"
    _description = "Booking SMS Opt-out"
    _order = "id desc"
    _rec_name = "number"

    page_id = fields.Many2one("booking.page", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="page_id.company_id", store=True, index=True)
    number = fields.Char(required=True, readonly=True, help="The number that replied STOP (E.164).")
    keyword = fields.Char(readonly=True, help="The word it replied.")

    _sql_constraints = [
        ("page_number_unique", "UNIQUE(page_id, number)", "A number opts out of a page once."),
    ]

    @api.model
    def _keyword(self, text):
        """``("out" | "in", word)`` when the whole message is an opt-out or opt-in keyword, else ``(False, word)``."""
        word = (text or "").strip().upper()
        if word in OPT_OUT_WORDS:
            return "out", word
        if word in OPT_IN_WORDS:
            return "in", word
        return False, word

    @api.model
    def _is_opted_out(self, page, number):
        return bool(self.sudo().search_count([("page_id", "=", page.id), ("number", "=", number)], limit=1))

    @api.model
    def _opt_out(self, page, number, keyword):
        if not self._is_opted_out(page, number):
            self.sudo().create({"page_id": page.id, "number": number, "keyword": keyword})

    @api.model
    def _opt_in(self, page, number):
        """Undo this page's opt-out of ``number`` (no other page's): whether there was one."""
        opt_outs = self.sudo().search([("page_id", "=", page.id), ("number", "=", number)])
        opt_outs.unlink()
        return bool(opt_outs)
