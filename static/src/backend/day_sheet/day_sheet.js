/** @odoo-module **/
/* global luxon */
/**
 * The day sheet: one column per provider for a day (or one provider's week), as salons run the day.
 *
 * Everything shown comes from one call, `booking.day.sheet.get_day_sheet`: the columns' working time,
 * time off, free gaps and bookings, in minutes since each column's local midnight (the page's time zone).
 * Nothing is decided here: a click on a gap opens the booking assistant with the provider and the time,
 * a card dropped elsewhere is written (`start`, `provider_id`) on the booking, and the server's checks
 * (working time, the exclusion constraint) accept or refuse it; a refusal is a warning and the sheet is
 * read again, so the card goes back.
 */
import {
    Component,
    onWillStart,
    onWillUnmount,
    useEffect,
    useExternalListener,
    useRef,
    useState,
} from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { localization } from "@web/core/l10n/localization";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const { DateTime } = luxon;

export const PX_PER_MINUTE = 1.5;
const CLICK_STEP = 15; // a click in a gap books on the quarter hour from the gap's start
const DROP_STEP = 5; // a card dropped lands on 5 minutes
const DRAG_THRESHOLD = 4; // pixels the pointer moves before a press becomes a drag
const PAGE_KEY = "self_serve_booking.day_sheet.page_id";
const REFUSALS = new Set([
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.AccessError",
]);
const OUR_ERRORS = "odoo.addons.self_serve_booking.exceptions.";

/** Whether an RPC error is a refusal by the rules (shown as a warning), not a crash. */
export function isRefusal(error) {
    const name = error?.data?.name || error?.exceptionName || "";
    return REFUSALS.has(name) || name.startsWith(OUR_ERRORS);
}

export class DaySheet extends Component {
    static template = "self_serve_booking.DaySheet";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.bus = useService("bus_service");
        this.root = useRef("root");
        this.scroller = useRef("scroller");
        this.scrolledFor = null; // the sheet the scroll position was set for: a reload keeps the user's
        this.keepLast = new KeepLast();
        this.labels = {
            previousDay: _t("Previous day"),
            nextDay: _t("Next day"),
            previousWeek: _t("Previous week"),
            nextWeek: _t("Next week"),
        };
        const saved = this.props.state || {};
        const context = this.props.action.context || {};
        this.state = useState({
            pageId: saved.pageId || context.default_page_id || Number(browser.localStorage.getItem(PAGE_KEY)) || false,
            day: saved.day || context.default_day || false,
            providerId: saved.providerId || false,
            data: null,
            hover: null, // {key, minute}: the time a click in a gap would book
            drag: null, // {id, key, minute, duration, clash}: where the card held would land
        });
        this.press = null; // a pointer down on a card, until it moves (drag) or comes up (click)
        this.channel = null;
        useSetupAction({
            getLocalState: () => ({
                pageId: this.state.pageId,
                day: this.state.day,
                providerId: this.state.providerId,
            }),
        });
        useExternalListener(window, "pointermove", this.onPointerMove);
        useExternalListener(window, "pointerup", this.onPointerUp);
        useExternalListener(window, "keydown", (ev) => {
            if (ev.key === "Escape" && this.press) {
                this.press = null;
                this.state.drag = null;
            }
        });
        useEffect(
            () => this.scrollToWork(),
            () => [this.state.data]
        );
        this.onAvailability = this.onAvailability.bind(this);
        this.bus.subscribe("self_serve_booking/availability", this.onAvailability);
        onWillStart(() => this.load());
        onWillUnmount(() => {
            this.bus.unsubscribe("self_serve_booking/availability", this.onAvailability);
            if (this.channel) {
                this.bus.deleteChannel(this.channel);
            }
            browser.clearTimeout(this.reloadTimeout);
        });
    }

    // === DATA === //

    /** Read the sheet (the page, day and provider of the state); a stale stored page falls back to the first. */
    async load() {
        const args = {
            page_id: this.state.pageId || false,
            day: this.state.day || false,
            provider_id: this.state.providerId || false,
        };
        let data;
        try {
            data = await this.keepLast.add(this.orm.call("booking.day.sheet", "get_day_sheet", [], args));
        } catch (error) {
            if (!args.page_id || error?.data?.name !== "odoo.exceptions.AccessError") {
                throw error;
            }
            // a page of another company (or gone) remembered from an earlier visit
            Object.assign(this.state, { pageId: false, providerId: false });
            data = await this.keepLast.add(this.orm.call("booking.day.sheet", "get_day_sheet", [], {
                day: args.day,
            }));
        }
        this.state.data = data;
        this.state.pageId = data.page ? data.page.id : false;
        this.state.day = data.day;
        if (!data.page || !data.providers.some((provider) => provider.id === this.state.providerId)) {
            this.state.providerId = false;
        }
        if (this.state.pageId) {
            browser.localStorage.setItem(PAGE_KEY, String(this.state.pageId));
        }
        this.listen();
    }

    /** Follow the page's bus channel: bookings made online elsewhere show up without a reload. */
    listen() {
        const channel = this.state.pageId ? `self_serve_booking.page.${this.state.pageId}` : null;
        if (channel === this.channel) {
            return;
        }
        if (this.channel) {
            this.bus.deleteChannel(this.channel);
        }
        this.channel = channel;
        if (channel) {
            this.bus.addChannel(channel);
        }
    }

    /** A new day, page or view opens on its working hours (today: an hour before now), not at midnight. */
    scrollToWork() {
        const data = this.state.data;
        const el = this.scroller.el;
        if (!data?.page || !el) {
            return;
        }
        const key = `${data.page.id}|${data.dates.join(",")}|${data.mode}`;
        if (key === this.scrolledFor) {
            return;
        }
        this.scrolledFor = key;
        const starts = data.columns.flatMap((column) => column.work.map(([begin]) => begin));
        const target = data.now ? data.now.minute - 60 : Math.min(...starts, data.range[1]) - 30;
        el.scrollTop = Math.max(0, this.top(target));
    }

    onAvailability(payload) {
        const data = this.state.data;
        if (!data?.page || payload.page_id !== data.page.id
            || !(payload.dates || []).some((day) => data.dates.includes(day))) {
            return;
        }
        browser.clearTimeout(this.reloadTimeout);
        this.reloadTimeout = browser.setTimeout(() => {
            if (!this.press) {
                this.load();
            }
        }, 300);
    }

    // === NAVIGATION === //

    async goTo(values) {
        Object.assign(this.state, values);
        await this.load();
    }

    onChangePage(ev) {
        return this.goTo({ pageId: Number(ev.target.value) || false, providerId: false });
    }

    onChangeProvider(ev) {
        return this.goTo({ providerId: Number(ev.target.value) || false });
    }

    onChangeDay(ev) {
        const day = DateTime.fromISO(ev.target.value);
        return day.isValid ? this.goTo({ day: day.toISODate() }) : undefined;
    }

    shiftDays(sign) {
        const step = this.isWeek ? 7 : 1;
        const day = DateTime.fromISO(this.state.data.day).plus({ days: sign * step });
        return this.goTo({ day: day.toISODate() });
    }

    today() {
        return this.goTo({ day: false });
    }

    showDay(day) {
        return this.goTo({ day, providerId: false });
    }

    showWeek(providerId) {
        const id = providerId || this.state.providerId || this.state.data.providers[0]?.id;
        return id ? this.goTo({ providerId: id }) : undefined;
    }

    // === WHAT THE TEMPLATE READS === //

    get data() {
        return this.state.data;
    }

    get isWeek() {
        return this.state.data?.mode === "week";
    }

    get isToday() {
        const data = this.state.data;
        return data && data.dates.includes(data.today);
    }

    get title() {
        const dates = this.state.data.dates;
        if (!dates.length) {
            return "";
        }
        const first = DateTime.fromISO(dates[0]);
        if (dates.length === 1) {
            return first.toLocaleString(DateTime.DATE_HUGE);
        }
        const last = DateTime.fromISO(dates[dates.length - 1]);
        return `${first.toLocaleString(DateTime.DATE_MED)} – ${last.toLocaleString(DateTime.DATE_MED)}`;
    }

    get weekProvider() {
        return this.state.data.providers.find((provider) => provider.id === this.state.providerId);
    }

    get hours() {
        const [first, last] = this.state.data.range;
        const hours = [];
        for (let minute = Math.ceil(first / 60) * 60; minute < last; minute += 60) {
            hours.push({ minute, label: this.formatMinute(minute), top: this.top(minute) });
        }
        return hours;
    }

    get gridStyle() {
        const count = this.state.data.columns.length;
        return `grid-template-columns: 4rem repeat(${count}, minmax(${this.isWeek ? 9 : 10}rem, 1fr));`;
    }

    get bodyHeight() {
        const [first, last] = this.state.data.range;
        return (last - first) * PX_PER_MINUTE;
    }

    columnLabel(column) {
        if (this.isWeek) {
            const day = DateTime.fromISO(column.date);
            return day.toLocaleString({ weekday: "short", day: "numeric", month: "short" });
        }
        return column.provider_name;
    }

    columnFreeLabel(column) {
        const data = this.state.data;
        if (!column.work.length) {
            return _t("Not working");
        }
        if (column.date < data.today) {
            return "";
        }
        const free = column.gaps.reduce((total, [begin, end]) => total + end - begin, 0);
        return free ? _t("%(duration)s free", { duration: this.formatDuration(free) }) : _t("No free time");
    }

    top(minute) {
        return (minute - this.state.data.range[0]) * PX_PER_MINUTE;
    }

    blockStyle([begin, end]) {
        const [first, last] = this.state.data.range;
        const from = Math.max(begin, first);
        const to = Math.min(end, last);
        return `top: ${this.top(from)}px; height: ${Math.max(to - from, 0) * PX_PER_MINUTE}px;`;
    }

    cardStyle(appointment) {
        return this.blockStyle([appointment.begin, appointment.end]);
    }

    bufferStyle(appointment) {
        return this.blockStyle([appointment.busy_begin, appointment.busy_end]);
    }

    formatMinute(minute) {
        const wrapped = ((minute % 1440) + 1440) % 1440;
        return DateTime.fromObject({ hour: Math.floor(wrapped / 60), minute: wrapped % 60 }).toFormat(
            localization.shortTimeFormat
        );
    }

    formatRange(begin, end) {
        return `${this.formatMinute(begin)} – ${this.formatMinute(end)}`;
    }

    formatDuration(minutes) {
        const hours = Math.floor(minutes / 60);
        const rest = minutes % 60;
        if (!hours) {
            return _t("%(minutes)s min", { minutes: rest });
        }
        return rest ? _t("%(hours)s h %(minutes)s", { hours, minutes: String(rest).padStart(2, "0") })
            : _t("%(hours)s h", { hours });
    }

    hoverStyle(gap) {
        return `top: ${(this.state.hover.minute - gap[0]) * PX_PER_MINUTE}px;`;
    }

    weekTitle(column) {
        return _t("The week of %(provider)s", { provider: column.provider_name });
    }

    gapTitle(gap) {
        return _t("Free %(range)s: click to book", { range: this.formatRange(gap[0], gap[1]) });
    }

    isNowColumn(column) {
        const now = this.state.data.now;
        const [first, last] = this.state.data.range;
        return now && now.date === column.date && now.minute >= first && now.minute <= last;
    }

    // === TIME === //

    /** The UTC datetime (Odoo's string) of `minute` past local midnight of `day` in the page's zone. */
    toUtc(day, minute) {
        const local = DateTime.fromISO(day, { zone: this.state.data.page.tz })
            .plus({ days: Math.floor(minute / 1440) })
            .set({ hour: Math.floor((minute % 1440) / 60), minute: minute % 60 });
        return local.toUTC().toFormat("yyyy-MM-dd HH:mm:ss");
    }

    /** The minute of the column at the pointer's height (`offset`: the pointer's distance below what it holds). */
    minuteAt(columnEl, clientY, step, offset = 0) {
        const rect = columnEl.getBoundingClientRect();
        const exact = this.state.data.range[0] + (clientY - offset - rect.top) / PX_PER_MINUTE;
        return Math.round(exact / step) * step;
    }

    columnByKey(key) {
        return this.state.data.columns.find((column) => column.key === key);
    }

    // === BOOK INTO A GAP === //

    /** The time a click at `ev` books: on the quarter hour counted from the gap's start, inside the gap. */
    gapMinute(ev, gap) {
        const columnEl = ev.currentTarget.closest(".o_booking_day_sheet_column");
        const rect = columnEl.getBoundingClientRect();
        const exact = this.state.data.range[0] + (ev.clientY - rect.top) / PX_PER_MINUTE;
        const minute = gap[0] + Math.floor((exact - gap[0]) / CLICK_STEP) * CLICK_STEP;
        return Math.min(Math.max(minute, gap[0]), gap[1] - 1);
    }

    onGapHover(ev, column, gap) {
        if (this.press) {
            return;
        }
        const minute = this.gapMinute(ev, gap);
        if (this.state.hover?.key !== column.key || this.state.hover.minute !== minute) {
            this.state.hover = { key: column.key, minute };
        }
    }

    onGapLeave() {
        this.state.hover = null;
    }

    onGapClick(ev, column, gap) {
        return this.bookAt(column, this.gapMinute(ev, gap));
    }

    onGapKeydown(ev, column, gap) {
        if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            return this.bookAt(column, gap[0]);
        }
    }

    /** Open the booking assistant on this provider and time: the same create path as any staff booking. */
    async bookAt(column, minute) {
        this.state.hover = null;
        await this.action.doAction("self_serve_booking.booking_assistant_action", {
            additionalContext: {
                default_page_id: this.state.data.page.id,
                default_provider_id: column.provider_id,
                default_date: column.date,
                default_start: this.toUtc(column.date, minute),
            },
            onClose: () => this.load(),
        });
    }

    // === OPEN, DRAG AND DROP A BOOKING === //

    onCardClick(appointment) {
        if (this.dragged) {
            return;
        }
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "booking.appointment",
            res_id: appointment.id,
            views: [[false, "form"]],
            target: "current",
        });
    }

    onCardPointerDown(ev, column, appointment) {
        if (ev.button !== 0 || !appointment.movable) {
            return;
        }
        const rect = ev.currentTarget.getBoundingClientRect();
        this.press = {
            appointment,
            column,
            x: ev.clientX,
            y: ev.clientY,
            offset: ev.clientY - rect.top,
            dragging: false,
        };
    }

    onPointerMove(ev) {
        const press = this.press;
        if (!press) {
            return;
        }
        if (!press.dragging) {
            if (Math.hypot(ev.clientX - press.x, ev.clientY - press.y) < DRAG_THRESHOLD) {
                return;
            }
            press.dragging = true;
            this.state.hover = null;
        }
        const target = this.dropTarget(ev, press.offset);
        this.state.drag = target && {
            id: press.appointment.id,
            key: target.column.key,
            minute: target.minute,
            duration: press.appointment.end - press.appointment.begin,
            clash: this.clashes(target.column, target.minute, press.appointment),
        };
    }

    /** The column under the pointer and the minute the held card's top would land on. */
    dropTarget(ev, offset) {
        const columnEls = this.root.el?.querySelectorAll(".o_booking_day_sheet_column") || [];
        for (const columnEl of columnEls) {
            const rect = columnEl.getBoundingClientRect();
            if (ev.clientX >= rect.left && ev.clientX < rect.right) {
                const column = this.columnByKey(columnEl.dataset.key);
                return column && {
                    column,
                    columnEl,
                    minute: this.minuteAt(columnEl, ev.clientY, DROP_STEP, offset),
                };
            }
        }
        return null;
    }

    /** A hint while dragging (the server decides): outside working time, or over another booking. */
    clashes(column, minute, moving) {
        const end = minute + moving.end - moving.begin;
        const inWork = column.work.some(([begin, stop]) => begin <= minute && end <= stop);
        const overlaps = column.appointments.some(
            (other) => other.id !== moving.id && other.busy_begin < end && other.busy_end > minute
        );
        return !inWork || overlaps;
    }

    async onPointerUp(ev) {
        const press = this.press;
        this.press = null;
        if (!press?.dragging) {
            return;
        }
        // the click that follows the drop is not an "open"
        this.dragged = true;
        browser.setTimeout(() => (this.dragged = false));
        const target = this.dropTarget(ev, press.offset);
        const { appointment, column } = press;
        if (!target || (target.column.key === column.key && target.minute === appointment.begin)) {
            this.state.drag = null;
            return;
        }
        await this.move(appointment, target.column, target.minute);
    }

    /** Write the new time and provider: the booking's own checks and messages decide and tell. */
    async move(appointment, column, minute) {
        const vals = { start: this.toUtc(column.date, minute), provider_id: column.provider_id };
        try {
            await this.orm.write("booking.appointment", [appointment.id], vals);
            this.notification.add(
                _t("%(customer)s moved to %(time)s with %(provider)s.", {
                    customer: appointment.partner,
                    time: this.formatMinute(minute),
                    provider: column.provider_name,
                }),
                { type: "success" }
            );
        } catch (error) {
            if (!isRefusal(error)) {
                this.state.drag = null;
                await this.load();
                throw error;
            }
            this.notification.add(error.data?.message || error.message, {
                title: _t("Not moved"),
                type: "warning",
                className: "o_booking_day_sheet_refusal",
            });
        }
        this.state.drag = null;
        await this.load();
    }

    // === NEW BOOKING (no time chosen) === //

    newBooking() {
        return this.action.doAction("self_serve_booking.booking_assistant_action", {
            additionalContext: this.state.data?.page ? { default_page_id: this.state.data.page.id } : {},
            onClose: () => this.load(),
        });
    }
}

registry.category("actions").add("self_serve_booking.day_sheet", DaySheet);
