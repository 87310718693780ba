"""Secrets (the Twilio credentials) are kept as payment providers keep theirs: administrators only."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BookingCommon


@tagged("at_install")
class TestSecrets(BookingCommon):

    def test_twilio_credentials_are_readable_by_administrators_only(self):
        self.page.write({"sms_gateway": "twilio", "twilio_account_sid": "AC" + "1" * 32,
                         "twilio_auth_token": "s3cret-token", "twilio_number": "+14155550123"})
        page = self.page.with_user(self.user_manager)
        self.assertEqual(page.read(["twilio_number"])[0]["twilio_number"], "+14155550123")
        for field in ("twilio_auth_token", "twilio_account_sid"):
            with self.assertRaises(AccessError):
                page.read([field])
            with self.assertRaises(AccessError):
                page.write({field: "changed"})
            self.assertNotIn(field, page.fields_get())
            with self.assertRaises(AccessError):
                page.search_read([("id", "=", page.id)], [field])
        self.assertEqual(self.page.twilio_auth_token, "s3cret-token")
        self.assertFalse(page.copy_data()[0].get("twilio_auth_token"))
        admin = self.page.with_user(self.env.ref("base.user_admin"))
        self.assertEqual(admin.read(["twilio_auth_token"])[0]["twilio_auth_token"], "s3cret-token")
