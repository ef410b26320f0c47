"""The embedded dashboard as HTTP sees it: public files from the binary, a strict
Content-Security-Policy, deep links answered with the app's page, revalidation by ETag, and
sources that never build HTML from strings. (Its behaviour in a browser is tests/ui/.)"""
import html
import importlib.util
import json
import os
import re

UI_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "ui")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def test_ui_without_slash_redirects(client):
    r = client.get("/ui", auth=False)
    assert r.status == 301
    assert r.headers["location"] == "/ui/"


def test_root_redirects_to_the_dashboard(client):
    r = client.get("/", auth=False)
    assert r.status == 302
    assert r.headers["location"] == "/ui/"


def test_page_is_public_and_sent_with_a_strict_policy(client):
    r = client.get("/ui/", auth=False)
    assert r.status == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "x-ratelimit-limit" not in r.headers
    assert "<title>Vigil</title>" in r.body


def test_page_has_no_inline_script_or_style(client):
    body = client.get("/ui/", auth=False).body
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", body, re.S)
    assert scripts and all(s.strip() == "" for s in scripts)
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", body))
    assert "<style" not in body and " style=" not in body
    assert not re.search(r"\son[a-z]+=", body), "no inline event handlers"


def test_page_tells_the_app_which_optional_routes_exist_and_the_prices(client):
    body = client.get("/ui/", auth=False).body
    m = re.search(r'<meta name="vigil-config" content="([^"]*)">', body)
    config = json.loads(html.unescape(m.group(1)))
    assert set(config["features"]) == {"audit_log", "billing", "billing_usage"}
    audit = client.get("/audit-log").status == 200
    assert config["features"]["audit_log"] is audit
    prices = {p["key"]: (p["input_usd_per_mtok"], p["output_usd_per_mtok"]) for p in config["prices"]}
    assert prices["gpt-4o"] == (2.5, 10)
    assert prices["claude-opus-4-6"] == (15, 75)
    # Each row carries its provider's rates for cached input and reasoning output.
    rows = {p["key"]: p for p in config["prices"]}
    assert rows["gpt-4o"]["cached_input_usd_per_mtok"] == 1.25
    assert rows["claude-opus-4-6"]["cached_input_usd_per_mtok"] == 1.5
    assert rows["o1"]["reasoning_usd_per_mtok"] == 60
    # And whether it prices only the model its key names exactly (docs/api.md#dashboard).
    assert rows["gpt-5"]["exact_only"] is True and rows["gpt-5"]["input_usd_per_mtok"] == 1.25
    assert rows["gpt-5-"]["exact_only"] is False


def sdk_price_tables():
    """The Python and TypeScript SDKs' price tables:
    {key: (input, output, cached factor, exact only)}."""
    root = os.path.join(os.path.dirname(__file__), "..", "..", "sdk")
    spec = importlib.util.spec_from_file_location(
        "sdk_pricing", os.path.join(root, "python", "vigil", "_pricing.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    python = {k: (i, o, module.CACHED_INPUT_FACTOR[k], k in module.EXACT_ONLY)
              for k, (i, o) in module.PRICES_PER_MILLION.items()}
    assert module.EXACT_ONLY <= set(python)
    with open(os.path.join(root, "typescript", "src", "pricing.ts"), encoding="utf-8") as f:
        rows = re.findall(r'^\s*\["([^"]+)", ([0-9.]+), ([0-9.]+), ([0-9.]+)(, EXACT_ONLY)?\],$',
                          f.read(), re.M)
    typescript = {k: (float(i), float(o), float(c), exact == ", EXACT_ONLY")
                  for k, i, o, c, exact in rows}
    return python, typescript


def test_the_sdks_price_every_model_as_the_server_does(client):
    # The SDKs send the cost they budget against, and the server keeps a cost it was sent, so their
    # tables must be the server's, row for row (docs/detection.md#price-table).
    m = re.search(r'<meta name="vigil-config" content="([^"]*)">', client.get("/ui/", auth=False).body)
    server = {p["key"]: (p["input_usd_per_mtok"], p["output_usd_per_mtok"],
                         p["cached_input_usd_per_mtok"], p["reasoning_usd_per_mtok"],
                         p["exact_only"])
              for p in json.loads(html.unescape(m.group(1)))["prices"]}
    assert {"gemini-2.5-flash", "command-a-03-2025", "gpt-4.1"} <= set(server)
    # Exactly the bare "gpt-5" is exact-only: as a prefix it would price every gpt-5.x model.
    assert [key for key, row in server.items() if row[4] is True] == ["gpt-5"]
    assert all(row[4] is False for key, row in server.items() if key != "gpt-5")
    for name, table in zip(("python", "typescript"), sdk_price_tables()):
        assert set(table) == set(server), name
        for key, (price_in, price_out, factor, exact_only) in table.items():
            s_in, s_out, s_cached, s_reasoning, s_exact_only = server[key]
            assert (s_in, s_out, s_reasoning) == (price_in, price_out, price_out), (name, key)
            assert s_exact_only == exact_only, (name, key)
            # The JSON carries the cached rate to 15 significant digits.
            assert abs(s_cached - price_in * factor) <= 1e-12 * price_in, (name, key)


def test_deep_links_are_answered_with_the_app_page(client):
    page = client.get("/ui/", auth=False).body
    for path in ["/ui/executions/exec-1", "/ui/failure-groups/grp-0123456789abcdef",
                 "/ui/playbooks?class=loops&signature=step_count_50%2B", "/ui/billing",
                 "/ui/billing?status=success&session_id=cs_1", "/ui/executions/a%20b/c",
                 "/ui/no/such/page"]:
        r = client.get(path, auth=False)
        assert r.status == 200, path
        assert r.body == page, path
        assert r.headers["content-security-policy"] == CSP


def test_assets_have_their_types_and_missing_ones_are_404(client):
    for path, ctype in [("/ui/assets/js/main.js", "text/javascript; charset=utf-8"),
                        ("/ui/assets/app.css", "text/css; charset=utf-8"),
                        ("/ui/assets/favicon.svg", "image/svg+xml")]:
        r = client.get(path, auth=False)
        assert r.status == 200, path
        assert r.headers["content-type"] == ctype
        assert r.headers["content-security-policy"] == CSP
    r = client.get("/ui/assets/js/missing.js", auth=False)
    assert r.status == 404
    assert r.json == {"ok": False, "error": "not found"}


def test_every_module_the_app_imports_is_served(client):
    seen, todo = set(), ["/ui/assets/js/main.js"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        r = client.get(path, auth=False)
        assert r.status == 200, path
        for rel in re.findall(r"""(?:import|from)\s*['"](\.{1,2}/[^'"]+)['"]""", r.body):
            todo.append(os.path.normpath(os.path.join(os.path.dirname(path), rel)))
    assert len(seen) >= 10


def test_unchanged_files_revalidate_with_304(client):
    r = client.get("/ui/assets/app.css", auth=False)
    etag = r.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
    again = client.get("/ui/assets/app.css", auth=False, headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == ""
    page = client.get("/ui/executions/x", auth=False)
    assert client.get("/ui/", auth=False, headers={"If-None-Match": page.headers["etag"]}).status == 304
    assert client.get("/ui/", auth=False, headers={"If-None-Match": '"other"'}).status == 200


def test_head_and_wrong_methods(client):
    r = client.request("HEAD", "/ui/", auth=False)
    assert r.status == 200 and r.body == ""
    r = client.request("POST", "/ui/x", auth=False, raw=b"{}")
    assert r.status == 405
    assert r.headers["allow"] == "GET, HEAD"


def test_api_responses_do_not_carry_the_page_policy(client):
    r = client.get("/executions")
    assert r.status == 200
    assert "content-security-policy" not in r.headers


def test_sources_never_build_html_from_strings():
    """Payloads, messages and names an agent sent are shown as text: no API that parses HTML or
    code from a string appears in the dashboard's scripts, and no inline style anywhere."""
    banned = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\(\s*['\"]style")
    checked = 0
    for root, _, files in os.walk(UI_DIR):
        for name in files:
            text = open(os.path.join(root, name), encoding="utf-8").read()
            if name.endswith(".js"):
                assert not banned.search(text), name
                checked += 1
            if name.endswith(".html"):
                assert " style=" not in text, name
    assert checked >= 10
