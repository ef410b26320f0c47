"""Billing (docs/api.md#billing): the Stripe webhook's signature and idempotency, tier changes,
checkout and portal against a configured Stripe base, and usage, over HTTP against the real binary.
"""
import hashlib
import hmac
import http.server
import json
import sqlite3
import threading
import time

# srv is a fixture: importing it is what makes it this module's.
from accounts_support import (IP_HEADER, WHSEC, audit_actions, new_project, srv,  # noqa: F401
                              wait_for)


# --- billing and Stripe ------------------------------------------------------------------------

def stripe_header(body, secret=WHSEC, t=None, extra_v1=()):
    t = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return ",".join([f"t={t}"] + [f"v1={v}" for v in extra_v1] + [f"v1={sig}"])


def post_stripe(s, event, header=None, body=None):
    raw = body if body is not None else json.dumps(event).encode()
    h = {"Stripe-Signature": header if header is not None else stripe_header(raw)}
    return s.client(key=None).request("POST", "/billing/webhook", raw=raw,
                                      headers={**h, "Content-Type": "application/json"})


def test_stripe_signature_vectors(srv):
    p = new_project(srv, "Stripe")
    ev = {"id": "evt_sig_1", "type": "ping.unhandled", "data": {"object": {}}}
    raw = json.dumps(ev).encode()
    now = int(time.time())
    bad = {
        "tampered body": (stripe_header(raw), raw.replace(b"ping", b"pong")),
        "wrong secret": (stripe_header(raw, secret="whsec_other"), raw),
        "stale": (stripe_header(raw, t=now - 301), raw),
        "future": (stripe_header(raw, t=now + 301), raw),
        "missing t": (stripe_header(raw).split(",", 1)[1], raw),
        "no v1": (f"t={now},v0=abc", raw),
        "uppercase hex": (stripe_header(raw).upper().replace("T=", "t=").replace("V1=", "v1="), raw),
    }
    for name, (header, body) in bad.items():
        r = post_stripe(srv, None, header=header, body=body)
        assert r.status == 400 and r.json["error"] == "signature verification failed", name
    r = srv.client(key=None).request("POST", "/billing/webhook", raw=raw,
                                     headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json["error"] == "missing Stripe-Signature header"
    # Valid, also among several v1 values and with a v0 scheme present.
    assert post_stripe(srv, ev, header=stripe_header(raw, extra_v1=("00" * 32,)) + ",v0=zz").status == 200
    not_event = json.dumps({"id": 5, "type": "x"}).encode()
    assert post_stripe(srv, None, header=stripe_header(not_event), body=not_event).status == 400
    assert p.get("/billing").status == 200


def test_stripe_events_change_tier_once_even_when_replayed(srv):
    p = new_project(srv, "Paying")
    pid = p.info["project_id"]
    done = {"id": "evt_checkout_1", "type": "checkout.session.completed",
            "data": {"object": {"client_reference_id": pid, "customer": "cus_1",
                                "subscription": {"id": "sub_1"}}}}
    assert post_stripe(srv, done).status == 200
    b = p.get("/billing").json
    assert b["tier"] == "pro" and b["stripe_customer_id"] == "cus_1"
    assert b["stripe_subscription_id"] == "sub_1" and b["included_executions"] == 100000
    updated = {"id": "evt_sub_1", "type": "customer.subscription.updated",
               "data": {"object": {"id": "sub_1", "customer": "cus_1", "status": "active",
                                   "items": {"data": [{"current_period_start": 1893456000,
                                                       "current_period_end": 1896134400}]}}}}
    assert post_stripe(srv, updated).status == 200
    b = p.get("/billing").json
    assert b["current_period_start"] == "2030-01-01T00:00:00.000Z"
    assert b["current_period_end"] == "2030-02-01T00:00:00.000Z"
    # Usage, then an invoice resets it; replaying the invoice does nothing more.
    for i in range(3):
        p.post("/executions", {"execution_id": f"bill-{i}"})
    assert p.get("/billing").json["executions_this_period"] == 3
    paid = {"id": "evt_inv_1", "type": "invoice.paid",
            "data": {"object": {"customer": "cus_1",
                                "lines": {"data": [{"period": {"start": 1896134400,
                                                               "end": 1898553600}}]}}}}
    assert post_stripe(srv, paid).status == 200
    assert p.get("/billing").json["executions_this_period"] == 0
    p.post("/executions", {"execution_id": "bill-after"})
    assert post_stripe(srv, paid).status == 200  # replay: 200, not applied again
    assert p.get("/billing").json["executions_this_period"] == 1
    stale = {"id": "evt_del_0", "type": "customer.subscription.deleted",
             "data": {"object": {"id": "sub_old", "customer": "cus_1"}}}
    assert post_stripe(srv, stale).status == 200  # an older subscription: no downgrade
    assert p.get("/billing").json["tier"] == "pro"
    deleted = {"id": "evt_del_1", "type": "customer.subscription.deleted",
               "data": {"object": {"id": "sub_1", "customer": {"id": "cus_1"}}}}
    assert post_stripe(srv, deleted).status == 200
    b = p.get("/billing").json
    assert b["tier"] == "hobby" and "stripe_subscription_id" not in b
    assert "current_period_start" not in b
    db = sqlite3.connect(srv.db)
    n = db.execute("SELECT COUNT(*) FROM stripe_events WHERE event_id = 'evt_inv_1'").fetchone()[0]
    db.close()
    assert n == 1
    assert wait_for(lambda: [e for e in audit_actions(p) if e["action"] == "stripe.event"])


def test_stripe_webhook_unconfigured_is_503(server):
    r = server.client(key=None).request("POST", "/billing/webhook", raw=b"{}",
                                        headers={"Content-Type": "application/json",
                                                 "Stripe-Signature": "t=1,v1=00"})
    assert r.status == 503


class FakeStripe(http.server.BaseHTTPRequestHandler):
    calls = []
    fail = False

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        FakeStripe.calls.append((self.path, self.headers["Authorization"], body))
        if FakeStripe.fail:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error":{"message":"internal secret detail"}}')
            return
        out = {"url": "https://stripe.example/session", "id": "cs_123"}
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


def test_checkout_and_portal_call_the_configured_stripe_base(make_server):
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    try:
        s = make_server(env={"VIGIL_STRIPE_SECRET_KEY": "sk_test_123",
                             "VIGIL_STRIPE_WEBHOOK_SECRET": WHSEC,
                             "VIGIL_STRIPE_PRO_PRICE_ID": "price_pro",
                             "VIGIL_DASHBOARD_URL": "https://dash.example/",
                             "VIGIL_STRIPE_API_BASE": f"http://127.0.0.1:{fake.server_port}",
                             "VIGIL_TRUSTED_PROXY_HEADER": IP_HEADER})
        p = new_project(s, "Upgrader")
        b = p.get("/billing").json
        assert b["can_upgrade"] is True and b["can_manage"] is False
        assert b["billing_configured"] is True
        assert p.post("/billing/portal").json["error"] == \
            "project has no Stripe customer yet; upgrade first via /billing/checkout"
        r = p.post("/billing/checkout")
        assert r.json == {"ok": True, "url": "https://stripe.example/session", "session_id": "cs_123"}
        path, auth, form = FakeStripe.calls[-1]
        assert path == "/v1/checkout/sessions" and auth == "Bearer sk_test_123"
        assert "mode=subscription" in form and "line_items%5B0%5D%5Bprice%5D=price_pro" in form
        assert "client_reference_id=" + p.info["project_id"] in form
        assert "success_url=https%3A%2F%2Fdash.example%2Fbilling%3Fstatus%3Dsuccess" in form
        done = {"id": "evt_co_2", "type": "checkout.session.completed",
                "data": {"object": {"metadata": {"vigil_project_id": p.info["project_id"]},
                                    "customer": "cus_9", "subscription": "sub_9"}}}
        assert post_stripe(s, done).status == 200
        assert p.post("/billing/checkout").json["error"] == \
            "project is already on a paid tier; use /billing/portal to manage"
        assert p.post("/billing/portal").json == {"ok": True, "url": "https://stripe.example/session"}
        assert "customer=cus_9" in FakeStripe.calls[-1][2]
        FakeStripe.fail = True
        r = p.post("/billing/portal")
        assert r.status == 502 and r.json["error"] == "Stripe request failed"
        assert "secret detail" not in r.body
    finally:
        FakeStripe.fail = False
        fake.shutdown()


def test_billing_unconfigured_and_usage(srv):
    p = new_project(srv, "Usage")
    r = p.post("/billing/checkout")
    assert r.status == 503 and r.json["error"] == "billing is not configured"
    assert "retry-after" not in r.headers
    p.post("/executions", {"execution_id": "u-1"})
    u = p.get("/billing/usage").json
    assert u["ok"] is True and sum(d["count"] for d in u["days"]) == 1
    assert u["days"][0]["date"].endswith("T00:00:00.000Z")
    b = p.get("/billing").json
    assert b["tier"] == "hobby" and b["executions_this_period"] == 1
    assert b["included_executions"] == 5000 and b["overage_price_per_execution_usd"] == 0.001
    assert b["billing_configured"] is False
