"""The cross-SDK parity scenario and the normalisation of its wire requests.

Scenario (the TypeScript SDK reproduces it step by step):

1. configure(api_key="parity-key", base_url=<fake server>)
2. wrap an agent named "parity" with budget Budget(max_steps=10)
3. inside it, in order:
   a. emit_llm_call(model "gpt-4o", system_prompt "sys", user_message "hi", input_tokens 10, output_tokens 5)
   b. call the tool "search" with one positional argument "vigil"; it returns "result"
   c. checkpoint("mid")                    (no metadata)
   d. validator_result("schema", passed=True)   (no severity, no message)
   e. wait until the server has seen the halt-stream GET (at most 5 s), then return normally
4. flush

Normalisation: every request becomes {"method", "path_template", "fields"}; path ids
(``exec-`` + 12 hex) become ``{id}``; ``fields`` are the sorted JSON object keys, plus
``payload.<key>`` and ``budget.<key>`` one level down. ``POST /events`` batches are flattened into
one entry per event (batch boundaries depend on timing). Ingestion requests keep their wire order;
the halt-stream GETs follow them (their timing relative to the POST is not defined).

Run ``python3 tests/parity.py`` to print the normalised requests of a fresh run.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_PATH = os.path.join(HERE, "parity_scenario.json")
_ID = re.compile(r"exec-[0-9a-f]{12}")
_NESTED = ("payload", "budget")


def run_scenario(server):
    import vigil

    vigil.configure(api_key="parity-key", base_url=server.url)

    @vigil.tool("search")
    def search(query):
        return "result"

    @vigil.wrap(name="parity", budget=vigil.Budget(max_steps=10))
    def parity():
        vigil.emit_llm_call("gpt-4o", system_prompt="sys", user_message="hi", input_tokens=10,
                            output_tokens=5)
        search("vigil")
        vigil.checkpoint("mid")
        vigil.validator_result("schema", passed=True)
        server.wait_for(lambda: len(server.halt_streams) >= 1, timeout=5)

    parity()
    vigil.flush(10)
    return normalize(server.requests)


def fields_of(obj):
    names = set(obj)
    for key in _NESTED:
        if isinstance(obj.get(key), dict):
            names.update("%s.%s" % (key, sub) for sub in obj[key])
    return sorted(names)


def normalize(requests):
    ingestion, streams = [], []
    for request in requests:
        template = _ID.sub("{id}", request.path)
        if request.method == "GET":
            streams.append({"method": "GET", "path_template": template, "fields": []})
        elif isinstance(request.json, list):
            for event in request.json:
                ingestion.append({"method": request.method, "path_template": template,
                                  "fields": fields_of(event)})
        else:
            ingestion.append({"method": request.method, "path_template": template,
                              "fields": fields_of(request.json or {})})
    return ingestion + streams


def load_expected():
    with open(EXPECTED_PATH) as f:
        return json.load(f)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(HERE))
    sys.path.insert(0, HERE)
    from fake_server import FakeVigil

    fake = FakeVigil().start()
    try:
        print(json.dumps(run_scenario(fake), indent=2))
    finally:
        fake.stop()
