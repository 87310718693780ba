import hashlib
import re
import secrets
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.tools.misc import hmac as hmac_sign

from ..exceptions import BookingInputError
from ..tools import safe_consteq

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5  # wrong tries after which a code dies
SESSION_TTL = timedelta(hours=1)
TOKEN_SCOPE = "self_serve_booking.api_session"
# Live status (Odoo's bus): the channel name a token's holder subscribes with
LIVE_SCOPE = "self_serve_booking.api_session.live"
LIVE_PREFIX = "self_serve_booking.live."
LIVE_CHANNEL_RE = re.compile(r"self_serve_booking\.live\.([0-9]{1,10})\.([0-9a-f]{64})")
LIVE_SUBCHANNEL = "live"


class BookingCustomerSession(models.Model):
    """A customer signed in to the public API with a one-time code.

    The customer asks for a code (sent to their e-mail or phone), proves they
    received it, and gets a bearer token: ``<id>.<partner>.<expiry>.<hmac>``,
    signed with the database secret, checked in constant time, valid for an
    hour and scoped to that customer and that merchant (the page's company).
    The token itself is never stored; revoking the session kills it.
    """

    _name = "booking.customer.session"
    _description = "Booking API Customer Session"
    _order = "id desc"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True, readonly=True)
    page_id = fields.Many2one("booking.page", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="page_id.company_id", store=True)
    channel = fields.Selection(selection=[("email", "E-mail"), ("sms", "SMS")], required=True, readonly=True)
    state = fields.Selection(
        selection=[("pending", "Code sent"), ("active", "Signed in"), ("revoked", "Revoked")],
        default="pending", required=True, readonly=True, index=True,
    )
    code_target = fields.Char(
        readonly=True, groups="base.group_system",
        help="The e-mail address (normalized) or phone number (E.164) the code went to: what it proves.")
    code_salt = fields.Char(readonly=True, groups="base.group_system")
    code_hash = fields.Char(readonly=True, groups="base.group_system")
    code_expires_at = fields.Datetime(readonly=True)
    attempt_count = fields.Integer(string="Wrong Tries", readonly=True, help="The code dies after 5 wrong tries.")
    expires_at = fields.Datetime(string="Expires", readonly=True)

    # === CODES === #

    @staticmethod
    def _hash_code(salt, code):
        return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()

    @api.model
    def _find_partner(self, page, email=None, phone=None):
        """The one customer of ``page``'s merchant behind an e-mail and/or a phone.

        The contact verified for that very value (DESIGN.md invariant 11);
        failing one, the newest contact that holds it and proved nothing yet
        (a guest's own contact, made from what they typed): the code sent to
        the value proves it, and the contact becomes verified for it.

        :raise BookingInputError: when several customers share what was given,
            asking for the other detail: a code goes to exactly one customer.
        :return: the partner, or an empty recordset for an unknown customer.
        """
        partners = self.env["res.partner"]._booking_find_customers(page.company_id, email=email, phone=phone)
        if not partners:
            return self._candidates(page, email=email, phone=phone)[:1]
        if len(partners) == 1:
            return partners
        if email and phone:
            raise BookingInputError({"email": self.env._(
                "is shared by several customers with this phone number: please contact %(page)s to sign in.",
                page=page.name)})
        if phone:
            raise BookingInputError({"email": self.env._(
                "is needed too: several customers share this phone number.")})
        raise BookingInputError({"phone": self.env._("is needed too: several customers share this e-mail address.")})

    @api.model
    def _candidates(self, page, email=None, phone=None):
        """Who a code for ``email`` (else ``phone``) may sign in: the verified customers, else unclaimed holders."""
        Partner = self.env["res.partner"]
        verified = Partner._booking_find_customers(page.company_id, email=email, phone=phone)
        if verified:
            return verified
        return Partner._booking_unclaimed_holders(page.company_id, email=email, phone=None if email else phone)

    @api.model
    def _request_code(self, page, email=None, phone=None):
        """Send a one-time code to the customer, if we know them; earlier codes stop working.

        The code goes by e-mail when an e-mail was given, else by SMS, and only
        to a detail already on the customer's (verified) contact: that is the
        proof. How often is the caller's limit (per address and client).

        :return: the pending session, or an empty recordset for an unknown
            customer (the caller answers the same either way).
        """
        partner = self._find_partner(page, email=email, phone=phone)
        if not partner:
            return self.browse()
        self.sudo().search([("partner_id", "=", partner.id), ("company_id", "=", page.company_id.id),
                            ("state", "=", "pending")]).write({"state": "revoked"})
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(8)
        session = self.sudo().create({
            "partner_id": partner.id,
            "page_id": page.id,
            "channel": "email" if email else "sms",
            "code_target": tools.email_normalize(email) if email else phone,
            "code_salt": salt,
            "code_hash": self._hash_code(salt, code),
            "code_expires_at": fields.Datetime.now() + CODE_TTL,
        })
        session._send_code(code, phone)
        return session

    def _send_code(self, code, phone=None):
        """Through the mail and SMS queues: sending never blocks the request."""
        self.ensure_one()
        if self.channel == "email":
            template = self.env.ref("self_serve_booking.mail_template_booking_login_code")
            template.sudo().with_context(code=code).send_mail(self.id, force_send=False)
        else:
            body = self.env._("%(code)s is your %(page)s code. It expires in 10 minutes.",
                              code=code, page=self.page_id.name)
            self.env["sms.sms"].sudo().create({"number": phone, "body": body, "partner_id": self.partner_id.id})

    @api.model
    def _verify_code(self, page, code, email=None, phone=None):
        """The active session for a valid code, or an empty recordset.

        The latest unexpired code of the customer counts, whatever detail
        the visitor names them by; each wrong try is counted on the code
        itself, which dies after ``MAX_ATTEMPTS`` (the count is committed
        with the "wrong code" answer).
        """
        try:
            partner = self._find_partner(page, email=email, phone=phone)
        except BookingInputError:
            return self.browse()
        if not partner:
            return self.browse()
        # the code went to one of the contacts holding the value (another may have been made since)
        candidates = partner if partner.sudo()._booking_is_verified_for(
            email=tools.email_normalize(email) if email else None, phone=None if email else phone,
        ) else self._candidates(page, email=email, phone=phone)
        session = self.sudo().search([
            ("partner_id", "in", candidates.ids), ("company_id", "=", page.company_id.id), ("state", "=", "pending"),
            ("code_expires_at", ">", fields.Datetime.now()),
        ], limit=1)
        if not session:
            return self.browse()
        if not safe_consteq(session.code_hash, session._hash_code(session.code_salt, str(code))):
            attempts = session.attempt_count + 1
            session.write({"attempt_count": attempts, **({"state": "revoked"} if attempts >= MAX_ATTEMPTS else {})})
            return self.browse()
        # the code proves the value it went to: the contact is verified for it (DESIGN.md invariant 11)
        target = session.code_target
        customer = session.partner_id._booking_claim(**{"email" if session.channel == "email" else "phone": target})
        if not customer:
            session.write({"state": "revoked"})
            return self.browse()
        session.write({
            "partner_id": customer.id,
            "state": "active",
            "code_hash": False,
            "code_salt": False,
            "expires_at": fields.Datetime.now() + SESSION_TTL,
        })
        return session

    # === TOKENS === #

    def _token_payload(self):
        self.ensure_one()
        return f"{self.id}.{self.partner_id.id}.{int(self.expires_at.timestamp())}"

    def _make_token(self):
        self.ensure_one()
        payload = self._token_payload()
        return f"{payload}.{hmac_sign(self.env(su=True), TOKEN_SCOPE, payload)}"

    @api.model
    def _authenticate(self, token):
        """The active session a bearer token stands for, or an empty recordset.

        Refused: a malformed or forged token (HMAC compared in constant time),
        an expired one, a revoked session.
        """
        parts = (token or "").split(".")
        if len(parts) != 4 or not all(re.fullmatch(r"[0-9]{1,10}", part) for part in parts[:3]):
            return self.browse()
        payload, signature = ".".join(parts[:3]), parts[3]
        if not safe_consteq(hmac_sign(self.env(su=True), TOKEN_SCOPE, payload), signature):
            return self.browse()
        session = self.sudo().browse(int(parts[0])).exists()
        if not session or session.state != "active" or session.partner_id.id != int(parts[1]):
            return self.browse()
        if session._token_payload() != payload or session.expires_at <= fields.Datetime.now():
            return self.browse()
        return session

    # === LIVE STATUS (Odoo's bus) === #

    def _live_channel(self):
        """The bus channel name the holder of this session's token subscribes with.

        Derived from the token by HMAC (the database secret, a scope of its
        own): only the token's holder gets it (``GET /me/live``), it is no
        token (it cannot call the API), and it dies with the token: a revocation
        (sign-out) or the expiry ends it.
        """
        self.ensure_one()
        return f"{LIVE_PREFIX}{self.id}.{hmac_sign(self.env(su=True), LIVE_SCOPE, self._make_token())}"

    @api.model
    def _from_live_channels(self, names):
        """The active sessions whose live channel names are among ``names`` (others are ignored)."""
        sessions = self.sudo().browse()
        now = fields.Datetime.now()
        for name in names[:20]:  # a client follows a few tokens at most
            match = isinstance(name, str) and LIVE_CHANNEL_RE.fullmatch(name)
            if not match:
                continue
            session = self.sudo().browse(int(match.group(1))).exists()
            if session and session.state == "active" and session.expires_at and session.expires_at > now \
                    and safe_consteq(session._live_channel(), name):
                sessions |= session
        return sessions

    @api.model
    def _live_send(self, partner, company, notification_type, payload):
        """Tell ``partner``'s live sessions with ``company`` about their booking (sent on commit).

        Only active, unexpired sessions: a revoked or expired token's
        subscribers get nothing more, even on a websocket opened before.
        """
        if not partner:
            return
        sessions = self.sudo().search([
            ("partner_id", "=", partner.id), ("company_id", "=", company.id), ("state", "=", "active"),
            ("expires_at", ">", fields.Datetime.now()),
        ])
        for session in sessions:
            self.env["bus.bus"].sudo()._sendone((session, LIVE_SUBCHANNEL), notification_type, payload)

    def action_revoke(self):
        self.write({"state": "revoked"})
        return True

    @api.autovacuum
    def _gc_sessions(self):
        stale = fields.Datetime.now() - timedelta(days=1)
        self.env["booking.scheduler"]._unlink_each(self.sudo().search([
            "|", ("expires_at", "<", stale), "&", ("state", "=", "pending"), ("code_expires_at", "<", stale),
        ]), self.env._("Delete expired API sessions"), "gc_sessions")
