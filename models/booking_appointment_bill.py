from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount

from ..exceptions import SlotUnavailableError

RECEIPT_RESEND_MINUTES = 5  # the desk sends a booking's receipt again at most this often, per channel


class BookingAppointment(models.Model):
    """The bill and its money: what the visit costs, the payment contract, checkout and receipts.

    The bill (``booking.appointment.line``) is what the customer owes; the
    payment contract (``booking.payment.contract``) what was charged and
    refunded for it. This layer follows the life cycle: a deposit holds the
    booking in ``pending_payment`` until paid, a decline or cancellation
    refunds by the policy, a no-show charges its fee, checkout issues the
    final invoice and charges the balance.
    """

    _inherit = "booking.appointment"

    # === MONEY === #
    currency_id = fields.Many2one(related="company_id.currency_id")
    line_ids = fields.One2many("booking.appointment.line", "appointment_id", string="Bill", copy=False)
    # precomputed: a new booking's bill is empty (its lines come after), its totals are in its INSERT
    price_subtotal = fields.Monetary(string="Untaxed", compute="_compute_amounts", store=True, precompute=True)
    price_tax = fields.Monetary(string="Taxes", compute="_compute_amounts", store=True, precompute=True)
    price = fields.Monetary(
        string="Total", compute="_compute_amounts", store=True, precompute=True, currency_field="currency_id",
        help="The bill: the service, add-ons and discounts, taxes included. What the customer owes for the visit.",
    )
    tax_totals = fields.Binary(compute="_compute_tax_totals", exportable=False)
    contract_id = fields.Many2one("booking.payment.contract", string="Payment Contract", readonly=True, copy=False)
    prepay_full = fields.Boolean(
        string="Full Prepayment", readonly=True, copy=False,
        help="The customer was at risk of not showing up (no-show protection): the whole price is the deposit.")
    payment_state = fields.Selection(related="contract_id.state", string="Payment")
    amount_paid = fields.Monetary(related="contract_id.amount_net", string="Net Charged")
    amount_due = fields.Monetary(related="contract_id.amount_balance_due", string="Balance Due")
    amount_deposit_paid = fields.Monetary(related="contract_id.amount_deposit_paid")
    amount_balance_paid = fields.Monetary(related="contract_id.amount_balance_paid")
    amount_tip = fields.Monetary(related="contract_id.amount_tip")
    amount_refunded = fields.Monetary(related="contract_id.amount_refunded")
    final_invoice_id = fields.Many2one(related="contract_id.final_invoice_id")
    saved_card_label = fields.Char(compute="_compute_saved_card_label",
                                   help="The card checkout charges, if the customer saved one.")

    # === COMPUTES === #

    @api.depends("line_ids.price_subtotal", "line_ids.price_total", "line_ids.tax_ids", "company_id", "currency_id")
    def _compute_amounts(self):
        """The bill's totals are Odoo's tax totals of its lines, as a sale order's.

        Never the sum of the lines' rounded totals: a company that rounds
        taxes globally adds each tax up over the lines before rounding it, so
        that sum may be a cent off the invoice of the same lines.
        """
        for appointment in self:
            if not appointment.line_ids:  # a new booking before its service line: no tax engine to ask
                appointment.price_subtotal = appointment.price_tax = appointment.price = 0.0
                continue
            totals = appointment._get_bill_tax_totals()
            appointment.price_subtotal = totals["base_amount_currency"]
            appointment.price_tax = totals["tax_amount_currency"]
            appointment.price = totals["total_amount_currency"]

    @api.depends("line_ids.price_subtotal", "line_ids.price_total", "line_ids.tax_ids", "company_id", "currency_id")
    def _compute_tax_totals(self):
        """Odoo's tax summary of the bill (the widget of sale orders and invoices)."""
        for appointment in self:
            appointment.tax_totals = appointment._get_bill_tax_totals()

    def _get_bill_tax_totals(self):
        """``account.tax``'s totals of the bill's lines, rounded by the company's method (per line or globally)."""
        self.ensure_one()
        AccountTax = self.env["account.tax"]
        company = self.company_id or self.env.company
        base_lines = [line._prepare_base_line_for_taxes_computation() for line in self.line_ids]
        AccountTax._add_tax_details_in_base_lines(base_lines, company)
        AccountTax._round_base_lines_tax_details(base_lines, company)
        return AccountTax._get_tax_totals_summary(
            base_lines=base_lines, currency=self.currency_id or company.currency_id, company=company)

    def _compute_saved_card_label(self):
        for appointment in self:
            token = appointment.contract_id.sudo()._get_token() if appointment.contract_id else False
            appointment.saved_card_label = token.display_name if token else False

    # === HOOKS === #

    def _on_created(self):
        result = super()._on_created()
        # money due now: the payment form reads the bill right after the answer
        self.filtered(lambda a: a.state == "pending_payment")._make_bill()
        return result

    def _after_created(self):
        result = super()._after_created()
        self.filtered(lambda a: not a.line_ids)._make_bill()
        return result

    def _make_bill(self):
        """The bill of new appointments: the service line, and the payment contract when money is involved."""
        self._sync_service_line()
        self._create_contracts()

    def write(self, vals):
        if "contract_id" in vals and not self.env.su:
            # the money of another booking (or company) is never linked by hand: the bill creates it
            raise AccessError(self.env._("The payments of a booking cannot be replaced."))
        result = super().write(vals)
        if "service_id" in vals:
            self._sync_service_line()
        return result

    def _is_hold_being_paid(self):
        """A hold whose deposit is being processed (pending, authorized, or done but not post-processed)."""
        return super()._is_hold_being_paid() or bool(self.contract_id._has_deposit_in_flight())

    def _before_state_change(self, new_state):
        result = super()._before_state_change(new_state)
        if new_state in ("rejected", "cancelled", "no_show", "done"):
            self.contract_id._lock()
        return result

    def _on_state_changed(self, old_state):
        """Money follows the life cycle: refunds when a booking will not take place, the no-show fee."""
        result = super()._on_state_changed(old_state)
        contract = self.contract_id.sudo()
        if not contract or old_state == self.state:
            return result
        if self.state == "rejected":
            contract._refund_for_cancellation("merchant", 0.0)
        elif self.state == "cancelled":
            notice = (self.start - (self.cancelled_at or fields.Datetime.now())).total_seconds() / 3600.0
            contract._refund_for_cancellation(self.cancelled_by or "merchant", notice)
        elif self.state == "expired" and contract.amount_paid:
            contract._refund_for_cancellation("system", 0.0)
        elif self.state == "no_show":
            contract._charge_no_show_fee()
        return result

    # === THE BILL === #

    def _sync_service_line(self):
        """The bill's service line follows the service: created with the booking, replaced when it changes.

        The price is the service's price list price at that moment; staff may
        then correct it on the line (a longer cut, a goodwill price).
        """
        Line = self.env["booking.appointment.line"].sudo()  # the bill's own sync: it may touch a locked bill
        for appointment in self:
            service = appointment.service_id
            line = appointment._get_service_line()
            product = service._get_product()
            if line and line.product_id == product and line.name == service.name:
                continue
            values = {"product_id": product.id, "name": service.name, "price_unit": service.price}
            if line:
                line.sudo().write(values)
            else:
                Line.create({**values, "appointment_id": appointment.id, "line_type": "service", "sequence": 0})

    def _on_bill_changed(self):
        """After a bill line changed: the contract follows, and never falls below what was paid.

        A bill that becomes payable gets its contract; the deposit already
        paid stays, the balance is recomputed from the new total.
        """
        if self.env.su and self.env.context.get("booking_bill_migration"):
            return  # the bills of existing bookings are rebuilt as they were (migration 18.0.3.0.0, superuser)
        self._create_contracts()
        for appointment in self.filtered("contract_id"):
            contract = appointment.contract_id.sudo()
            paid = contract.currency_id.round(contract.amount_deposit_paid + contract.amount_balance_paid)
            if contract.currency_id.compare_amounts(appointment.price, paid) < 0:
                raise UserError(self.env._(
                    "The bill of %(ref)s (%(total)s) would be less than what was already paid (%(paid)s): "
                    "refund the difference first.",
                    ref=appointment.name, total=contract._fmt(appointment.price), paid=contract._fmt(paid)))

    def _create_contracts(self):
        """One payment contract per appointment that involves money."""
        vals_list = [
            {
                "appointment_id": appointment.id,
                "currency_id": appointment.currency_id.id,
                "amount_deposit": (appointment.price if appointment.prepay_full
                                   else appointment.service_id._get_deposit_amount(appointment.price))
                if appointment.state == "pending_payment" else 0.0,
            }
            for appointment in self
            if not appointment.contract_id and appointment.currency_id.compare_amounts(appointment.price, 0.0) > 0
        ]
        contracts = self.env["booking.payment.contract"].sudo().create(vals_list)
        for contract in contracts:
            contract.appointment_id.contract_id = contract
        return contracts

    def _get_service_line(self):
        self.ensure_one()
        return self.line_ids.filtered(lambda line: line.line_type == "service")[:1]

    # === PAYMENT OF THE DEPOSIT === #

    @api.model
    def _get_initial_state(self, page, service, source, prepay_full=False):
        """Customers pay the deposit first when there is one (the whole price when they must prepay it)."""
        if source != "backend" and (service._get_deposit_amount() > 0 or (prepay_full and service.price > 0)):
            return "pending_payment"
        return super()._get_initial_state(page, service, source, prepay_full=prepay_full)

    def _action_payment_done(self):
        """The deposit is paid: go on to approval or confirmation."""
        return self._action_release_hold(self.env._("paid"))

    def _revive_after_late_payment(self, tx):
        """The deposit arrived after the hold expired: book it if the time is still free.

        Otherwise the deposit is refunded in full and the customer told.
        """
        self.ensure_one()
        new_state = self._get_state_after_payment(self.page_id, self.service_id)
        try:
            with self.env.cr.savepoint():
                self._transition(self.env._("booked after a late payment"), ("expired",), new_state, vals={
                    "hold_expires_at": False, "cancelled_at": False, "cancelled_by": False, "cancel_reason": False,
                })
        except SlotUnavailableError:
            self.contract_id._refund_duplicate(
                tx, self.env._("the time was taken by someone else after your hold expired")
            )
            return False
        return True

    # === CHECKOUT AT THE DESK === #

    def action_complete(self, charge_card=True):
        """Checkout: the service was delivered; the bill is final and invoiced.

        The contract is locked first (``_before_state_change``), so a double
        click cannot charge twice. The final invoice is issued (the bill
        minus what was invoiced before); with ``charge_card`` the balance is
        charged on the saved card, and a failed or impossible charge leaves
        it due with a payment link sent to the customer. Without it, the desk
        takes the payment (counter or card) from the checkout screen. The
        receipt goes out once nothing remains due. The appointment is done
        either way.
        """
        super().action_complete()
        for appointment in self.filtered("contract_id"):
            contract = appointment.contract_id.sudo()
            contract._issue_final_invoice()
            if charge_card:
                contract._charge_balance()
            # after the charge: the receipt shows what was paid
            contract._notify_receipt_when_settled()
        return True

    def action_checkout_complete(self):
        """The checkout screen's "Complete": done, bill invoiced, nothing charged (the desk takes payment)."""
        self.action_complete(charge_card=False)
        return self.action_open_checkout()

    def action_checkout_complete_and_charge(self):
        """The checkout screen's "Complete & charge card"."""
        self.action_complete(charge_card=True)
        return self.action_open_checkout()

    def action_open_checkout_dialog(self):
        """The desk's checkout in one dialog (``booking.checkout``): add-ons, discount, tip, payment, receipt."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Checkout %(ref)s", ref=self.name),
            "res_model": "booking.checkout",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_appointment_id": self.id},
        }

    def action_open_checkout(self):
        """The desk's checkout screen: what was done, paid and due, and the buttons to settle it."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Checkout %(ref)s", ref=self.name),
            "res_model": "booking.appointment",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("self_serve_booking.booking_appointment_view_form_checkout").id, "form")],
            "target": "current",
        }

    def action_register_payment(self, pay_with="counter"):
        """Open the payment dialog of the checkout screen."""
        self.ensure_one()
        if not self.contract_id:
            raise UserError(self.env._("%(ref)s has nothing to pay.", ref=self.name))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Take a payment"),
            "res_model": "booking.counter.payment",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_appointment_id": self.id, "default_pay_with": pay_with},
        }

    def action_charge_saved_card(self):
        return self.action_register_payment(pay_with="card")

    # === THE NO-SHOW FEE AT THE DESK === #

    no_show_fee_due = fields.Monetary(
        string="No-show Fee Due", compute="_compute_no_show_fee_due",
        help="The policy's no-show fee not paid yet (no card on file, or the card was refused): the desk takes "
             "it with Take No-show Fee.")

    def _compute_no_show_fee_due(self):
        for appointment in self:
            contract = appointment.contract_id.sudo()
            appointment.no_show_fee_due = contract._get_amount_due("no_show_fee") \
                if contract and appointment.state == "no_show" else 0.0

    def action_take_no_show_fee(self):
        """The payment dialog for the no-show fee, at the counter (the card on file was tried when marked)."""
        self.ensure_one()
        if not self.no_show_fee_due:
            raise UserError(self.env._("%(ref)s has no no-show fee to pay.", ref=self.name))
        return self.action_register_payment()

    def action_view_contract(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "booking.payment.contract",
            "res_id": self.contract_id.id,
            "view_mode": "form",
            "name": self.env._("Payments of %(ref)s", ref=self.name),
        }

    # === RECEIPT === #

    # === SETTLED === #

    def _is_settled(self):
        """Whether nothing remains due for this booking (no money involved, or everything paid)."""
        self.ensure_one()
        contract = self.sudo().contract_id
        return not contract or contract.currency_id.compare_amounts(contract.amount_balance_due, 0.0) <= 0

    def _on_settled(self):
        """Hook: the visit is done and nothing remains due (its receipt goes out); called again after a tip.

        Extended by the review layer (the review request waits for it).
        """
        self.ensure_one()

    def _get_receipt_url(self):
        """The customer's page of this booking, where the receipt is (a link grants this booking only)."""
        self.ensure_one()
        return f"{self.get_base_url()}{self.get_portal_url()}"

    def _send_receipt(self, channel):
        """Send the receipt now, by ``email`` (with the PDF) or ``sms`` (a link to the receipt page).

        The desk's button: the merchant's staff only (a customer can read
        their booking, hence call this through call_kw, and each SMS is paid
        for), and at most once per ``RECEIPT_RESEND_MINUTES`` per booking and
        channel, whoever asks.
        """
        self.ensure_one()
        if not self.env.su and not self._is_staff(self.env.user):
            raise AccessError(self.env._("Only the merchant's staff send a receipt again."))
        if self.state not in ("done", "no_show"):
            raise UserError(self.env._("The receipt exists once the appointment is checked out."))
        partner = self.partner_id
        if channel == "email" and not partner.email:
            raise UserError(self.env._("%(customer)s has no e-mail address.", customer=partner.name))
        if channel == "sms" and not (partner.mobile or partner.phone):
            raise UserError(self.env._("%(customer)s has no phone number.", customer=partner.name))
        allowed, retry_after = self.env["booking.rate.limit"].sudo()._hit(
            f"receipt-resend:{self.id}:{channel}", 1, RECEIPT_RESEND_MINUTES)
        if not allowed:
            raise UserError(self.env._("The receipt was just sent: try again in %(minutes)s minute(s).",
                                       minutes=max(1, round(retry_after / 60))))
        key = f"receipt:booking.appointment:{self.id}:desk:{channel}:{fields.Datetime.now().isoformat()}"
        self.env["booking.notification"].sudo()._enqueue(self.page_id, "receipt", key, self, channel=channel)
        self._message_log(body=escape(self.env._("Receipt sent by %(channel)s.",
                                                 channel=self.env._("SMS") if channel == "sms" else
                                                 self.env._("e-mail"))))
        return True

    def action_send_receipt_by_email(self):
        return self._send_receipt("email")

    def action_send_receipt_by_sms(self):
        return self._send_receipt("sms")

    def _format_refund(self):
        """What was refunded on this booking, formatted, or an empty string."""
        self.ensure_one()
        contract = self.contract_id
        if not contract or contract.currency_id.is_zero(contract.amount_refunded):
            return ""
        return format_amount(self.env, contract.amount_refunded, contract.currency_id)

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Receipt %(ref)s", ref=self.name)
