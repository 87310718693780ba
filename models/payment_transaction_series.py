from markupsafe import Markup

from odoo import api, fields, models


class PaymentTransaction(models.Model):
    """One payment for the deposits of a series, recorded per occurrence.

    The customer pays once: one transaction of the series
    (``booking_series_id``), of the sum of its parts
    (``booking_deposit_shares``: each occurrence's contract and the deposit
    due on it when the payment was made). It is linked to no contract, so no
    contract counts its whole amount. Once it is done, it is split as Odoo
    splits one payment into partial captures: one child transaction per part,
    done, linked to that occurrence's contract alone, which takes it as any
    deposit (its checks, its invoice, its ``account.payment`` reconciled with
    that invoice, the visit confirmed). Refunds and invoices stay per visit:
    cancelling one occurrence refunds its part through the provider, on the
    same payment. A series payment that does not add up (another amount,
    currency or operation) confirms nothing and is refunded whole
    (``booking.series._check_deposit_payment``).
    """

    _inherit = "payment.transaction"

    # === SERIES LINKS === #
    booking_series_id = fields.Many2one(
        "booking.series", string="Series", readonly=True, copy=False, index="btree_not_null",
        help="The recurring booking whose deposits this payment pays (its parts are on each visit's contract).")
    booking_deposit_shares = fields.Json(
        string="Deposit Parts", readonly=True, copy=False,
        help="A series payment's parts: the deposit of each visit's contract (contract id: amount).")

    # === BUSINESS METHODS - PAYMENT FLOW === #

    @api.model
    def _compute_reference_prefix(self, provider_code, separator, **values):
        """A series payment after its first visit and the number of visits: ``BK25-00012-x4-DEP``."""
        series_id = values.get("booking_series_id")
        shares = values.get("booking_deposit_shares")
        if series_id and shares and not values.get("booking_contract_ids"):
            contracts = self.env["booking.payment.contract"].sudo().browse(int(key) for key in shares).exists()
            first = contracts.sorted(lambda c: (c.appointment_id.start, c.id))[:1]
            if first:
                return separator.join([first.name, f"x{len(shares)}", "DEP"])
        return super()._compute_reference_prefix(provider_code, separator, **values)

    def _booking_is_series_payment(self):
        """Whether this is the customer's one payment of a series' deposits (not one of its parts)."""
        self.ensure_one()
        return bool(self.booking_series_id and not self.source_transaction_id and not self.booking_contract_ids)

    def _booking_series_shares(self):
        """The parts of a series payment: ``{contract: amount}`` (contracts that no longer exist left out)."""
        self.ensure_one()
        Contract = self.env["booking.payment.contract"].sudo()
        shares = {}
        for key, amount in (self.booking_deposit_shares or {}).items():
            if not str(key).isdigit() or not isinstance(amount, int | float) or isinstance(amount, bool):
                continue
            contract = Contract.browse(int(key)).exists()
            if contract:
                shares[contract] = amount
        return shares

    # === BUSINESS METHODS - POST-PROCESSING === #

    def _post_process(self):
        """A done series payment is split into its parts first, each taken by its visit's contract.

        Before the payment's own post-processing, so that ``account_payment``
        finds the parts done and books one payment per part (reconciled with
        that visit's invoice), none for the whole. A payment that does not add
        up is refunded after it, once its own ``account.payment`` exists.
        """
        series_txs = self.filtered(lambda tx: tx._booking_is_series_payment() and not tx.is_post_processed)
        refused = {}
        for tx in series_txs.filtered(lambda tx: tx.state == "done" and not tx.child_transaction_ids):
            reason = tx.booking_series_id.sudo()._check_deposit_payment(tx)
            if reason:
                refused[tx] = reason
            else:
                tx._booking_split_series_payment()
        res = super()._post_process()
        for tx, reason in refused.items():
            tx.booking_series_id.sudo()._refuse_deposit_payment(tx, reason)
        for tx in series_txs.filtered(lambda tx: tx.state in ("error", "cancel")):
            tx.booking_series_id.sudo()._message_log(body=self.env._(
                "The payment of the deposits (%(reference)s) did not go through: %(message)s",
                reference=tx.reference, message=tx.state_message or tx.state))
        return res

    def _booking_split_series_payment(self):
        """One done part per visit of a checked series payment, post-processed: each visit takes its deposit.

        :return: the parts (child transactions).
        """
        self.ensure_one()
        series = self.booking_series_id.sudo()
        parts = self.browse()
        for contract, amount in sorted(self._booking_series_shares().items(),
                                       key=lambda item: (item[0].appointment_id.start, item[0].id)):
            parts |= self.sudo()._create_child_transaction(
                amount,
                booking_contract_ids=[fields.Command.set(contract.ids)],
                booking_payment_kind="deposit",
                booking_payer_verified=self.booking_payer_verified,
                # the provider's payment: a part is refunded on it (e.g. Stripe's payment intent)
                provider_reference=self.provider_reference,
            )
        parts._set_done(state_message=self.env._("Part of the series payment %(reference)s.",
                                                 reference=self.reference))
        self._booking_classify_saved_card()
        parts._post_process()
        series._message_log(body=self.env._("Deposits paid in one payment (%(reference)s): %(count)s visits.",
                                            reference=self.reference, count=len(parts)))
        return parts

    def _create_child_transaction(self, amount, is_refund=False, **custom_create_values):
        """Parts and refunds of a series payment stay linked to the series."""
        if self.booking_series_id:
            custom_create_values.setdefault("booking_series_id", self.booking_series_id.id)
        return super()._create_child_transaction(amount, is_refund=is_refund, **custom_create_values)

    def _booking_card_appointment(self):
        """A card saved by a series payment whose payer did not sign in: its first visit's only."""
        appointment = super()._booking_card_appointment()
        if appointment or not self._booking_is_series_payment():
            return appointment
        contracts = self.env["booking.payment.contract"].sudo().concat(*self._booking_series_shares())
        return contracts.appointment_id.sorted("start")[:1]

    def _create_payment(self, **extra_create_values):
        """A part of a series payment is reconciled with its own visit's invoice.

        ``account_payment`` reconciles a partial capture with its source
        transaction's invoices; a series payment has none (each part is
        invoiced on its visit's contract).
        """
        payment = super()._create_payment(**extra_create_values)
        if self.booking_series_id and self.source_transaction_id and self.booking_contract_ids \
                and self.operation != "refund":
            invoices = self.invoice_ids.filtered(lambda invoice: invoice.state == "posted")
            (payment.move_id.line_ids + invoices.line_ids).filtered(
                lambda line: line.account_id == payment.destination_account_id and not line.reconciled
            ).reconcile()
        return payment

    # === BUSINESS METHODS - LOGGING === #

    def _log_message_on_linked_documents(self, message):
        """A series payment's events are logged on its series, where staff see the whole payment."""
        res = super()._log_message_on_linked_documents(message)
        if self.booking_series_id and not self.booking_contract_ids:
            self.booking_series_id.sudo()._message_log(body=Markup("%s") % message)
        return res
