"""18.0.6.0.0, after the update: verification per value, opt-outs per page (issue 22), templates' new texts.

Frozen logic (plain SQL and Odoo's own loader, no import of the addon's code,
which may change after this release):

- A contact was "verified" as a whole (``booking_unverified`` false: not made
  from a visitor's input). It becomes verified for the values it holds: its
  e-mail and phone when it has no account; for a contact with an account,
  only the e-mail that is its login (an account page may have changed the
  e-mail to someone else's: that one proves nothing). Contacts made from a
  visitor's input stay verified for nothing.
- STOP replies used to go to Odoo's database-wide phone blacklist, with the
  message "Replied STOP to <page>". Each becomes an opt-out of the pages of
  that name that use Twilio; a blacklist entry whose last word was such a
  reply (not staff's) is archived, so that the other pages text the number
  again, as the customer asked of one page only.
- Staff answer a request by SMS with its reference and a six-digit code: the
  new-request SMS to staff (a noupdate template) gets the code, unless it was
  edited (then staff add it themselves).
- The e-mails and SMS a merchant never edited take this version's texts.
  Odoo loads a module's message templates once (``noupdate``): an upgrade
  keeps what the database holds, so the texts improved since the release (the
  check-in link with a same-day confirmation, the merchant's request with its
  code...) would never reach an existing database. A template whose fields are
  still exactly the release's, by the fingerprints below (frozen: the texts of
  18.0.5.2.0, whatever the code says later), is the release's text, not the
  merchant's: it is loaded again from the module's data files as they are
  when this runs. A template the merchant edited stays theirs. The
  fingerprint covers what a merchant edits: subject, body, sender and
  recipients for e-mails (English, the texts' source), the body for SMS.
"""

import hashlib
import json

from lxml import etree

from odoo import SUPERUSER_ID, api
from odoo.tools import file_path
from odoo.tools.convert import xml_import

OLD_REQUEST_SMS = ("Request {{ object.name }}: {{ object.partner_id.name }}, {{ object.service_id.name }} "
                   "{{ object._when_label(style='short') }}. Reply YES {{ object.name }} to approve or NO "
                   "{{ object.name }} to decline.")
NEW_REQUEST_SMS = ("Request {{ object.name }}: {{ object.partner_id.name }}, {{ object.service_id.name }} "
                   "{{ object._when_label(style='short') }}. Reply YES {{ object.name }} "
                   "{{ object._approval_sms_code() }} to approve or NO {{ object.name }} "
                   "{{ object._approval_sms_code() }} to decline.")


RELEASE_FINGERPRINTS = {
    ("mail.template", "mail_template_booking_agenda"): "78ba9f275f94d03c",
    ("mail.template", "mail_template_booking_cancelled"): "46849d37d28095e2",
    ("mail.template", "mail_template_booking_confirmed"): "8e9ea21d45390637",
    ("mail.template", "mail_template_booking_customer_cancelled"): "36fbd309216746de",
    ("mail.template", "mail_template_booking_customer_rescheduled"): "223e2cf9af401c7f",
    ("mail.template", "mail_template_booking_declined"): "7d250412993f1599",
    ("mail.template", "mail_template_booking_login_code"): "c0f8ac0bc7436553",
    ("mail.template", "mail_template_booking_new_booking"): "fcbe8bdbf26ffab0",
    ("mail.template", "mail_template_booking_new_request"): "ba985bf540618cc7",
    ("mail.template", "mail_template_booking_rebook_reminder"): "c34eb7486ece1f03",
    ("mail.template", "mail_template_booking_receipt"): "24b8f4734a6ebeb5",
    ("mail.template", "mail_template_booking_reminder"): "65fd109a81a4389c",
    ("mail.template", "mail_template_booking_request_nudge"): "eb2bc12c99912a26",
    ("mail.template", "mail_template_booking_request_received"): "55f3b8418d2736b8",
    ("mail.template", "mail_template_booking_rescheduled"): "91de8f9e0df4754c",
    ("mail.template", "mail_template_booking_review_request"): "cd506b118c737c11",
    ("mail.template", "mail_template_booking_waitlist_offer"): "b57375d2885bca99",
    ("sms.template", "sms_template_booking_agenda"): "9eb516e96f40d8ac",
    ("sms.template", "sms_template_booking_cancelled"): "a52c554993d7a2d6",
    ("sms.template", "sms_template_booking_confirmed"): "b31afd6c8df37d29",
    ("sms.template", "sms_template_booking_declined"): "1b61a3e7e457ec36",
    ("sms.template", "sms_template_booking_merchant_cancelled"): "2fce57454a65e632",
    ("sms.template", "sms_template_booking_merchant_new_booking"): "51b723c956827b9b",
    ("sms.template", "sms_template_booking_merchant_new_request"): "a90ecaaeb95ea638",
    ("sms.template", "sms_template_booking_merchant_rescheduled"): "7da7eb9098e22aab",
    ("sms.template", "sms_template_booking_rebook_reminder"): "6215365eb72d8992",
    ("sms.template", "sms_template_booking_receipt"): "30a370f7b379ca47",
    ("sms.template", "sms_template_booking_receptionist_message"): "86181b979687a21c",
    ("sms.template", "sms_template_booking_reminder"): "5349cce63ed855af",
    ("sms.template", "sms_template_booking_request_received"): "1b715f190a1ef248",
    ("sms.template", "sms_template_booking_review_request"): "27fc3de01c6db334",
    ("sms.template", "sms_template_booking_waitlist_offer"): "7eb959079f80306b",
}

TEMPLATE_FILES = ("data/mail_template_data.xml", "data/sms_template_data.xml", "data/booking_follow_up_data.xml")


def fingerprint(values):
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def unedited_templates(cr):
    """The XML ids of the module's templates whose fields are still the release's."""
    found = {}
    cr.execute("""
        SELECT d.name, t.subject->>'en_US', t.body_html->>'en_US', t.email_from, t.email_to, t.partner_to
          FROM ir_model_data d JOIN mail_template t ON t.id = d.res_id
         WHERE d.module = 'self_serve_booking' AND d.model = 'mail.template'
    """)
    for name, *values in cr.fetchall():
        found["mail.template", name] = fingerprint(values)
    cr.execute("""
        SELECT d.name, t.body->>'en_US'
          FROM ir_model_data d JOIN sms_template t ON t.id = d.res_id
         WHERE d.module = 'self_serve_booking' AND d.model = 'sms.template'
    """)
    for name, *values in cr.fetchall():
        found["sms.template", name] = fingerprint(values)
    return {name for (model, name), value in RELEASE_FINGERPRINTS.items() if found.get((model, name)) == value}


def reload_templates(cr, names):
    """Load these records again from the module's data files, as an update would load an updatable file."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    # Odoo's loader leaves a record alone while its XML id says noupdate: lifted for the load, set back after
    cr.execute("""
        UPDATE ir_model_data SET noupdate = FALSE
         WHERE module = 'self_serve_booking' AND noupdate AND name IN %s
     RETURNING id
    """, [tuple(names)])
    lifted = [row[0] for row in cr.fetchall()]
    for path in TEMPLATE_FILES:
        tree = etree.parse(file_path(f"self_serve_booking/{path}"))
        records = [node for node in tree.getroot().iter("record") if node.get("id") in names]
        if records:
            root = etree.Element("odoo")
            root.extend(records)
            xml_import(env, "self_serve_booking", {}, "update", noupdate=False, xml_filename=path).parse(root)
    if lifted:
        cr.execute("UPDATE ir_model_data SET noupdate = TRUE WHERE id IN %s", [tuple(lifted)])


def migrate(cr, version):
    if not version:
        return
    unedited = unedited_templates(cr)
    cr.execute("""
        UPDATE res_partner p
           SET booking_verified_email = p.email_normalized
         WHERE NOT COALESCE(p.booking_unverified, FALSE)
           AND COALESCE(p.email_normalized, '') != ''
           AND (NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
                OR EXISTS (SELECT 1 FROM res_users u
                            WHERE u.partner_id = p.id AND lower(trim(u.login)) = p.email_normalized))
    """)
    cr.execute("""
        UPDATE res_partner p
           SET booking_verified_phone = p.phone_sanitized
         WHERE NOT COALESCE(p.booking_unverified, FALSE)
           AND COALESCE(p.phone_sanitized, '') != ''
           AND NOT EXISTS (SELECT 1 FROM res_users u WHERE u.partner_id = p.id)
    """)
    # STOP replies of the database-wide blacklist: opt-outs of the page they were sent to
    cr.execute("""
        INSERT INTO booking_sms_opt_out (page_id, company_id, number, keyword, create_uid, create_date,
                                         write_uid, write_date)
        SELECT DISTINCT page.id, page.company_id, bl.number, 'STOP', 1, now() AT TIME ZONE 'UTC', 1,
                        now() AT TIME ZONE 'UTC'
          FROM phone_blacklist bl
          JOIN mail_message msg ON msg.model = 'phone.blacklist' AND msg.res_id = bl.id
          JOIN booking_page page ON page.sms_gateway = 'twilio'
         WHERE bl.active
           AND EXISTS (SELECT 1 FROM jsonb_each_text(page.name) AS name
                        WHERE msg.body::text LIKE '%Replied STOP to ' || name.value || '%')
        ON CONFLICT DO NOTHING
    """)
    cr.execute("""
        UPDATE phone_blacklist bl
           SET active = FALSE
         WHERE bl.active
           AND (SELECT msg.body::text FROM mail_message msg
                 WHERE msg.model = 'phone.blacklist' AND msg.res_id = bl.id
                 ORDER BY msg.id DESC LIMIT 1) LIKE '%Replied STOP to %'
    """)
    cr.execute("""
        UPDATE sms_template t
           SET body = jsonb_set(t.body, '{en_US}', to_jsonb(%s::text))
          FROM ir_model_data d
         WHERE d.model = 'sms.template' AND d.res_id = t.id AND d.module = 'self_serve_booking'
           AND d.name = 'sms_template_booking_merchant_new_request'
           AND t.body->>'en_US' = %s
    """, [NEW_REQUEST_SMS, OLD_REQUEST_SMS])
    if unedited:
        reload_templates(cr, unedited)
