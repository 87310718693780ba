"""The typed client (clients/typescript) against the contract: current, checked, and working.

These need node and the npm tools of package.json, which bin/test installs
(in ~/.cache/self_serve_booking/npm) before it runs them.
"""

import copy
import json
import os
import shutil
import subprocess

import pytest

from booking_api import client_codegen
from booking_api.openapi import build_document


def fresh_document():
    """The document, deep-copied: it shares the schemas' dicts, which other tests rely on."""
    return copy.deepcopy(build_document())


@pytest.fixture(scope="module")
def committed_copy(tmp_path_factory):
    """A copy of the committed client, for checks that must not touch the repository."""
    target = tmp_path_factory.mktemp("client")
    for name in client_codegen.FILES:
        shutil.copy(os.path.join(client_codegen.CLIENT_DIR, name), target / name)
    return target


def test_committed_client_is_what_the_contract_generates():
    assert client_codegen.check() == [], "run bin/generate-client and commit clients/typescript"


def test_check_fails_when_a_schema_changes(committed_copy):
    document = fresh_document()
    document["components"]["schemas"]["BookingRequest"]["properties"]["colour"] = {"type": "string"}
    stale = client_codegen.check(committed_copy, document)
    assert stale == ["openapi.json", "schema.d.ts"], stale
    # a field's type, a required field
    document = fresh_document()
    document["components"]["schemas"]["Customer"]["properties"]["name"]["type"] = "integer"
    assert "schema.d.ts" in client_codegen.check(committed_copy, document)
    document = fresh_document()
    document["components"]["schemas"]["BookingResponse"]["required"] = []
    assert "schema.d.ts" in client_codegen.check(committed_copy, document)


def test_check_fails_when_an_operation_changes(committed_copy):
    document = fresh_document()
    document["paths"]["/pages/{slug}/bookings"]["post"]["operationId"] = "bookSlot"
    assert client_codegen.check(committed_copy, document) == ["openapi.json", "schema.d.ts", "client.ts"]
    document = fresh_document()
    del document["paths"]["/merchant/appointments"]
    assert "client.ts" in client_codegen.check(committed_copy, document)


def test_check_fails_on_a_hand_edited_or_missing_file(tmp_path, committed_copy):
    for name in client_codegen.FILES:
        shutil.copy(committed_copy / name, tmp_path / name)
    assert client_codegen.check(tmp_path) == []
    with open(tmp_path / "client.ts", "a", encoding="utf-8") as fh:
        fh.write("// a local fix\n")
    (tmp_path / "schema.d.ts").unlink()
    assert client_codegen.check(tmp_path) == ["schema.d.ts", "client.ts"]


def test_missing_generator_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("SSB_OPENAPI_TS", str(tmp_path / "nowhere"))
    with pytest.raises(client_codegen.GeneratorMissing, match="openapi-typescript not found"):
        client_codegen.check()


def _tsc():
    path = os.environ.get("SSB_TSC") or os.path.join(client_codegen.npm_cache(), "node_modules", ".bin", "tsc")
    assert os.path.isfile(path), f"typescript not found at {path}: bin/test installs it (package.json)"
    return path


RUN_CLIENT = """
import { BookingClient, ApiError, CONTRACT_VERSION } from "./client.js";

const calls = [];
async function fakeFetch(url, init) {
    calls.push({ url, method: init.method, headers: init.headers, body: init.body ?? null });
    if (init.method === "POST") {
        return new Response(JSON.stringify({ error: "contract_mismatch", message: "update the client",
            fields: { colour: "is not an accepted field" }, contract_version: "1.0.0" }), { status: 400 });
    }
    if (init.method === "DELETE") return new Response(null, { status: 204 });
    return new Response(JSON.stringify({ timezone: "Europe/Paris", slots: [], open_dates: [] }), { status: 200 });
}

const client = new BookingClient({ baseUrl: "https://salon.example/booking/api/v1/", token: "T0K", fetch: fakeFetch });
const slots = await client.getSlots({ path: { slug: "my salon" },
                                      query: { service_id: 3, date_from: "2025-06-02", provider_id: undefined } });
const signedOut = await client.signOut();
let error;
try {
    await client.createBooking({ path: { slug: "s" }, idempotencyKey: "k".repeat(20),
        body: { service_id: 3, provider_id: null, start: "2025-06-02T08:00:00Z" } });
} catch (caught) {
    error = caught;
}
console.log(JSON.stringify({ calls, slots, signedOut: signedOut ?? null, version: CONTRACT_VERSION,
    error: { isApiError: error instanceof ApiError, status: error.status, code: error.code,
             fields: error.body.fields } }));
"""


def test_client_type_checks_and_talks_the_api(tmp_path):
    """client.ts compiles strictly against schema.d.ts, and sends and reads what the API expects."""
    node = shutil.which("node")
    assert node, "node is needed"
    proc = subprocess.run(
        [_tsc(), "--strict", "--target", "es2022", "--lib", "es2022,dom", "--module", "es2022",
         "--moduleResolution", "bundler", "--outDir", str(tmp_path), os.path.join(client_codegen.CLIENT_DIR,
                                                                                  "client.ts")],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "run.js").write_text(RUN_CLIENT)
    proc = subprocess.run([node, "run.js"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    slots_call, sign_out_call, booking_call = result["calls"]
    assert slots_call["url"] == ("https://salon.example/booking/api/v1/pages/my%20salon/slots"
                                 "?service_id=3&date_from=2025-06-02")
    assert "Authorization" not in slots_call["headers"], "a public route gets no token"
    assert (sign_out_call["method"], sign_out_call["headers"]["Authorization"]) == ("DELETE", "Bearer T0K")
    assert booking_call["headers"]["Idempotency-Key"] == "k" * 20
    assert booking_call["headers"]["Content-Type"] == "application/json"
    assert json.loads(booking_call["body"])["service_id"] == 3
    assert result["slots"]["timezone"] == "Europe/Paris"
    assert result["signedOut"] is None
    assert result["version"] == build_document()["info"]["version"]
    assert result["error"] == {"isApiError": True, "status": 400, "code": "contract_mismatch",
                               "fields": {"colour": "is not an accepted field"}}


RUN_DAYS = """
import { BookingClient, freeTimes } from "./client.js";

const calls = [];
async function fakeFetch(url, init) {
    calls.push({ url, headers: init.headers });
    // 26 October 2025 in Paris lasts 25 hours: 150 minutes after midnight is 02:30 before the change, 210 is
    // 02:30 again after it, and 540 is 08:00 on the wall clock (elapsed time, not wall-clock minutes)
    return new Response(JSON.stringify({ format: "days", timezone: "Europe/Paris", provider_id: null,
        duration_minutes: 60, open_dates: ["2025-10-26"],
        days: [{ date: "2025-10-26", midnight: "2025-10-25T22:00:00Z", starts: [150, 210, 540] }] }), { status: 200 });
}

const client = new BookingClient({ baseUrl: "https://salon.example/booking/api/v1", fetch: fakeFetch });
const answer = await client.getSlots({ path: { slug: "s" },
                                       query: { service_id: 3, date_from: "2025-10-26", format: "days" } });
if (answer.format !== "days") throw new Error("not the days format");
const times = freeTimes(answer).map((t) => ({ date: t.date, start: t.start.toISOString(), end: t.end.toISOString(),
                                              providerId: t.providerId }));
console.log(JSON.stringify({ url: calls[0].url, times }));
"""


def test_client_asks_for_and_reads_the_days_format(tmp_path):
    """The typed client narrows the answer on its format and turns days of minutes into instants, DST included."""
    node = shutil.which("node")
    assert node, "node is needed"
    proc = subprocess.run(
        [_tsc(), "--strict", "--target", "es2022", "--lib", "es2022,dom", "--module", "es2022",
         "--moduleResolution", "bundler", "--outDir", str(tmp_path), os.path.join(client_codegen.CLIENT_DIR,
                                                                                  "client.ts")],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "run.js").write_text(RUN_DAYS)
    proc = subprocess.run([node, "run.js"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["url"].endswith("/pages/s/slots?service_id=3&date_from=2025-10-26&format=days")
    assert result["times"] == [
        {"date": "2025-10-26", "start": "2025-10-26T00:30:00.000Z", "end": "2025-10-26T01:30:00.000Z",
         "providerId": None},
        {"date": "2025-10-26", "start": "2025-10-26T01:30:00.000Z", "end": "2025-10-26T02:30:00.000Z",
         "providerId": None},
        {"date": "2025-10-26", "start": "2025-10-26T07:00:00.000Z", "end": "2025-10-26T08:00:00.000Z",
         "providerId": None},
    ]
