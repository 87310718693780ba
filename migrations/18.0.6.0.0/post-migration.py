"""18.0.6.0.0, after the update: verification per value, opt-outs per page (issue 22).

Frozen logic (plain SQL, no import of the addon's code, which may change
after this release):

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
"""


def migrate(cr, version):
    if not version:
        return
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
