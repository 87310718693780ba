"""Every message translatable: what people read in their language, including the labels of selections."""

from freezegun import freeze_time

from odoo.tests import tagged

from .common import NOW
from .test_payments import PaymentCase


@tagged("post_install", "-at_install")  # invoices need the chart of accounts, installed after the modules
class TestTranslatedLabels(PaymentCase):

    def test_invoice_and_receipt_labels_are_the_selections_translated_labels(self):
        """Invoice lines and the receipt's money movements name the kind of payment in the customer's language."""
        self.env["res.lang"]._activate_lang("fr_FR")
        selection = self.env["ir.model.fields.selection"].search([
            ("field_id.model", "=", "payment.transaction"), ("field_id.name", "=", "booking_payment_kind"),
            ("value", "=", "deposit")])
        selection.with_context(lang="fr_FR").name = "Acompte"
        self.env.registry.clear_cache()
        with freeze_time(NOW):
            appointment = self._book_deposit()
            self._pay(appointment)
        contract = appointment.contract_id.with_context(lang="fr_FR")
        self.assertTrue(contract._invoice_label("deposit").startswith("Acompte: "))
        self.assertIn("Acompte", [move["label"] for move in contract._get_money_movements()])
        self.assertTrue(contract.with_context(lang="en_US")._invoice_label("deposit").startswith("Deposit: "))
