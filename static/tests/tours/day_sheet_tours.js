/** @odoo-module **/
import { registry } from "@web/core/registry";

const PX_PER_MINUTE = 1.5; // the day sheet's scale (static/src/backend/day_sheet/day_sheet.js)
const ANNA = ".o_booking_day_sheet_column:eq(0)";
const BEN = ".o_booking_day_sheet_column:eq(1)";

function column(selector) {
    const index = Number(selector.match(/:eq\((\d+)\)/)[1]);
    return document.querySelectorAll(".o_booking_day_sheet_column")[index];
}

/** The vertical distance from a column's top to `minute` past midnight. */
function offsetOf(columnEl, minute) {
    return (minute - Number(columnEl.dataset.firstMinute)) * PX_PER_MINUTE;
}

/** A click in the column's free gap at `minute` (the gap books on the quarter hour from its start). */
function clickGapAt(selector, minute) {
    return () => {
        const columnEl = column(selector);
        const gap = [...columnEl.querySelectorAll(".o_booking_day_sheet_gap")].find(
            (el) => Number(el.dataset.begin) <= minute && minute < Number(el.dataset.end)
        );
        if (!gap) {
            throw new Error(`no free gap at minute ${minute}`);
        }
        const rect = columnEl.getBoundingClientRect();
        const init = {
            bubbles: true,
            cancelable: true,
            clientX: rect.left + rect.width / 2,
            clientY: rect.top + offsetOf(columnEl, minute) + 2,
        };
        gap.dispatchEvent(new PointerEvent("pointermove", init));
        gap.dispatchEvent(new MouseEvent("click", init));
    };
}

/**
 * Drag the step's card (grabbed in its middle) so that its top lands on `minute` in another column:
 * Odoo's tour helper, which plays the pointer events a hand would.
 */
function dragTo(selector, minute) {
    return async (helpers) => {
        const columnEl = column(selector);
        const grab = helpers.anchor.getBoundingClientRect().height / 2;
        await helpers.drag_and_drop(selector, {
            position: { top: offsetOf(columnEl, minute) + grab },
            relative: true,
        });
    };
}

function card(name, begin) {
    return `.o_booking_day_sheet_card:contains(${name})${begin === undefined ? "" : `[data-begin='${begin}']`}`;
}

/** Staff open the day sheet, book into a gap, move a booking by drag, and are refused two moves. */
registry.category("web_tour.tours").add("self_serve_booking_day_sheet", {
    url: "/odoo/action-self_serve_booking.booking_day_sheet_action",
    steps: () => [
        {
            content: "The day sheet opens on today, one column per provider",
            trigger: `.o_booking_day_sheet_head:contains(Desk Anna) ~ .o_booking_day_sheet_head:contains(Desk Ben)`,
        },
        { content: "Go to tomorrow", trigger: ".o_booking_day_sheet_next", run: "click" },
        { content: "Tomorrow's bookings", trigger: `${ANNA} ${card("Rita Regular", 600)}` },
        { trigger: `${BEN} ${card("Oscar Often", 600)}` },
        {
            content: "Click Anna's free time at 14:00",
            trigger: `${ANNA} .o_booking_day_sheet_gap`,
            run: clickGapAt(ANNA, 14 * 60),
        },
        {
            content: "The assistant opens with Anna and the time",
            trigger: ".modal div[name='provider_id'] input:value(Desk Anna)",
        },
        {
            content: "... at 14:00 where the business is",
            trigger: ".modal div[name='start_label']",
            run() {
                if (!/\b2:00\b/.test(this.anchor.textContent)) {
                    throw new Error(`the time shown is ${this.anchor.textContent}`);
                }
            },
        },
        { trigger: ".modal div[name='service_id'] input", run: "edit Desk Massage" },
        { trigger: "ul.ui-autocomplete a:contains(Desk Massage)", run: "click" },
        { trigger: ".modal div[name='partner_id'] input", run: "edit Walter" },
        { trigger: "ul.ui-autocomplete a:contains(Walter Walkin)", run: "click" },
        { trigger: ".modal div[name='partner_id'] input:value(Walter Walkin)" },
        { content: "Book", trigger: ".modal button[name='action_book_start']", run: "click" },
        {
            content: "The booking is on the sheet, where the gap was",
            trigger: `body:not(:has(.modal)) ${ANNA} ${card("Walter Walkin", 840)}`,
        },
        {
            content: "Drag Oscar's booking from Ben to Anna at 11:00",
            trigger: `${BEN} ${card("Oscar Often", 600)}`,
            run: dragTo(ANNA, 11 * 60),
        },
        {
            content: "It moved",
            trigger: `${ANNA} ${card("Oscar Often", 660)}`,
        },
        { trigger: `${BEN}:not(:has(${card("Oscar Often")}))` },
        { trigger: ".o_notification:has(.bg-success):contains(Oscar Often moved to)" },
        {
            content: "Drag Rita's booking onto Oscar's: refused",
            trigger: `${ANNA} ${card("Rita Regular", 600)}`,
            run: dragTo(ANNA, 11 * 60),
        },
        {
            content: "A warning says why",
            trigger: ".o_booking_day_sheet_refusal:has(.bg-warning):contains(no longer available)",
        },
        {
            content: "... and the booking is back where it was",
            trigger: `${ANNA} ${card("Rita Regular", 600)}:not(.o_booking_day_sheet_dragging)`,
        },
        { trigger: "body:not(:has(.o_booking_day_sheet_ghost))" },
        {
            content: "Drag Rita's booking before opening hours: refused",
            trigger: `${ANNA} ${card("Rita Regular", 600)}`,
            run: dragTo(ANNA, 8 * 60),
        },
        {
            content: "A warning says why",
            trigger: ".o_booking_day_sheet_refusal:has(.bg-warning):contains(is not working)",
        },
        { trigger: `${ANNA} ${card("Rita Regular", 600)}` },
        { trigger: "body:not(:has(.o_booking_day_sheet_ghost))" },
    ],
});
