/** @odoo-module **/

/**
 * Scrolls the page so that ``el`` is on the screen below the website's header: its top just under the
 * header, or its bottom at the bottom of the screen when that keeps its top in view. Nothing moves when
 * it is on the screen already (a desktop's sticky booking card, say).
 *
 * On a phone, what a tap shows (a day's times, a form, a message) would otherwise often start below the
 * fold, with nothing on the screen telling that anything happened.
 */
export function revealBelowHeader(el) {
    // the header's whole height, visible or not: a website's header may slide back in on scrolling
    const header = document.querySelector("header#top");
    const top = (header ? header.offsetHeight : 0) + 8;
    const rect = el.getBoundingClientRect();
    if (rect.top >= top && rect.bottom <= window.innerHeight) {
        return;
    }
    const fits = rect.height <= window.innerHeight - top;
    const delta = fits && rect.top >= top ? rect.bottom - window.innerHeight + 8 : rect.top - top;
    const reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    window.scrollBy({ top: delta, left: 0, behavior: reduce ? "instant" : "smooth" });
}
