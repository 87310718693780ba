"""The typed TypeScript client of the API, generated from the contract, and the check that it is current.

Pure Python, no Odoo import. ``clients/typescript/`` holds three generated files:

- ``openapi.json``: the OpenAPI document (``openapi.build_document``), as
  served at ``/booking/api/v1/openapi.json`` (without the server's host);
- ``schema.d.ts``: its TypeScript types, by ``openapi-typescript`` (npm);
- ``client.ts``: a small ``fetch`` client, one method per operation, typed
  with ``schema.d.ts``, rendered here from the same document.

``check`` regenerates all three from the current document and names the
committed files that differ: the contract cannot change without its client.
``bin/generate-client`` writes them (``--check``: only compare), and
``bin/test`` runs the check. The npm tool is found in ``$SSB_OPENAPI_TS``,
else in the cache ``bin/test`` installs it into (``package.json``).
"""

import copy
import json
import os
import re
import subprocess
import tempfile

from .openapi import build_document
from .schemas import API_VERSION

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENT_DIR = os.path.join(ROOT, "clients", "typescript")
FILES = ("openapi.json", "schema.d.ts", "client.ts")
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
SUCCESS_STATUSES = ("200", "201", "202")


class GeneratorMissing(RuntimeError):
    """openapi-typescript is not installed where we look for it."""


def npm_cache():
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "self_serve_booking",
                        "npm")


def openapi_typescript_path():
    """The openapi-typescript executable: ``$SSB_OPENAPI_TS``, else the npm cache of ``bin/test``."""
    path = os.environ.get("SSB_OPENAPI_TS") or os.path.join(npm_cache(), "node_modules", ".bin",
                                                            "openapi-typescript")
    if not os.path.isfile(path):
        raise GeneratorMissing(f"openapi-typescript not found at {path}: bin/test installs it (package.json), "
                               "or set SSB_OPENAPI_TS")
    return path


def render_document(document=None):
    """The committed text of openapi.json."""
    return json.dumps(document if document is not None else build_document(), indent=2, ensure_ascii=False) + "\n"


def render_types(document_text, tool=None):
    """schema.d.ts: what openapi-typescript makes of ``document_text``."""
    tool = tool or openapi_typescript_path()
    with tempfile.TemporaryDirectory(prefix="ssb-client-") as tmp:
        source, target = os.path.join(tmp, "openapi.json"), os.path.join(tmp, "schema.d.ts")
        with open(source, "w", encoding="utf-8") as fh:
            fh.write(document_text)
        proc = subprocess.run([tool, source, "-o", target], capture_output=True, text=True, check=False)
        if proc.returncode:
            raise RuntimeError(f"openapi-typescript failed ({proc.returncode}): {proc.stderr[-2000:]}")
        with open(target, encoding="utf-8") as fh:
            return fh.read()


def _camel(name):
    return re.sub(r"[-_ ]+(.)", lambda m: m.group(1).upper(), name)


def _comment(text, indent="    "):
    text = " ".join((text or "").split()).replace("*/", "*\\/")
    return f"{indent}/** {text} */\n" if text else ""


def _operations(document):
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _method(path, method, operation):
    """One client method: its arguments typed from schema.d.ts's ``operations``."""
    op_id = operation["operationId"]
    op_type = f'operations["{op_id}"]'
    parameters = operation.get("parameters", [])
    members = []
    if any(p["in"] == "path" for p in parameters):
        members.append(f'path: {op_type}["parameters"]["path"]')
    if any(p["in"] == "query" for p in parameters):
        members.append(f'query?: NonNullable<{op_type}["parameters"]["query"]>')
    idempotent = any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)
    if idempotent:
        members.append("idempotencyKey?: string")
    body = operation.get("requestBody")
    if body:
        optional = "" if body.get("required") else "?"
        members.append(f'body{optional}: NonNullable<{op_type}["requestBody"]>["content"]["application/json"]')
    required = any(not member.split(":")[0].endswith("?") for member in members)
    args = f"args{'' if required else '?'}: {{ {'; '.join(members)} }}" if members else ""
    responses = operation.get("responses", {})
    status = next((s for s in SUCCESS_STATUSES if s in responses and responses[s].get("content")), None)
    result = f'{op_type}["responses"][{status}]["content"]["application/json"]' if status else "undefined"
    security = bool(operation.get("security")) and operation["security"] != [{}]
    call_args = f'"{method.upper()}", "{path}", {"args" if members else "undefined"}, {json.dumps(security)}'
    return (_comment(operation.get("summary"))
            + f"    {_camel(op_id)}({args}): Promise<{result}> {{\n"
            + f"        return this.call({call_args}) as Promise<{result}>;\n"
            + "    }\n")


CLIENT_HEAD = """\
// Generated by bin/generate-client from openapi.json (contract %(version)s): do not edit.
// The types are schema.d.ts (openapi-typescript); regenerate both when the contract changes.
import type { components, operations } from "./schema";

export type Schemas = components["schemas"];
export type ErrorBody = Schemas["Error"];
export const CONTRACT_VERSION = "%(version)s";

/** An answer other than 2xx: `code` is the API's stable error code (`validation`, `contract_mismatch`...). */
export class ApiError extends Error {
    readonly status: number;
    readonly code: string;
    readonly body: ErrorBody | undefined;

    constructor(status: number, body: ErrorBody | undefined) {
        super(body?.message ?? `HTTP ${status}`);
        this.status = status;
        this.code = body?.error ?? "http_error";
        this.body = body;
    }
}

export interface ClientOptions {
    /** The API's root, e.g. "https://salon.example.com/booking/api/v1". */
    baseUrl: string;
    /** A customer's session token, or a merchant's Odoo API key: sent as a bearer where the route needs it. */
    token?: string;
    fetch?: typeof fetch;
}

interface CallArgs {
    path?: Record<string, string | number>;
    query?: Record<string, string | number | boolean | undefined>;
    body?: unknown;
    idempotencyKey?: string;
}

export class BookingClient {
    readonly options: ClientOptions;

    constructor(options: ClientOptions) {
        this.options = options;
    }

    protected async call(method: string, template: string, args: CallArgs | undefined, secured: boolean):
            Promise<unknown> {
        const path = template.replace(/\\{(\\w+)\\}/g, (_match, name: string) =>
            encodeURIComponent(String(args?.path?.[name] ?? "")));
        const query = new URLSearchParams();
        for (const [name, value] of Object.entries(args?.query ?? {})) {
            if (value !== undefined) query.set(name, String(value));
        }
        const headers: Record<string, string> = { Accept: "application/json" };
        if (secured && this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
        if (args?.idempotencyKey) headers["Idempotency-Key"] = args.idempotencyKey;
        let body: string | undefined;
        if (args?.body !== undefined) {
            headers["Content-Type"] = "application/json";
            body = JSON.stringify(args.body);
        }
        const search = query.toString();
        const url = `${this.options.baseUrl.replace(/\\/$/, "")}${path}${search ? `?${search}` : ""}`;
        const response = await (this.options.fetch ?? fetch)(url, { method, headers, body });
        const text = await response.text();
        const data: unknown = text ? JSON.parse(text) : undefined;
        if (!response.ok) throw new ApiError(response.status, data as ErrorBody | undefined);
        return data;
    }

"""

CLIENT_TAIL = """\
}

/** One free time of a slots answer in `format=days`: its local date, its instants, the provider asked for. */
export interface FreeTime {
    date: string;
    start: Date;
    end: Date;
    /** null: any available, the provider free then is assigned when booking. */
    providerId: number | null;
}

/** The free times of a slots answer in `format=days`, sorted, each once: midnight + minutes, exactly. */
export function freeTimes(answer: Schemas["SlotDaysResponse"]): FreeTime[] {
    const length = answer.duration_minutes * 60000;
    const times: FreeTime[] = [];
    for (const day of answer.days) {
        const midnight = Date.parse(day.midnight);
        for (const minutes of day.starts) {
            const start = midnight + minutes * 60000;
            times.push({ date: day.date, start: new Date(start), end: new Date(start + length),
                providerId: answer.provider_id ?? null });
        }
    }
    return times;
}

/** Handlers of the live notifications of a customer's bookings (GET /me/live). */
export interface LiveHandlers {
    booking?: (event: Schemas["LiveBookingEvent"]) => void;
    message?: (event: Schemas["LiveMessageEvent"]) => void;
}

/** Follow a customer's bookings over Odoo's websocket; close the returned socket to stop. */
export function followLive(live: Schemas["LiveChannelResponse"], handlers: LiveHandlers): WebSocket {
    const socket = new WebSocket(live.websocket_url);
    socket.addEventListener("open", () => {
        socket.send(JSON.stringify({ event_name: "subscribe", data: { channels: [live.channel], last: 0 } }));
    });
    socket.addEventListener("message", (event: MessageEvent) => {
        for (const notification of JSON.parse(String(event.data))) {
            const { type, payload } = notification.message;
            if (type === "self_serve_booking/booking") handlers.booking?.(payload);
            else if (type === "self_serve_booking/message") handlers.message?.(payload);
        }
    });
    return socket;
}
"""


def render_client(document):
    """client.ts for ``document``."""
    methods = "\n".join(_method(path, method, operation) for path, method, operation in _operations(document))
    version = document.get("info", {}).get("version", API_VERSION)
    return CLIENT_HEAD % {"version": version} + methods + CLIENT_TAIL


def generate(document=None, tool=None):
    """``{file name: text}`` of the client for ``document`` (default: the current contract)."""
    document = copy.deepcopy(document) if document is not None else build_document()
    text = render_document(document)
    return {"openapi.json": text, "schema.d.ts": render_types(text, tool), "client.ts": render_client(document)}


def write(target=CLIENT_DIR, document=None, tool=None):
    os.makedirs(target, exist_ok=True)
    for name, text in generate(document, tool).items():
        with open(os.path.join(target, name), "w", encoding="utf-8") as fh:
            fh.write(text)


def check(committed=CLIENT_DIR, document=None, tool=None):
    """The names of the committed client files that differ from what ``document`` generates (empty: current)."""
    stale = []
    for name, text in generate(document, tool).items():
        path = os.path.join(committed, name)
        current = None
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                current = fh.read()
        if current != text:
            stale.append(name)
    return stale
