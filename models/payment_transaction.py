from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models

BOOKING_KINDS = [
    ("deposit", "Deposit"),
    ("balance", "Balance"),
    ("tip", "Tip"),
    ("no_show_fee", "No-show fee"),
    ("refund", "Refund"),
]
KIND_CODES = {"deposit": "DEP", "balance": "BAL", "tip": "TIP", "no_show_fee": "FEE", "refund": "REF"}


class PaymentTransaction(models.Model):
    """Transactions of booking payment contracts, linked as ``sale`` links orders."""

    _inherit = "payment.transaction"

    # === BOOKING LINKS === #
    booking_contract_ids = fields.Many2many(
        "booking.payment.contract",
        "booking_contract_transaction_rel",
        "transaction_id",
        "contract_id",
        string="Booking Contracts",
        readonly=True,
        copy=False,
    )
    booking_payment_kind = fields.Selection(
        selection=BOOKING_KINDS, string="Booking Payment", readonly=True, copy=False,
        help="What this transaction pays for in the booking it belongs to.",
    )
    booking_payer_verified = fields.Boolean(
        string="Paid by the Signed-in Customer", readonly=True, copy=False,
        help="The booking's own customer, signed in, made this payment: a card it saves is theirs to "
        "charge for their other bookings.",
    )

    # === BUSINESS METHODS - PAYMENT FLOW === #

    @api.model
    def _compute_reference_prefix(self, provider_code, separator, **values):
        """Reference transactions after their appointment and kind: ``BK25-00012-DEP``."""
        command_list = values.get("booking_contract_ids")
        if command_list:
            contract_ids = self._fields["booking_contract_ids"].convert_to_cache(command_list, self)
            contracts = self.env["booking.payment.contract"].sudo().browse(contract_ids).exists()
            if contracts and len(contracts) == len(contract_ids):
                kind = KIND_CODES.get(values.get("booking_payment_kind"), "PAY")
                return separator.join([*contracts.mapped("name"), kind])
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        """Refunds (and partial captures) stay linked to the booking they come from."""
        if self.booking_contract_ids:
            custom_create_values.setdefault("booking_contract_ids",
                                            [fields.Command.set(self.booking_contract_ids.ids)])
            kind = "refund" if is_refund else self.booking_payment_kind
            custom_create_values.setdefault("booking_payment_kind", kind)
        return super()._create_child_transaction(amount, is_refund=is_refund, **custom_create_values)

    # === BUSINESS METHODS - POST-PROCESSING === #

    def _post_process(self):
        """Invoice booking charges, then let accounting pay them, then move the booking on.

        The invoice (or credit note, for a refund) is created only once the
        money moved, so a failed payment leaves no draft behind; it exists
        before ``account_payment`` creates the payment, which reconciles it.
        """
        booking_txs = self.filtered(lambda tx: tx.booking_contract_ids and not tx.is_post_processed)
        for tx in booking_txs.filtered(lambda tx: tx.state == "done"):
            for contract in tx.booking_contract_ids:
                contract._invoice_transaction(tx)
            tx._booking_classify_saved_card()
        res = super()._post_process()
        for tx in booking_txs:
            for contract in tx.booking_contract_ids:
                contract._on_transaction_processed(tx)
        return res

    def _booking_classify_saved_card(self):
        """Whose card a booking payment saved: its owner's (signed in), or this booking's only.

        Only a card saved by this very payment is classified; a card chosen
        from the list was classified when it was saved.
        """
        self.ensure_one()
        token = self.token_id.sudo()
        if not token or token.booking_owner_verified or token.booking_only_appointment_id:
            return
        # saved by this payment: its first transaction (providers clear ``tokenize`` once the card is saved)
        if min(token.transaction_ids.ids, default=self.id) != self.id:
            return
        if self.booking_payer_verified:
            token.booking_owner_verified = True
        else:
            token.booking_only_appointment_id = self._booking_card_appointment()

    def _booking_card_appointment(self):
        """The booking a card saved by this payment is bound to, when its payer did not sign in."""
        self.ensure_one()
        return self.booking_contract_ids.appointment_id[:1]

    # === BUSINESS METHODS - LOGGING === #

    def _log_message_on_linked_documents(self, message):
        """Also log payment events on the appointments, where staff look: a note in the chatter, e-mailed to nobody.

        As sale logs them on an order: the transaction's progress (initiated,
        confirmed, posted) is for the record; staff hear of the booking itself
        (new booking, receipt of the money in the bill's own messages).
        """
        res = super()._log_message_on_linked_documents(message)
        # staff charging at the desk (or a scheduled action) sign their own
        # messages; online, the customer paying is the author
        user = self.env.user
        author = user.partner_id if self.env.uid == SUPERUSER_ID or user._is_internal() else self.partner_id
        for contract in self.booking_contract_ids or self.source_transaction_id.booking_contract_ids:
            contract.appointment_id._message_log(body=Markup("%s") % message, author_id=author.id)
        return res
