"""18.0.2.0.0, before the update: the booking assistant keeps its action and view under their new names.

``booking.booking.wizard`` became ``booking.assistant``. Its window action
and form view are what menus, bookmarks and other addons point to: renaming
their XML ids keeps the same records (and ids) instead of deleting them and
creating new ones. Its records were transient (an assistant's search of
free times): its tables go, since Odoo only drops the tables of models that
are still in the code.
"""

RENAMED_XMLIDS = {
    "booking_booking_wizard_action": "booking_assistant_action",
    "booking_booking_wizard_view_form": "booking_assistant_view_form",
}


def migrate(cr, version):
    if not version:
        return
    for old, new in RENAMED_XMLIDS.items():
        cr.execute(
            """
            UPDATE ir_model_data SET name = %s
             WHERE module = 'self_serve_booking' AND name = %s
               AND NOT EXISTS (SELECT 1 FROM ir_model_data WHERE module = 'self_serve_booking' AND name = %s)
            """,
            [new, old, new],
        )
    cr.execute("DROP TABLE IF EXISTS booking_booking_wizard_slot, booking_booking_wizard CASCADE")
