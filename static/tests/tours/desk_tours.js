/** @odoo-module **/
/* global luxon */
import { localization } from "@web/core/l10n/localization";
import { registry } from "@web/core/registry";

const MAX_CLICKS = 5; // Square's count for the usual visit

/**
 * The usual visit checked out from the booking: Checkout, an add-on, a tip, cash or the card on file,
 * Complete & Pay. Every click is counted (typing is not a click); more than five fails the tour.
 */
registry.category("web_tour.tours").add("self_serve_booking_checkout_five_clicks", {
    steps: () => {
        let clicks = 0;
        const click = (trigger, content) => ({
            content,
            trigger,
            run(helpers) {
                clicks += 1;
                return helpers.click();
            },
        });
        return [
            click(".o_form_view button[name='action_open_checkout_dialog']", "1. Checkout"),
            {
                content: "The add-on: typed (no click)",
                trigger: ".modal div[name='addon_product_ids'] input",
                run: "edit Hair",
            },
            click(".modal ul.ui-autocomplete a:contains(Hair mask)", "2. The add-on chosen"),
            { content: "The bill: 50 + 15", trigger: ".modal div[name='amount_bill']:contains(65.00)" },
            click(".modal div[name='tip_choice'] input[data-value='15']", "3. A 15% tip"),
            click(".modal div[name='pay_with'] input[data-value='cash']", "4. Cash"),
            {
                content: "The exact amount to take: 65 + 9.75",
                trigger: ".modal div[name='amount_to_pay']:contains(74.75)",
            },
            { content: "The receipt goes by e-mail", trigger: ".modal div[name='receipt'] input[data-value='email']:checked" },
            click(".modal button[name='action_confirm']", "5. Complete & Pay"),
            {
                content: "Paid in full, on the checkout screen",
                trigger: "body:not(:has(.modal)) .o_booking_checkout div[name='payment_state'] .badge:contains(Paid)",
            },
            {
                content: `At most ${MAX_CLICKS} clicks`,
                trigger: ".o_booking_checkout",
                run() {
                    if (clicks > MAX_CLICKS) {
                        throw new Error(`checkout took ${clicks} clicks, more than ${MAX_CLICKS}`);
                    }
                    document.body.dataset.bookingCheckoutClicks = String(clicks);
                },
            },
        ];
    },
});

/** Block time over a booking from the provider's form: the booking is listed, given to the free provider. */
registry.category("web_tour.tours").add("self_serve_booking_time_off_conflicts", {
    steps: () => [
        {
            content: "Block Time",
            trigger: ".o_form_view button[name='action_block_time']",
            run: "click",
        },
        { content: "From now, by default", trigger: ".modal div[name='date_from'] input" },
        {
            content: "Until three hours from now",
            trigger: ".modal div[name='date_to'] input",
            async run(helpers) {
                const until = luxon.DateTime.now().plus({ hours: 3 }).toFormat(localization.dateTimeFormat);
                await helpers.edit(until);
                await helpers.press("Enter");
            },
        },
        {
            content: "The booking in that time is listed before anything is saved",
            trigger: ".modal .o_booking_time_off_conflicts:visible",
        },
        {
            content: "... Rita's, given to Desk Ben who is free at the same time",
            trigger: ".modal div[name='conflict_ids'] .o_data_row:contains(Rita Regular):contains(Another provider):contains(Desk Ben)",
        },
        { content: "Block Time", trigger: ".modal button[name='action_confirm']", run: "click" },
        {
            content: "Done, and said so",
            trigger: "body:not(:has(.modal)) .o_notification:contains(Time blocked)",
        },
    ],
});
