from lxml import etree

from odoo import models

from ..tools import qweb_memo


class IrQweb(models.AbstractModel):
    """One compilation of a mail template's body per batch of messages, not one per message.

    ``mail.render.mixin`` renders a template's body for each record from a
    fresh element (``html.fragment_fromstring``), which ``ir.qweb`` compiles
    anew each time (elements are never cached): for a batch of reminders,
    compiling was most of the cost of each message (~30 ms). Inside
    ``tools.qweb_memo()`` (the outbox's dispatch), an element of the same
    source compiled under the same options is compiled once. Outside it,
    nothing changes.
    """

    _inherit = "ir.qweb"

    def _compile(self, template):
        memo = qweb_memo.get()
        if memo is None or not isinstance(template, etree._Element):
            return super()._compile(template)
        key = (etree.tostring(template), repr(sorted(self.env.context.items())))
        if key not in memo:
            memo[key] = super()._compile(template)
        return memo[key]
