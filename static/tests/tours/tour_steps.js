/** @odoo-module **/
/* global luxon */
/**
 * Step builders shared by the tours: the widget's way to a free time, the contact form, Odoo's demo
 * payment form, the fully booked day. Each builds the step a tour would spell out, with `content`
 * only where one is given.
 */

export const ZONE = "Europe/Brussels"; // the tour pages' zone (TourDataMixin)

/** The confirmation page of a confirmed booking. */
export const CONFIRMED = ".o_booking_confirmation .o_booking_state[data-state='confirmed']";

/** A step on `trigger` that does `run` (a tour action or a function), if any. */
export function step(trigger, run, content) {
    return {
        ...(content === undefined ? {} : { content }),
        trigger,
        ...(run === undefined ? {} : { run }),
    };
}

/** A step that only waits for `trigger`. */
export function see(trigger, content) {
    return step(trigger, undefined, content);
}

export function click(trigger, content) {
    return step(trigger, "click", content);
}

export function edit(trigger, text, content) {
    return step(trigger, `edit ${text}`, content);
}

export function chooseService(name, content) {
    return click(`.o_booking_service_option:contains('${name}')`, content);
}

/** "Any available", a day with free times, then its first free time; `contents` of these three steps. */
export function firstFreeTime(contents = []) {
    return [
        click(".o_booking_provider_any", contents[0]),
        click(".o_booking_day_available", contents[1]),
        click(".o_booking_time", contents[2]),
    ];
}

/** The contact form: name, e-mail, then the phone when given. */
export function contact(name, email, phone) {
    const steps = [edit("#booking_name", name), edit("#booking_email", email)];
    return phone === undefined ? steps : [...steps, edit("#booking_phone", phone)];
}

/** Odoo's demo payment form: the card, then pay. */
export function payWithDemo(content) {
    return [edit("#customer_input", "4242"), click("button[name='o_payment_submit_button']", content)];
}

/** The day after tomorrow, in the tour pages' zone: the day TourDataMixin._book_full_day fills. */
export function fullDay() {
    return luxon.DateTime.now().setZone(ZONE).plus({ days: 2 }).toISODate();
}

/** On `trigger`, shows the month holding `day`: the next one when `day` is not in the current one. */
export function showMonthOf(day, trigger, content) {
    return step(
        trigger,
        () => {
            if (!document.querySelector(`.o_booking_day[data-date='${day}']`)) {
                document.querySelector(".o_booking_next_month").click();
            }
        },
        content
    );
}
