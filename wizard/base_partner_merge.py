from odoo import models


class MergePartnerAutomatic(models.TransientModel):
    """Odoo's merge of contacts, keeping what each contact proved (DESIGN.md invariant 11).

    The wizard copies every stored field of the merged contacts onto the
    survivor; what a contact proved is the addon's to write (nobody writes
    it by hand), and belongs to the value the survivor holds: the survivor
    keeps its own verifications, takes a merged contact's only for the very
    value it ends up holding, and is never made a visitor's contact again.
    """

    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        everyone = (src_partners | dst_partner).sudo()
        proved = [(partner.booking_verified_email, partner.booking_verified_phone) for partner in
                  [dst_partner.sudo(), *src_partners.sudo()]]
        dst_was_guest = dst_partner.sudo().booking_unverified
        everyone.write({"booking_verified_email": False, "booking_verified_phone": False,
                        "booking_unverified": False})
        result = super()._update_values(src_partners, dst_partner)
        survivor = dst_partner.sudo()
        emails = {email for email, _phone in proved if email}
        phones = {phone for _email, phone in proved if phone}
        email = survivor.email_normalized if survivor.email_normalized in emails else False
        phone = next((phone for phone in phones if phone in survivor._booking_current_phones()), False)
        survivor.write({"booking_verified_email": email, "booking_verified_phone": phone,
                        "booking_unverified": dst_was_guest and not (email or phone)})
        return result
