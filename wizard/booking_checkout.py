from odoo import api, fields, models
from odoo.exceptions import UserError

from ..const import TIP_PRESETS

# States the desk checks a visit out from: the customer is in (a confirmed booking is checked in first).
CHECKOUT_STATES = ("confirmed", "checked_in")


class BookingCheckout(models.TransientModel):
    """The desk's checkout in one dialog: add-ons, a discount, the tip, how they pay and the receipt.

    The usual visit is five clicks from the booking (Checkout, an add-on, a
    tip, cash or the card on file, Complete & Pay), as on Square: the
    dialog shows the exact amount to take before anything happens, then
    runs the same paths as the checkout screen, in one transaction: the
    bill's lines, ``action_complete`` (final invoice, the saved card
    charged), the counter payment of the balance and of the tip, and the
    receipt (the page's rules send it once nothing is due; the desk may
    text or print it besides). What is unusual (a refund, a partial
    payment, another journal) stays on the checkout screen.
    """

    _name = "booking.checkout"
    _description = "Booking Checkout at the Desk"

    appointment_id = fields.Many2one("booking.appointment", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="appointment_id.company_id")
    currency_id = fields.Many2one(related="appointment_id.currency_id")
    partner_id = fields.Many2one(related="appointment_id.partner_id", string="Customer")
    service_id = fields.Many2one(related="appointment_id.service_id")
    saved_card_label = fields.Char(related="appointment_id.saved_card_label", string="Card on File")

    # === WHAT WAS DONE === #
    addon_product_ids = fields.Many2many(
        "product.product", string="Add-ons", domain="[('sale_ok', '=', True)]", check_company=True,
        help="Products sold with the visit: each becomes a line of the bill at its price, with its taxes.")
    discount = fields.Char(
        help='As you would say it: "10%" off the bill, or an amount ("5" or "-5": 5 off).')

    # === TIP, PAYMENT, RECEIPT === #
    tip_choice = fields.Selection(selection="_selection_tip_choice", string="Tip", default="none", required=True)
    tip_amount = fields.Monetary(compute="_compute_tip_amount", store=True, readonly=False)
    pay_with = fields.Selection(
        selection=[("card", "Card on file"), ("cash", "Cash"), ("terminal", "Card terminal")],
        string="Payment", compute="_compute_pay_with", store=True, readonly=False, required=True, precompute=True,
        help="Card on file: charged now. Cash or the card terminal: recorded in the cash or bank journal.")
    receipt = fields.Selection(
        selection=[("email", "E-mail"), ("sms", "Text message"), ("print", "Print")],
        compute="_compute_receipt", store=True, readonly=False, required=True, precompute=True,
        help="How the customer gets the receipt: by e-mail or text (once nothing is due), or printed now.")

    # === AMOUNTS (what the bill will be, exactly as the bill computes it) === #
    amount_bill = fields.Monetary(string="Bill", compute="_compute_amounts")
    amount_discount = fields.Monetary(string="Discount Amount", compute="_compute_amounts")
    amount_paid_before = fields.Monetary(string="Paid Before", compute="_compute_amounts")
    amount_to_pay = fields.Monetary(string="To Pay Now", compute="_compute_amounts")

    # === COMPUTES === #

    @api.model
    def _selection_tip_choice(self):
        return [("none", self.env._("No tip")),
                *[(str(percent), f"{percent}%") for percent in TIP_PRESETS],
                ("other", self.env._("Other"))]

    @api.depends("appointment_id")
    def _compute_pay_with(self):
        for wizard in self:
            wizard.pay_with = "card" if wizard.saved_card_label else "cash"

    @api.depends("appointment_id")
    def _compute_receipt(self):
        for wizard in self:
            partner = wizard.appointment_id.partner_id
            wizard.receipt = "email" if partner.email else "sms" if (partner.mobile or partner.phone) else "print"

    @api.depends("tip_choice", "addon_product_ids", "discount")
    def _compute_tip_amount(self):
        for wizard in self:
            if wizard.tip_choice == "other":
                wizard.tip_amount = wizard.tip_amount  # the desk types it
                continue
            percent = 0 if wizard.tip_choice in (False, "none") else int(wizard.tip_choice)
            bill = wizard._get_bill_preview()["total"] if percent else 0.0
            wizard.tip_amount = wizard.currency_id.round(bill * percent / 100.0) if percent else 0.0

    @api.depends("addon_product_ids", "discount", "tip_amount")
    def _compute_amounts(self):
        for wizard in self:
            preview = wizard._get_bill_preview()
            contract = wizard.appointment_id.contract_id.sudo()
            paid = (contract.amount_deposit_paid + contract.amount_balance_paid) if contract else 0.0
            wizard.amount_bill = preview["total"]
            wizard.amount_discount = preview["discount"]
            wizard.amount_paid_before = paid
            wizard.amount_to_pay = max(wizard.currency_id.round(preview["total"] - paid), 0.0) + wizard.tip_amount

    def _get_bill_preview(self):
        """The bill with the add-ons and the discount chosen, before they are written: ``total``, ``discount``.

        The lines are built in memory and totalled by ``account.tax`` as the
        bill and its invoice are, so the amount shown is the amount due.
        """
        self.ensure_one()
        appointment = self.appointment_id._origin
        if not appointment:
            return {"total": 0.0, "discount": 0.0}
        Line = self.env["booking.appointment.line"]
        lines = appointment.line_ids
        for product in self.addon_product_ids:
            lines |= Line.new({"appointment_id": appointment.id, "line_type": "addon",
                               "product_id": product._origin.id})
        total = self._get_tax_total(lines)
        discount = 0.0
        if self.discount:
            try:
                percent, amount = Line._parse_discount(self.discount)
            except UserError:
                percent = amount = 0.0  # said when confirming; meanwhile the bill shows without it
            base = sum(lines.filtered(lambda line: line.line_type != "discount").mapped("price_total"))
            discount = self.currency_id.round(base * percent / 100.0) if percent else amount
            discount = min(discount, max(total, 0.0))
            if discount:
                lines |= Line.new({"appointment_id": appointment.id, "line_type": "discount",
                                   "product_id": self._discount_product().id, "price_unit": -discount})
                total = self._get_tax_total(lines)
        return {"total": total, "discount": discount}

    def _get_tax_total(self, lines):
        """``account.tax``'s total of ``lines``, rounded by the company's method (as the bill's tax totals)."""
        AccountTax = self.env["account.tax"]
        company = self.company_id or self.env.company
        base_lines = [line._prepare_base_line_for_taxes_computation() for line in lines]
        AccountTax._add_tax_details_in_base_lines(base_lines, company)
        AccountTax._round_base_lines_tax_details(base_lines, company)
        summary = AccountTax._get_tax_totals_summary(
            base_lines=base_lines, currency=self.currency_id or company.currency_id, company=company)
        return summary["total_amount_currency"]

    def _discount_product(self):
        return self.env.ref("self_serve_booking.product_booking_discount")

    # === ACTIONS === #

    def action_confirm(self):
        """Complete the visit and take the money: bill, final invoice, payment, tip, receipt; all or nothing."""
        self.ensure_one()
        appointment = self.appointment_id
        appointment.check_access("write")
        if appointment.state not in CHECKOUT_STATES:
            raise UserError(self.env._("%(ref)s is %(state)s: it cannot be checked out.",
                                       ref=appointment.name, state=appointment._state_label()))
        self._check_receipt_channel()
        if self.pay_with == "card" and not self.saved_card_label and self._amount_due_after():
            raise UserError(self.env._("%(customer)s has no card on file: take cash or use the card terminal.",
                                       customer=appointment.partner_id.name))
        self._write_bill()
        if appointment.state == "confirmed":
            appointment.action_check_in()
        appointment.action_complete(charge_card=self.pay_with == "card")
        contract = appointment.contract_id.sudo()
        if contract and self.pay_with != "card":
            due = contract.amount_balance_due
            if contract.currency_id.compare_amounts(due, 0.0) > 0:
                contract._register_counter_payment("balance", due, *self._get_counter_journal())
        self._take_tip(contract)
        return self._send_receipt()

    def _amount_due_after(self):
        return self.currency_id.compare_amounts(self.amount_to_pay, 0.0) > 0

    def _check_receipt_channel(self):
        partner = self.appointment_id.partner_id
        if self.receipt == "email" and not partner.email:
            raise UserError(self.env._("%(customer)s has no e-mail address: text or print the receipt.",
                                       customer=partner.name))
        if self.receipt == "sms" and not (partner.mobile or partner.phone):
            raise UserError(self.env._("%(customer)s has no phone number: e-mail or print the receipt.",
                                       customer=partner.name))

    def _write_bill(self):
        """The add-ons and the discount chosen become lines of the bill (the bill's own rules apply)."""
        appointment = self.appointment_id
        Line = self.env["booking.appointment.line"]
        vals_list = [{"appointment_id": appointment.id, "line_type": "addon", "product_id": product.id}
                     for product in self.addon_product_ids]
        if vals_list:
            Line.create(vals_list)
        if self.discount:
            percent, amount = Line._parse_discount(self.discount)
            shown = "%g" % percent
            line = Line.create({
                "appointment_id": appointment.id, "line_type": "discount", "product_id": self._discount_product().id,
                "name": self.env._("Discount %(percent)s%%", percent=shown) if percent else self.env._("Discount"),
                "discount_percent": percent, "price_unit": -amount,
            })
            if appointment.currency_id.compare_amounts(appointment.price, 0.0) < 0:
                raise UserError(self.env._("The discount (%(discount)s) is more than the bill.",
                                           discount=line.discount_input))

    def _get_counter_journal(self):
        """The journal and payment method of money taken at the desk: the cash box or the card terminal's bank."""
        kind = "cash" if self.pay_with == "cash" else "bank"
        journal = self.env["account.journal"].search([
            ("type", "=", kind), ("company_id", "=", self.appointment_id.company_id.id)], limit=1)
        if not journal:
            raise UserError(self.env._("%(company)s has no %(kind)s journal to record this payment in.",
                                       company=self.appointment_id.company_id.name,
                                       kind=self.env._("cash") if kind == "cash" else self.env._("bank")))
        return journal, journal.inbound_payment_method_line_ids[:1]

    def _take_tip(self, contract):
        """The tip, the same way as the bill: on the card on file, or at the desk."""
        if not contract or contract.currency_id.compare_amounts(self.tip_amount, 0.0) <= 0:
            return
        if self.pay_with == "card":
            if contract.currency_id.compare_amounts(contract.amount_balance_due, 0.0) > 0:
                return  # the card was refused for the bill: the desk takes both (checkout screen)
            tx = contract._charge_tip(self.tip_amount)
            if tx.state != "done":
                # never an error here: the bill was charged already, and a rollback would forget it
                contract._log(self.env._("The tip of %(amount)s was not charged on the card: %(message)s",
                                         amount=contract._fmt(self.tip_amount), message=tx.state_message or tx.state))
        else:
            contract._register_counter_payment("tip", self.tip_amount, *self._get_counter_journal())

    def _send_receipt(self):
        """The receipt by the channel chosen, unless the page's rules already queued it there; printed: the PDF."""
        appointment = self.appointment_id
        checkout = appointment.action_open_checkout()
        if self.receipt == "print":
            report = self.env.ref("self_serve_booking.action_report_booking_receipt").report_action(appointment)
            return {**report, "close_on_report_download": True}
        if appointment.amount_due:
            return checkout  # the receipt goes once the rest is paid
        queued = self.env["booking.notification"].sudo().search_count([
            ("appointment_id", "=", appointment.id), ("event", "=", "receipt"), ("channel", "=", self.receipt)])
        if not queued:
            appointment._send_receipt(self.receipt)
        return checkout
