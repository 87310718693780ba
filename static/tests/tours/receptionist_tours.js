/** @odoo-module **/
import { registry } from "@web/core/registry";

const CHAT = ".o-livechat-root:shadow";
const botSays = (text) => ({
    content: `The receptionist says: ${text}`,
    trigger: `${CHAT} .o-mail-Message:contains("${text}")`,
});
const visitorTypes = (text) => [
    { content: `Type "${text}"`, trigger: `${CHAT} .o-mail-Composer-input`, run: `edit ${text}` },
    { content: "Send it", trigger: `${CHAT} .o-mail-Composer-input`, run: "press Enter" },
];

/** A visitor of the website books a time by chatting with the receptionist in Odoo's live chat. */
registry.category("web_tour.tours").add("self_serve_booking_receptionist_chat", {
    url: "/p/tour-chat",
    steps: () => [
        {
            content: "Open the live chat",
            trigger: `${CHAT} .o-livechat-LivechatButton`,
            run: "click",
        },
        botSays("What would you like to book?"),
        ...visitorTypes("Hi, I'd like a chat consultation tomorrow morning"),
        botSays("What's your name?"),
        ...visitorTypes("Tina Tour"),
        botSays("phone number or e-mail"),
        ...visitorTypes("tina.tour@example.com"),
        botSays("Anything the team should know"),
        ...visitorTypes("First visit"),
        botSays("I have these times available"),
        ...visitorTypes("2"),
        botSays("penciled you in"),
        botSays("The team will confirm shortly"),
    ],
});

/** Staff find the chat's request among the requests to approve, and the conversation behind it. */
registry.category("web_tour.tours").add("self_serve_booking_receptionist_request_in_backend", {
    url: "/odoo/action-self_serve_booking.booking_appointment_approval_action",
    steps: () => [
        {
            content: "The request made in the chat waits for approval",
            trigger: ".o_data_row:contains('Tina Tour')",
        },
        {
            content: "Open the conversations",
            trigger: ".o_main_navbar [data-menu-xmlid='self_serve_booking.menu_booking_conversation']",
            run: "click",
        },
        {
            content: "The conversation that became the booking is there",
            trigger: ".o_data_row:contains('Tina Tour'):contains('Live chat')",
        },
    ],
});
