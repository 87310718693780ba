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
        """The page whose receptionist this step is (published, receptionist on), or an empty recordset."""
        self.ensure_one()
        page = self.sudo().chatbot_script_id.booking_page_id
        if self.step_type != "free_input_single" or not (page.active and page.is_published and
                                                          page.receptionist_livechat):
            return self.env["booking.page"]
        return page

    @staticmethod
    def _person_joined(discuss_channel):
        """Whether somebody besides the visitor and the bot is in the chat: the receptionist steps back."""
        return len(discuss_channel.sudo().channel_member_ids) > 2

    def _process_answer(self, discuss_channel, message_body):
        page = self._get_booking_page()
        if not page:
            return super()._process_answer(discuss_channel, message_body)
        if self._person_joined(discuss_channel):
            return self  # answered by the person; the step posts nothing (see _process_step)
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
        # sudo: discuss.channel - the visitor's own channel (found under their rights by the route)
        channel = discuss_channel.sudo()
        if not page or channel.chatbot_current_step_id != self:
            return super()._process_step(discuss_channel)  # the greeting: a new or restarted conversation
        conversation = self.env["booking.conversation"].sudo().search(
            [("discuss_channel_id", "=", discuss_channel.id), ("state", "!=", "closed")], limit=1)
        if self._person_joined(discuss_channel) or not conversation.next_reply:
            return self.env["mail.message"]  # nothing new to answer (a repeated call): nothing is posted
        reply, conversation.next_reply = conversation.next_reply, False
        return discuss_channel._chatbot_post_message(self.chatbot_script_id, conversation._html(reply))

    def _process_step_forward_operator(self, discuss_channel):
        posted = super()._process_step_forward_operator(discuss_channel)
        page = self.sudo().chatbot_script_id.booking_page_id
        if page and not self._person_joined(discuss_channel):
            # the operator announced went offline meanwhile: the visitor is not left waiting for nobody
            conversation = self.env["booking.conversation"].sudo().search(
                [("discuss_channel_id", "=", discuss_channel.id)], order="id desc", limit=1)
            if conversation:
                text = conversation._hand_off_missed()
                return discuss_channel._chatbot_post_message(self.chatbot_script_id, conversation._html(text))
        return posted

    def _is_last_step(self, discuss_channel=False):
        if self._get_booking_page():
            return False  # the conversation goes on while the visitor writes
        return super()._is_last_step(discuss_channel)
