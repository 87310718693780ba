"""The appointment is a small core and one layer per feature: these tests keep it so."""

import ast
import pathlib
import re
import threading
from unittest.mock import patch

from odoo.tests import TransactionCase
from odoo.tests import tagged

MODELS = pathlib.Path(__file__).resolve().parent.parent / "models"
CORE = MODELS / "booking_appointment.py"
# What a feature is called: none of these may appear in the core file (code, strings or comments)
FEATURE_WORDS = (
    "contract", "invoice", "invoiced", "refund", "refunded", "refunds", "loyalty", "reward", "review", "reviews",
    "rating", "series", "dependant", "dependants", "waitlist", "conversation", "conversations", "receptionist",
    "calendar", "live", "sms", "twilio", "deposit", "tip", "tips", "qr", "travel", "bill",
)
CORE_MAX_LINES = 900
FILE_MAX_LINES = 1000
HOOKS = ("_on_created", "_before_state_change", "_on_state_changed", "_on_moved")


@tagged("at_install")
class TestLayers(TransactionCase):

    def test_core_is_small_and_names_no_feature(self):
        text = CORE.read_text(encoding="utf-8")
        self.assertLessEqual(len(text.splitlines()), CORE_MAX_LINES)
        found = sorted({word for word in FEATURE_WORDS
                        if re.search(rf"(?<![\w-]){word}(?![\w-])", text, flags=re.IGNORECASE)})
        self.assertEqual(found, [], "the core names a feature: move that code to its layer")

    def test_no_model_file_is_over_a_thousand_lines(self):
        long_files = {path.name: n for path in MODELS.glob("*.py")
                      if (n := len(path.read_text(encoding="utf-8").splitlines())) > FILE_MAX_LINES}
        self.assertEqual(long_files, {})

    def test_each_layer_extends_the_core_and_its_hooks_call_super(self):
        """A layer is its own file, extends booking.appointment, and never overrides a hook without super()."""
        layers = sorted(MODELS.glob("booking_appointment_*.py"))
        self.assertGreater(len(layers), 10)
        for path in layers:
            if path.name == "booking_appointment_line.py":
                continue  # the bill's lines: a model of its own
            tree = ast.parse(path.read_text(encoding="utf-8"))
            classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
            self.assertEqual(len(classes), 1, path.name)
            attributes = {target.id: node.value for node in classes[0].body if isinstance(node, ast.Assign)
                          for target in node.targets if isinstance(target, ast.Name)}
            inherit = ast.literal_eval(attributes["_inherit"])
            self.assertIn("booking.appointment", [inherit] if isinstance(inherit, str) else inherit, path.name)
            if "_name" in attributes:
                self.assertEqual(ast.literal_eval(attributes["_name"]), "booking.appointment", path.name)
            for node in classes[0].body:
                if isinstance(node, ast.FunctionDef) and node.name in HOOKS:
                    calls = [call for call in ast.walk(node) if isinstance(call, ast.Call)
                             and isinstance(call.func, ast.Attribute) and call.func.attr == node.name
                             and isinstance(call.func.value, ast.Call)
                             and getattr(call.func.value.func, "id", None) == "super"]
                    self.assertTrue(calls, f"{path.name}: {node.name} must call super()")

    def test_hooks_are_on_the_model(self):
        Appointment = self.env["booking.appointment"]
        for hook in HOOKS:
            self.assertTrue(callable(getattr(Appointment, hook, None)), hook)

    def test_public_and_merchant_apis_share_one_controller(self):
        """Both JSON APIs derive from one base, so Odoo builds them into one controller: an addon overriding a
        helper (the error answers, the slot payloads...) changes both alike."""
        from ..controllers.api import BookingApiBase  # noqa: PLC0415

        endpoints = {}
        # Odoo's server names the thread's database; pytest-odoo's runner does not
        with patch.object(threading.current_thread(), "dbname", self.env.cr.dbname, create=True):
            rules = list(self.env["ir.http"].routing_map().iter_rules())
        for rule in rules:
            if rule.rule in ("/booking/api/v1/pages/<string:slug>", "/booking/api/v1/merchant/appointments"):
                endpoints[rule.rule] = rule.endpoint.func.__self__
        self.assertEqual(len(endpoints), 2)
        public, merchant = endpoints.values()
        self.assertIs(type(public), type(merchant))
        self.assertTrue(isinstance(public, BookingApiBase))

    def test_migrations_carry_their_own_values(self):
        """A migration never imports the addon's code: run again later, it must do what it did then."""
        root = MODELS.parent / "migrations"
        for path in sorted(root.glob("*/*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    self.assertFalse(node.level, f"{path}: relative import")
                    self.assertFalse((node.module or "").startswith("odoo.addons.self_serve_booking"), str(path))
                elif isinstance(node, ast.Import):
                    self.assertFalse(any(alias.name.startswith("odoo.addons.self_serve_booking")
                                         for alias in node.names), str(path))
