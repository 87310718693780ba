/** @odoo-module **/
/**
 * Accessibility tours: axe-core (WCAG 2.0/2.1 A and AA rules) run on each
 * state of every page a customer sees: the public page and its booking
 * widget, the confirmation, the portal's bookings, payments, pets and
 * family, series, and the pages of signed links (check-in, waitlist offer,
 * review). At a phone's size (390 px) the tours also measure every touch
 * target (WCAG 2.5.5: 44 x 44 px, getBoundingClientRect) and that what each
 * step shows is on the screen, not below the fold.
 *
 * axe-core is not part of the addon: tests/test_ui_accessibility.py serves
 * the file bin/test installed from package.json at AXE_URL (the test browser
 * hands every non-local request to the test case, see its fetch_proxy).
 *
 * Each check logs what it found; the last step of a tour fails with every
 * serious or critical violation and every small target seen along the way,
 * grouped by rule and element, with the states they were seen in.
 */
/* global luxon */
import { loadJS } from "@web/core/assets";
import { registry } from "@web/core/registry";
import {
    CONFIRMED,
    chooseService,
    click,
    edit,
    fullDay,
    see,
    showMonthOf,
    step,
    ZONE,
} from "@self_serve_booking/../tests/tours/tour_steps";

const AXE_URL = "https://axe-core.ssb-a11y.invalid/axe.min.js"; // keep in sync with test_ui_accessibility.py
const STORE_KEY = "self_serve_booking.a11y_findings";
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const BLOCKING = ["serious", "critical"];
/**
 * Not checked by axe:
 * - #chatterRoot: Odoo's portal chatter (portal.message_thread, rendered by the mail module in a shadow root);
 * - Odoo's payment form's "Test mode" icon (payment.form_icon: an <i> with a tooltip), shown only while the
 *   payment provider is in test mode, as the tests' demo provider always is: customers paying for real never
 *   see it;
 * - .o_tour_pointer: the tour's own pointer (test-only UI).
 * Everything else on the page is checked, the website's header and footer included (the site's menu, sign-in,
 * copyright and Odoo's "Powered by Odoo" line), with page-level rules (document title, lang, landmarks).
 */
const EXCLUDE = ["#chatterRoot", ".o_payment_form i.fa-exclamation-triangle.text-warning", ".o_tour_pointer"];

/**
 * Touch targets: every element one can tap or focus, of at least 44 x 44 CSS px (WCAG 2.5.5, README).
 * A checkbox or radio counts with its label (a tap on either ticks it). Not measured:
 * - a link inside a sentence (WCAG 2.5.5's "inline" exception: "Prefer to pay it now?");
 * - what is not on the page (display: none, visibility: hidden, 1 px "visually hidden" skip links) or is the
 *   tour's own pointer;
 * - header#top and footer#bottom, the website's menu and footer: the merchant's own (website builder), on
 *   every page of the site; axe checks them above.
 */
const TARGETS = "a[href], button, input:not([type='hidden']), select, textarea, summary, [role='button'], " +
    "[role='link'], [role='checkbox'], [role='radio'], [role='tab'], [tabindex]:not([tabindex='-1'])";
const TARGETS_OUTSIDE = "header#top, footer#bottom, .o_tour_pointer, #chatterRoot";
const MIN_TARGET = 44;
const TARGETS_KEY = "self_serve_booking.small_targets";

function readFindings() {
    return JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "{}");
}

async function nextFrames(count = 2) {
    for (let i = 0; i < count; i++) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
    }
}

async function waitUntil(predicate, what, timeout = 10000) {
    const until = Date.now() + timeout;
    while (!predicate()) {
        if (Date.now() > until) {
            throw new Error(`a11y: timed out waiting for ${what}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/**
 * A settled page: no transition or animation (colours are checked in their final state, not halfway
 * through a fade), web fonts loaded, scrolled to the top (what overlaps what does not depend on where
 * the previous step scrolled: sticky header and widget card).
 */
function freezeMotion() {
    if (!document.getElementById("ssb_a11y_no_motion")) {
        const style = document.createElement("style");
        style.id = "ssb_a11y_no_motion";
        style.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; } " +
            "html { scroll-behavior: auto !important; }";
        document.head.appendChild(style);
    }
}

function describeNode(node) {
    return {
        target: node.target.map((t) => (Array.isArray(t) ? t.join(" >>> ") : t)).join(" | "),
        html: node.html.replace(/\s+/g, " ").slice(0, 240),
        fix: (node.failureSummary || "").replace(/\s+/g, " ").slice(0, 400),
    };
}

/** Runs axe on the page as it is now; records the violations under `label`. */
async function ssbA11yCheck(label) {
    await loadJS(AXE_URL);
    if (!window.axe) {
        throw new Error(`a11y: axe-core did not load from ${AXE_URL}`);
    }
    freezeMotion();
    window.scrollTo({ top: 0, left: 0, behavior: "instant" });
    await document.fonts.ready;
    await nextFrames();
    const results = await window.axe.run(
        { exclude: EXCLUDE.map((selector) => [selector]) },
        { runOnly: { type: "tag", values: TAGS }, resultTypes: ["violations"], preload: false }
    );
    const findings = readFindings();
    const counts = [];
    for (const violation of results.violations) {
        counts.push(`${violation.id}(${violation.impact}) x${violation.nodes.length}` +
            (BLOCKING.includes(violation.impact)
                ? ` [${violation.nodes.map((node) => describeNode(node).target).join(" ; ")}]` : ""));
        for (const node of violation.nodes) {
            const where = describeNode(node);
            // one finding per rule and markup: the same element is reported once whatever the state
            const key = `${violation.id} @ ${where.html}`;
            const finding = (findings[key] = findings[key] || {
                id: violation.id,
                impact: node.impact || violation.impact,
                help: violation.help,
                helpUrl: violation.helpUrl,
                ...where,
                targets: [],
                states: [],
            });
            if (!finding.targets.includes(where.target)) {
                finding.targets.push(where.target);
            }
            if (!finding.states.includes(label)) {
                finding.states.push(label);
            }
        }
    }
    window.sessionStorage.setItem(STORE_KEY, JSON.stringify(findings));
    console.log(`a11y [${label}] ${location.pathname} ${innerWidth}x${innerHeight}: ` +
        `${counts.length ? counts.join(", ") : "no violation"}`);
}

// === TOUCH TARGETS === #

function readTargets() {
    return JSON.parse(window.sessionStorage.getItem(TARGETS_KEY) || "{}");
}

/** Whether ``el`` takes room on the page (not hidden, not a 1 px "visually hidden" element). */
function isRendered(el) {
    const style = window.getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") {
        return false;
    }
    const rect = el.getBoundingClientRect();
    return rect.width > 1 && rect.height > 1;
}

/**
 * A link that is part of a sentence (WCAG 2.5.5's inline exception): inline, in a block with at least three
 * more words around it ("Prefer to pay it now?" after "Paid at checkout, after your appointment."); a table
 * cell's link with a reference under it is a target of its own.
 */
function isInlineLink(el) {
    if (el.tagName !== "A" || el.classList.contains("btn") || window.getComputedStyle(el).display !== "inline") {
        return false;
    }
    let block = el.parentElement;
    while (block && window.getComputedStyle(block).display.startsWith("inline")) {
        block = block.parentElement;
    }
    const words = (node) => ((node.textContent || "").match(/\p{L}{2,}/gu) || []).length;
    return Boolean(block) && words(block) - words(el) >= 3;
}

/** The box one taps: the element, with its labels and its form-check for a checkbox or radio. */
function targetRect(el) {
    const rects = [el.getBoundingClientRect()];
    for (const label of el.labels || []) {
        if (isRendered(label)) {
            rects.push(label.getBoundingClientRect());
        }
    }
    const wrapper = el.matches("input[type='checkbox'], input[type='radio']") && el.closest(".form-check, label");
    if (wrapper) {
        rects.push(wrapper.getBoundingClientRect());
    }
    const left = Math.min(...rects.map((r) => r.left));
    const top = Math.min(...rects.map((r) => r.top));
    return {
        width: Math.max(...rects.map((r) => r.right)) - left,
        height: Math.max(...rects.map((r) => r.bottom)) - top,
    };
}

function describeElement(el) {
    const classes = [...el.classList].filter((c) => c.startsWith("o_") || c.startsWith("btn")).slice(0, 4);
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.getAttribute("title") || "")
        .replace(/\s+/g, " ").trim().slice(0, 50);
    const id = el.id ? `#${el.id}` : "";
    return `<${el.tagName.toLowerCase()}${id}${classes.length ? "." + classes.join(".") : ""}> "${text}"`;
}

/**
 * Measures every touch target of the page as it is now (getBoundingClientRect); records the ones smaller
 * than 44 x 44 px under ``label``.
 */
function ssbTargetsCheck(label) {
    const small = readTargets();
    let measured = 0;
    for (const el of document.querySelectorAll(TARGETS)) {
        const labelled = el.matches("input") && [...(el.labels || [])].some(isRendered);
        if (el.closest(TARGETS_OUTSIDE) || (!isRendered(el) && !labelled) || isInlineLink(el)) {
            continue;
        }
        measured++;
        const { width, height } = targetRect(el);
        if (width + 0.5 >= MIN_TARGET && height + 0.5 >= MIN_TARGET) {
            continue;
        }
        const key = `${location.pathname.replace(/[0-9]+/g, "N")} ${describeElement(el)}`;
        const finding = (small[key] = small[key] || { size: `${Math.round(width)} x ${Math.round(height)}`, states: [] });
        if (!finding.states.includes(label)) {
            finding.states.push(label);
        }
    }
    window.sessionStorage.setItem(TARGETS_KEY, JSON.stringify(small));
    console.log(`targets [${label}] ${location.pathname} ${innerWidth}x${innerHeight}: ${measured} measured`);
}

/** Fails with every target under 44 x 44 px recorded by this tour. */
function ssbTargetsAssert() {
    const small = Object.entries(readTargets());
    window.sessionStorage.removeItem(TARGETS_KEY);
    if (small.length) {
        throw new Error(`targets: ${small.length} touch target(s) under ${MIN_TARGET} x ${MIN_TARGET} px:\n` +
            small.map(([key, f]) => `- ${key}: ${f.size} px, in: ${f.states.join("; ")}`).join("\n"));
    }
}

// === WHAT A STEP SHOWS IS IN VIEW === #

/** The bottom of the website's header when it stays on the screen (sticky or fixed), else 0. */
function headerBottom() {
    const header = document.querySelector("header#top");
    if (!header || !["fixed", "sticky"].includes(window.getComputedStyle(header).position)) {
        return 0;
    }
    return Math.max(0, header.getBoundingClientRect().bottom);
}

/**
 * Waits (3 s at most) until the element ``find()`` returns is on the screen: its top below a sticky header
 * and its bottom above the bottom of the screen (its top in the upper half of the screen when it is taller
 * than the screen), and nothing covers it.
 */
async function assertInView(find, what) {
    const until = Date.now() + 3000;
    for (;;) {
        const el = find();
        let why = "it is not on the page";
        if (el && el.isConnected) {
            const rect = el.getBoundingClientRect();
            const top = headerBottom();
            const tall = rect.height > window.innerHeight - top;
            const visible = rect.top >= top - 1 &&
                (tall ? rect.top < window.innerHeight / 2 : rect.bottom <= window.innerHeight + 1);
            const x = Math.min(Math.max(rect.left + rect.width / 2, 0), window.innerWidth - 1);
            const y = Math.min(Math.max(rect.top + Math.min(rect.height / 2, 20), 0), window.innerHeight - 1);
            const hit = document.elementFromPoint(x, y);
            if (visible && hit && (el.contains(hit) || hit.contains(el))) {
                return el;
            }
            why = !visible
                ? `it spans ${Math.round(rect.top)}-${Math.round(rect.bottom)} px of a ${window.innerHeight} px screen` +
                  (top ? ` below a ${Math.round(top)} px header` : "")
                : `it is covered by ${hit ? describeElement(hit) : "nothing"}`;
        }
        if (Date.now() > until) {
            throw new Error(`in view: ${what} is not on the screen: ${why}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

/**
 * A step: once ``trigger`` is there, it (or ``selector``: a selector, or a function that finds the element)
 * is on the screen; ``focused``: and has the focus.
 * Below the desktop breakpoint only (992 px): the phone's layout is one column, where what a tap shows
 * falls below the fold; a desktop shows the booking card beside the page.
 */
function inView(trigger, what, { selector = null, focused = false } = {}) {
    return step(trigger, async function () {
        if (window.innerWidth >= 992) {
            return;
        }
        const find = typeof selector === "function" ? selector
            : selector ? () => document.querySelector(selector) : () => this.anchor;
        const el = await assertInView(find, what);
        if (focused && !el.contains(document.activeElement)) {
            throw new Error(`in view: ${what} should have the focus, ${describeElement(document.activeElement)} has it`);
        }
    }, `${what}: in view${focused ? ", focused" : ""}`);
}

/** Fails with every serious or critical violation recorded by this tour; logs the others. */
function ssbA11yAssertClean() {
    const findings = Object.values(readFindings());
    window.sessionStorage.removeItem(STORE_KEY);
    const format = (f) => `- [${f.impact}] ${f.id}: ${f.help}\n    element: ${f.target}` +
        `${f.targets.length > 1 ? ` (and ${f.targets.length - 1} more with this markup)` : ""}\n    html: ${f.html}\n` +
        `    fix: ${f.fix}\n    seen in: ${f.states.join("; ")}\n    rule: ${f.helpUrl}`;
    const minor = findings.filter((f) => !BLOCKING.includes(f.impact));
    if (minor.length) {
        console.log(`a11y: ${minor.length} moderate/minor finding(s), not blocking:\n${minor.map(format).join("\n")}`);
    }
    const blocking = findings.filter((f) => BLOCKING.includes(f.impact));
    if (blocking.length) {
        blocking.sort((a, b) => a.id.localeCompare(b.id) || a.target.localeCompare(b.target));
        throw new Error(`a11y: ${blocking.length} serious/critical accessibility violation(s) ` +
            `(axe-core ${window.axe && window.axe.version}, ${TAGS.join(", ")}):\n${blocking.map(format).join("\n")}`);
    }
}

window.ssbA11yCheck = ssbA11yCheck;

/** axe, then the touch targets, on the page as it is now. */
function check(label) {
    return async () => {
        await ssbA11yCheck(label);
        ssbTargetsCheck(label);
    };
}

/** A step that runs axe once `trigger` is there, recording what it finds under `label`. */
function checked(trigger, label, content) {
    return step(trigger, check(label), content);
}

function startStep() {
    return step("body", () => {
        window.sessionStorage.removeItem(STORE_KEY);
        window.sessionStorage.removeItem(TARGETS_KEY);
    }, "a11y: start from a clean record");
}

/** Fails with every finding of the tour: axe's serious and critical violations, then the small targets. */
function endStep() {
    return step("body", () => {
        const errors = [];
        for (const assert of [ssbA11yAssertClean, ssbTargetsAssert]) {
            try {
                assert();
            } catch (error) {
                errors.push(error.message);
            }
        }
        if (errors.length) {
            throw new Error(errors.join("\n\n"));
        }
    }, "a11y: no serious or critical violation, no touch target under 44 x 44 px");
}

/**
 * A step: ``selector`` (the first one) is not covered by anything, e.g. the booking card (it kept the desktop's
 * sticky offset on a phone and covered the first service).
 */
function notCovered(selector, what) {
    return step(selector, async function () {
        const el = this.anchor;
        el.scrollIntoView({ block: "center", behavior: "instant" });
        await nextFrames();
        const rect = el.getBoundingClientRect();
        for (const [x, y] of [[rect.left + 12, rect.top + 12], [rect.left + rect.width / 2, rect.top + rect.height / 2],
            [rect.right - 12, rect.bottom - 12]]) {
            const hit = document.elementFromPoint(x, y);
            if (!hit || !(el.contains(hit) || hit.contains(el))) {
                throw new Error(`${what} is covered at (${Math.round(x)}, ${Math.round(y)}) by ${hit ? describeElement(hit) : "nothing"}`);
            }
        }
    }, `${what}: nothing covers it`);
}

/** A step that opens ``url`` once ``trigger`` is there. */
function goTo(url, trigger = "body") {
    return step(trigger, `goToUrl ${url}`, `Open ${url}`);
}

/** The public page and every step of the widget, from the service to the confirmation page. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_public_page", {
    url: "/p/tour-spa",
    steps: () => [
        startStep(),
        notCovered(".o_booking_services .o_booking_service:first-child", "The first service"),
        checked(
            ".o_booking_step_service .o_booking_service_option:contains('Tour Massage')",
            "public page, service step",
            "Public page, widget rendered: service step"
        ),
        chooseService("Tour Massage"),
        inView(".o_booking_step_provider .o_booking_provider_option", "The provider step",
            { selector: ".o_booking_step_provider", focused: true }),
        checked(".o_booking_step_provider .o_booking_provider_option", "provider step", "Provider step"),
        click(".o_booking_provider_any"),
        inView(".o_booking_step_date .o_booking_calendar:not(.opacity-50) .o_booking_day_available", "The calendar",
            { selector: ".o_booking_calendar" }),
        checked(
            ".o_booking_step_date .o_booking_calendar:not(.opacity-50) .o_booking_day_available",
            "date step",
            "Date step, free times loaded"
        ),
        click(".o_booking_day_available"),
        inView(".o_booking_step_time .o_booking_time", "The day's times",
            { selector: ".o_booking_step_time", focused: true }),
        checked(".o_booking_step_time .o_booking_time", "time step", "Time step"),
        click(".o_booking_waitlist_link"),
        inView(".o_booking_step_contact #booking_wl_from", "The waitlist form",
            { selector: ".o_booking_step_contact", focused: true }),
        checked(".o_booking_step_contact #booking_wl_from", "waitlist form", "Waitlist form"),
        click(".o_booking_back"),
        click(".o_booking_step_time .o_booking_time"),
        inView(".o_booking_step_contact .o_booking_summary", "The booking's summary and form",
            { selector: ".o_booking_step_contact", focused: true }),
        checked(".o_booking_step_contact .o_booking_summary", "contact step", "Contact step"),
        click(".o_booking_step_contact .o_booking_verify_open"),
        checked(
            ".o_booking_verify #booking_verify_email",
            "contact step, code panel",
            "Contact step, the returning customer's code panel open"
        ),
        click(".o_booking_verify button.btn-link:contains('Cancel')"),
        see(".o_booking_step_contact:not(:has(.o_booking_verify)) .o_booking_verify_open"),
        edit("#booking_name", "Tess Tourist"),
        edit("#booking_phone", "12"),
        click(".o_booking_submit:enabled"),
        inView(".o_booking_step_contact:has(.o_booking_message) #booking_phone.is-invalid", "The field in error",
            { focused: true }),
        checked(
            ".o_booking_step_contact:has(.o_booking_message) #booking_phone.is-invalid",
            "contact step, validation error",
            "Contact step with a validation error shown"
        ),
        step("#booking_phone", "clear"),
        edit("#booking_email", "tess.tourist@example.com"),
        click(".o_booking_submit:enabled"),
        checked(`${CONFIRMED}`, "confirmation page", "Confirmation page"),
        see(".o_booking_signup_invite .o_booking_signup_button", "The guest is offered an account"),
        endStep(),
    ],
});

/** Checks the portal booking page once its messages (Odoo's chatter, in a shadow root) are loaded. */
function checkBookingPageWithMessages(label) {
    return async () => {
        await waitUntil(() => {
            const root = document.querySelector("#chatterRoot");
            return root && root.shadowRoot && root.shadowRoot.querySelector(".o-mail-Chatter, .o-mail-Thread");
        }, "the portal messages");
        await check(label)();
    };
}

/** A portal customer's bookings: the list, one booking (paid deposit), its cancel and reschedule pages. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_portal", {
    url: "/my/bookings",
    steps: () => [
        startStep(),
        checked(".o_booking_row a", "portal: my bookings", "My bookings"),
        click(".o_booking_row:contains('Tour Deposit Facial') a"),
        step(
            ".o_booking_portal_page[data-state='confirmed'] .o_booking_actions",
            checkBookingPageWithMessages("portal: booking page"),
            "The booking page, its messages loaded"
        ),
        click(".o_booking_cancel_link"),
        checked(
            ".o_booking_cancel_page .o_booking_refund_preview",
            "portal: cancel page",
            "Cancel page, the refund shown first"
        ),
        click(".o_booking_cancel_page form a[href*='/my/bookings/']", "Keep it: back to the booking"),
        click(".o_booking_portal_page .o_booking_reschedule_link"),
        checked(
            ".o_booking_reschedule_page .o_booking_reschedule_time",
            "portal: reschedule page",
            "Reschedule page: days and times"
        ),
        click(".o_booking_reschedule_time"),
        checked(
            ".o_booking_reschedule_page .o_booking_reschedule_confirm",
            "portal: reschedule confirmation",
            "Reschedule page: confirm the move"
        ),
        endStep(),
    ],
});

/** A fully booked day, the waitlist form with an error, then on the waitlist. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_full_day", {
    url: "/p/tour-full",
    steps: () => {
        const day = fullDay();
        return [
            startStep(),
            chooseService("Tour Massage"),
            showMonthOf(
                day,
                ".o_booking_step_date:has(.o_booking_calendar:not(.opacity-50)) .o_booking_month",
                "The calendar of the month holding the full day"
            ),
            checked(
                `.o_booking_calendar:not(.opacity-50) .o_booking_day_full[data-date='${day}']`,
                "date step with a full day",
                "Date step with a fully booked day"
            ),
            click(`.o_booking_day_full[data-date='${day}']`),
            inView(".o_booking_day_is_full .o_booking_join_waitlist", "No free time left that day",
                { selector: ".o_booking_day_is_full", focused: true }),
            checked(
                ".o_booking_day_is_full .o_booking_join_waitlist",
                "full day: no free time",
                "No free time left that day"
            ),
            click(".o_booking_join_waitlist"),
            edit("#booking_name", "Wanda Waiting"),
            click(".o_booking_waitlist_submit:enabled"),
            checked(
                ".o_booking_step_contact .o_booking_message",
                "waitlist form, error",
                "Waitlist form with an error shown (no e-mail nor phone)"
            ),
            edit("#booking_email", "wanda@example.com"),
            click(".o_booking_waitlist_submit:enabled"),
            inView(".o_booking_waitlist_done", "The waitlist's confirmation", { focused: true }),
            checked(".o_booking_waitlist_done", "waitlist joined", "On the waitlist"),
            endStep(),
        ];
    },
});

/** Marks the page: a step that finds the mark later knows the page did not reload in between. */
function markPage() {
    return step("body", () => {
        window.ssbNoReload = true;
    }, "Mark the page (a reload would lose the mark)");
}

function assertNotReloaded(what) {
    if (!window.ssbNoReload) {
        throw new Error(`${what}: the page reloaded`);
    }
}

/** "Next month" until the last one, each month shown without reloading the page. */
function toLastMonth() {
    return step(".o_booking_reschedule_next_month", async () => {
        for (let link; (link = document.querySelector(".o_booking_reschedule_next_month"));) {
            const month = document.querySelector(".o_booking_reschedule_month").dataset.month;
            link.click();
            await waitUntil(() => {
                const shown = document.querySelector(".o_booking_reschedule_month");
                return shown && shown.dataset.month !== month;
            }, "the next month");
            assertNotReloaded("The next month");
        }
    }, "The next months up to the page's horizon, without reloading");
}

/** The reschedule picker offers the page's whole horizon: the last month holds days more than 4 weeks away. */
function horizonReached() {
    return step(".o_booking_reschedule_month:not(:has(.o_booking_reschedule_next_month))", function () {
        assertNotReloaded("Another month");
        const days = [...document.querySelectorAll(".o_booking_reschedule_day")].map((a) => a.dataset.date);
        const beyond = luxon.DateTime.now().setZone(ZONE).plus({ days: 50 }).toISODate();
        if (!days.length || days[days.length - 1] < beyond) {
            throw new Error(`the reschedule picker ends on ${days[days.length - 1]}: the page books 60 days ahead`);
        }
    }, "The last month of the horizon: days more than 50 days ahead");
}

/**
 * Every other page a customer sees, signed in: the list, payments and cards, a paid booking (check-in, the
 * move over the whole horizon without reloading, cancel), a waitlist's offer awaiting its deposit, a done visit
 * (tip, receipt), pets and family, repeating a booking and a series.
 */
registry.category("web_tour.tours").add("self_serve_booking_a11y_customer_pages", {
    url: "/my/bookings",
    steps: () => [
        startStep(),
        checked(".o_booking_row a", "portal: my bookings", "My bookings"),
        click(".o_booking_payments_link"),
        checked(".o_booking_cards", "portal: payments, receipts and cards"),

        goTo("/my/bookings"),
        click(".o_booking_row:contains('Tour Deposit Facial') a"),
        step(".o_booking_portal_page[data-state='confirmed'] .o_booking_actions",
            checkBookingPageWithMessages("portal: booking page"), "The booking page, its messages loaded"),
        click(".o_booking_add_to_calendar .dropdown-toggle", "Add to my calendar"),
        checked(".o_booking_add_to_calendar .o_booking_ics_link[href*='/ics?access_token=']",
            "portal: booking page, add to my calendar"),
        click(".o_booking_add_to_calendar .dropdown-toggle", "Close the calendar menu"),
        see(".o_booking_loyalty_use", "Points to spend"),
        see(".o_booking_check_in a.o_booking_qr_link[href*='/booking/check-in/']", "The QR code is a link"),
        click(".o_booking_check_in_link", "The check-in link under the QR code"),
        checked(".o_booking_check_in_result[data-result='too_early']", "check-in page"),

        goTo("/my/bookings"),
        click(".o_booking_row:contains('Tour Deposit Facial') a"),
        click(".o_booking_portal_page .o_booking_reschedule_link"),
        checked(".o_booking_reschedule_page .o_booking_reschedule_time", "portal: reschedule page"),
        markPage(),
        toLastMonth(),
        horizonReached(),
        step(".o_booking_reschedule_day:not(.btn-primary)", function () {
            window.ssbPickedDay = this.anchor.dataset.date;
            this.anchor.click();
        }, "Another day, without reloading"),
        inView(".o_booking_reschedule_times", "The day's times", {
            selector: () => document.querySelector(
                `.o_booking_reschedule_day[aria-current='date'][data-date='${window.ssbPickedDay}']`) &&
                document.querySelector(".o_booking_reschedule_times"),
            focused: true,
        }),
        step(".o_booking_reschedule_time", () => assertNotReloaded("Another day")),
        checked(".o_booking_reschedule_time", "portal: reschedule, another day and month"),
        click(".o_booking_reschedule_time"),
        inView(".o_booking_reschedule_confirm", "The move to confirm"),
        checked(".o_booking_reschedule_confirm", "portal: reschedule confirmation"),
        click(".o_booking_reschedule_confirm_button"),
        see(".o_booking_portal_message:contains('moved to')", "Moved"),
        step(".o_booking_portal_page[data-state='confirmed'] .o_booking_add_to_calendar",
            checkBookingPageWithMessages("portal: booking page, moved"), "After the move: add it to my calendar"),
        click(".o_booking_cancel_link"),
        checked(".o_booking_cancel_page .o_booking_refund_preview", "portal: cancel page"),
        click(".o_booking_cancel_page form a[href*='/my/bookings/']", "Keep it"),

        goTo("/my/bookings", ".o_booking_portal_page"),
        click(".o_booking_row:contains('Tour Pedicure') a"),
        step(".o_booking_payment_form[data-kind='deposit'] #o_payment_form",
            checkBookingPageWithMessages("portal: pay the deposit"), "A waitlist's offer: pay the deposit"),
        click(".o_booking_waitlist_offer_alert a", "See the offer"),
        checked(".o_booking_waitlist_offer[data-status='open']", "waitlist offer page"),

        goTo("/my/bookings?filterby=past"),
        checked(".o_booking_row:contains('Tour Grooming') a", "portal: past bookings"),
        click(".o_booking_row:contains('Tour Grooming') a"),
        step(".o_booking_tip .o_booking_tip_option", checkBookingPageWithMessages("portal: a visit done, tip and receipt"),
            "A visit done and paid: its receipt, a tip"),
        click(".o_booking_tip_option"),
        step(".o_booking_payment_form[data-kind='tip'] #o_payment_form",
            checkBookingPageWithMessages("portal: pay a tip"), "The tip's payment form"),

        goTo("/my/dependants"),
        checked(".o_booking_dependant_row a", "portal: pets and family"),
        click(".o_booking_dependant_row a"),
        checked(".o_booking_visit_record .o_booking_book_again", "portal: a pet's page and visits"),

        goTo("/my/notifications"),
        checked(".o_booking_notifications_form .o_booking_notifications_save", "portal: how we contact you"),
        click(".o_booking_notifications_save", "Save the preferences"),
        checked(".o_booking_notifications_saved", "portal: how we contact you, saved"),

        goTo("/my/bookings"),
        click(".o_booking_row:contains('Tour Massage') a"),
        click(".o_booking_repeat_link", "Repeat this booking"),
        checked(".o_booking_repeat_form", "portal: repeat a booking"),
        click(".o_booking_repeat_plan_button", "See the dates"),
        checked(".o_booking_repeat_book_button", "portal: a series' plan"),

        goTo("/my/bookings"),
        click(".o_booking_row:contains('Tour Massage'):last a"),
        click(".o_booking_series_link", "The series"),
        checked(".o_booking_series_page .o_booking_series_visit", "portal: a series"),
        goTo("/my/bookings"),
        click(".o_booking_row:contains('Tour Massage'):last a"),
        click(".o_booking_cancel_following_link", "Cancel this and all following"),
        checked(".o_booking_cancel_following_confirm", "portal: cancel a series"),
        endStep(),
    ],
});

/** The review's signed link: the form, then the thanks. */
registry.category("web_tour.tours").add("self_serve_booking_a11y_review", {
    steps: () => [
        startStep(),
        checked(".o_booking_review_card[data-status='open'] form", "review page"),
        click("label[for='o_booking_stars_5']"),
        click(".o_booking_review_card button[type='submit']"),
        checked(".o_booking_review_card[data-status='done']", "review page, thanks"),
        endStep(),
    ],
});
