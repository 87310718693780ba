from odoo import models


class ChatbotScriptStep(models.Model):
    """The receptionist's step of a page's chat script: each visitor message is answered by the engine.

    Odoo's chat bot walks a fixed script, step after step. A receptionist
    script has two: a free-input step that the conversation engine answers
    (it stays the current step: the conversation goes on as long as the
    visitor writes), and Odoo's own "forward to an operator" step, taken when
    the engine hands the visitor over and an operator is online.
    """

    _inherit = "chatbot.script.step"

    def _get_booking_page(self):
        """The page whose receptionist this step is, or an empty recordset."""
        self.ensure_one()
        page = self.sudo().chatbot_script_id.booking_page_id
        if self.step_type != "free_input_single" or not page.active or not page.receptionist_livechat:
            return self.env["booking.page"]
        return page

    def _process_answer(self, discuss_channel, message_body):
        page = self._get_booking_page()
        if not page:
            return super()._process_answer(discuss_channel, message_body)
        if len(discuss_channel.sudo().channel_member_ids) > 2:
            return False  # a person joined the chat: the receptionist has stepped back
        Conversation = self.env["booking.conversation"].sudo()
        conversation = Conversation._for_livechat(page, discuss_channel)
        bot = self.sudo().chatbot_script_id.operator_partner_id
        # the visitor's last message, read from the database (the route read the channel's messages under the
        # visitor's rights just before); sudo: the visitor's own channel, found under their rights by the route
        message = self.env["mail.message"].sudo().search([
            ("model", "=", "discuss.channel"), ("res_id", "=", discuss_channel.id), ("message_type", "=", "comment"),
            "|", ("author_id", "=", False), ("author_id", "!=", bot.id),
        ], order="id desc", limit=1)
        if not message:
            return self
        turn = conversation._receive_livechat(message)
        if turn and turn.event == "handed_off" and turn.hand_off.live:
            # the hand-off's words now, then Odoo's own step brings the operator in
            discuss_channel._chatbot_post_message(self.chatbot_script_id, conversation._html(turn.reply))
            conversation.next_reply = False
            forward = self.sudo().chatbot_script_id.script_step_ids.filtered(
                lambda step: step.step_type == "forward_operator")[:1]
            if forward:
                return forward
        return self

    def _process_step(self, discuss_channel):
        page = self._get_booking_page()
        if not page:
            return super()._process_step(discuss_channel)
        conversation = self.env["booking.conversation"].sudo().search(
            [("discuss_channel_id", "=", discuss_channel.id)], limit=1)
        if not conversation or not conversation.next_reply:
            return super()._process_step(discuss_channel)
        # sudo: discuss.channel - the receptionist is the channel's current step, as Odoo's steps set it
        discuss_channel.sudo().chatbot_current_step_id = self.id
        reply, conversation.next_reply = conversation.next_reply, False
        return discuss_channel._chatbot_post_message(self.chatbot_script_id, conversation._html(reply))

    def _is_last_step(self, discuss_channel=False):
        if self._get_booking_page():
            return False  # the conversation goes on while the visitor writes
        return super()._is_last_step(discuss_channel)
