"""Corpus rows as the telemetry an SDK would send for them.

Every case becomes one execution: the POST /executions body, the events (one POST /events batch per
event, so the live pass runs after each as it would for an SDK that flushes often) and the PATCH
body that completes it. Two SDK profiles:

* ``vigil``: what the project's SDKs send: ``context_sha256`` on each llm_call (SHA-256 hex of the
  RFC 8785 canonical JSON of {"model", "messages", "tools"}, messages being the full list the model
  saw, system message(s) first), ``result_text`` (at most 16 KiB) on each tool_call, and the
  execution's ``name`` (for a trajectory, its agent_name());
* ``mesedi``: only what the Mesedi SDKs send: user_message, system_prompt, result_summary; no
  digest, no result_text, no name.

Times are synthetic but deterministic: cases follow one another on one clock, and within a
trajectory the recorded response dates and durations keep their real spacing.
"""

import datetime
import email.utils
import hashlib
import json
import math

SDK_PROFILES = ("vigil", "mesedi")
NEUTRAL_MODEL = "gpt-4o-mini"
# The SDKs cut strings to this many characters before queueing them.
MAX_STRING_CHARS = 32_000
RESULT_SUMMARY_CHARS = 300
RESULT_TEXT_BYTES = 16 * 1024
MAX_NAME_BYTES = 200
BENIGN_USER_MESSAGE = "Hello! Can you help me with my order?"
# Recorded cassettes were sometimes re-recorded in parts, days apart: a longer gap between two
# recorded response dates is not time the run spent, so the call's own duration stands in for it.
MAX_RECORDED_GAP_MS = 5 * 60 * 1000

_EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: the replay clock's origin
_LLM_FIELDS = ("model", "user_message", "status", "response_text", "input_tokens",
               "output_tokens", "exception_type", "exception_message")
_TOOL_FIELDS = ("tool_name", "arguments", "status", "result_summary", "exception_type",
                "exception_message")


# --- RFC 8785 (JSON Canonicalization Scheme) ----------------------------------------------------

def _jcs_number(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError("JCS has no representation for %r" % value)
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    # ECMAScript Number.prototype.toString: shortest round trip, exponent form outside [1e-7, 1e21).
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        exp = int(exponent)
        if -7 < exp < 21:
            return format(value, "f").rstrip("0").rstrip(".")
        return "%se%s%d" % (mantissa.rstrip("0").rstrip("."), "+" if exp > 0 else "-", abs(exp))
    return text


def canonical_json(value):
    """RFC 8785 canonical JSON text of a JSON-compatible value."""
    if value is None:
        return "null"
    if isinstance(value, (bool, int, float)):
        return _jcs_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))  # UTF-16 code unit order
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(value[k])
                              for k in keys) + "}"
    raise TypeError("not JSON: %r" % type(value))


def context_sha256(model, messages, tools):
    text = canonical_json({"model": model, "messages": messages, "tools": tools})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- wire helpers ---------------------------------------------------------------------------------

def rfc3339(ms):
    dt = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def _cut(text, limit=MAX_STRING_CHARS):
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cut_bytes(text, limit):
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", "ignore")


def execution_name(name):
    """An agent name as the SDKs send it: control characters dropped, at most 200 UTF-8 bytes cut
    at a character boundary."""
    clean = "".join(c for c in name if ord(c) >= 0x20 and ord(c) != 0x7F)
    return _cut_bytes(clean, MAX_NAME_BYTES)


def _tokens(text):
    return max(1, len(text) // 4)


class Builder:
    """Builds the cases of one corpus file; `clock_ms` runs on from case to case."""

    def __init__(self, sdk, clock_ms=_EPOCH_MS):
        if sdk not in SDK_PROFILES:
            raise ValueError("unknown SDK profile %r" % sdk)
        self.sdk = sdk
        self.clock_ms = clock_ms

    def case(self, case_id, project, events, status="completed", input_summary="", name=""):
        """`events`: (event_type, payload, offset_ms, duration_ms or None) in order. `name`: the
        agent's name, sent as the execution's `name` by the vigil profile only (Mesedi's SDKs have
        no such field)."""
        execution_id = "exec-" + hashlib.sha256(case_id.encode()).hexdigest()[:16]
        start_ms = self.clock_ms
        start = {"execution_id": execution_id, "status": "started",
                 "started_at": rfc3339(start_ms), "sdk_language": "python"}
        if name and self.sdk == "vigil":
            start["name"] = execution_name(name)
        if input_summary:
            start["input_summary"] = _cut(input_summary, 1000)
        batches, last_ms, tokens_in, tokens_out = [], start_ms, 0, 0
        for seq, (event_type, payload, offset_ms, duration_ms) in enumerate(events, 1):
            last_ms = max(last_ms, start_ms + offset_ms)
            event = {"event_id": "%s-%d" % (execution_id, seq), "execution_id": execution_id,
                     "event_type": event_type, "sequence": seq, "timestamp": rfc3339(last_ms),
                     "payload": payload}
            if duration_ms is not None:
                event["duration_ms"] = int(duration_ms)
            batches.append([event])
            tokens_in += payload.get("input_tokens", 0) if event_type == "llm_call" else 0
            tokens_out += payload.get("output_tokens", 0) if event_type == "llm_call" else 0
        end = {"status": status, "ended_at": rfc3339(last_ms), "duration_ms": last_ms - start_ms,
               "total_tokens_in": tokens_in, "total_tokens_out": tokens_out}
        self.clock_ms = last_ms + 1000
        return {"case": case_id, "project": project, "start": start, "batches": batches,
                "end": end}

    def llm_call(self, model, system_prompt, messages, tools, response_text="", extra=None):
        """An llm_call payload. `messages` are the non-system messages the model saw; the last one
        with role user is the `user_message`."""
        user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
        payload = {"model": model, "system_prompt": _cut(system_prompt or ""),
                   "user_message": _cut(user if isinstance(user, str) else json.dumps(user)),
                   "status": "ok", "input_tokens": _tokens(json.dumps(messages)),
                   "output_tokens": _tokens(response_text) if response_text else 0}
        if response_text:
            payload["response_text"] = _cut(response_text)
        if extra:
            payload.update(extra)
        if self.sdk == "vigil":
            system = [{"role": "system", "content": system_prompt}] if system_prompt else []
            payload["context_sha256"] = context_sha256(model, system + list(messages), tools)
        return payload

    def tool_call(self, tool_name, arguments, status, result, extra=None):
        payload = {"tool_name": tool_name, "arguments": arguments, "status": status}
        if result is not None:
            payload["result_summary"] = result[:RESULT_SUMMARY_CHARS]
            if self.sdk == "vigil":
                payload["result_text"] = _cut_bytes(result, RESULT_TEXT_BYTES)
        if extra:
            payload.update(extra)
        return payload


# --- corpus files ---------------------------------------------------------------------------------

def direct_cases(rows, builder, project):
    for row in rows:
        messages = [{"role": "user", "content": row["text"]}]
        payload = builder.llm_call(NEUTRAL_MODEL, "", messages, [])
        yield builder.case(row["id"], project, [("llm_call", payload, 800, 800)])


def indirect_cases(rows, builder, project):
    for row in rows:
        tool, text = row["tool_name"], row["text"]
        call = {"id": "call_1", "type": "function",
                "function": {"name": tool, "arguments": "{}"}}
        first = [{"role": "user", "content": row["user_message"]}]
        second = first + [{"role": "assistant", "content": None, "tool_calls": [call]},
                          {"role": "tool", "tool_call_id": "call_1", "content": text}]
        events = [
            ("llm_call", builder.llm_call(NEUTRAL_MODEL, "", first, [tool]), 700, 700),
            ("tool_call", builder.tool_call(tool, {"kwargs": {}}, "ok", text), 900, 200),
            ("llm_call", builder.llm_call(NEUTRAL_MODEL, "", second, [tool], "Done."), 1900, 1000),
        ]
        yield builder.case(row["id"], project, events)


def system_prompt_cases(prompts, builder, project):
    for key in sorted(prompts):
        messages = [{"role": "user", "content": BENIGN_USER_MESSAGE}]
        payload = builder.llm_call(NEUTRAL_MODEL, prompts[key], messages, [])
        yield builder.case("system_prompt:" + key, project, [("llm_call", payload, 800, 800)])


def _http_date_ms(value):
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError):
        return None


def _trajectory_event(event, run, prompts, builder):
    payload = event["payload"]
    if event["event_type"] == "llm_call":
        pool = run["message_pool"]
        messages = [pool[i] for i in payload.get("messages_ref", [])]
        system = prompts.get(payload.get("system_prompt_ref"), "")
        extra = {k: payload[k] for k in _LLM_FIELDS if k in payload}
        out = builder.llm_call(payload.get("model", "unknown"), system, messages,
                               payload.get("tools_offered", []), extra=None)
        for k in ("input_tokens", "output_tokens", "response_text"):
            out.pop(k, None)
        out.update({k: _cut(v) if isinstance(v, str) else v for k, v in extra.items()})
        return out
    if event["event_type"] == "tool_call":
        out = {k: payload[k] for k in _TOOL_FIELDS if k in payload}
        if builder.sdk == "vigil" and isinstance(payload.get("result_text"), str):
            out["result_text"] = _cut_bytes(payload["result_text"], RESULT_TEXT_BYTES)
        return out
    return dict(payload)


def agent_name(run):
    """The name a trajectory's agent is sent under, standing in for the wrapped function's: its
    framework and the upstream suite it comes from ("crewAI/agents", "SWE-agent/ctf"). An upstream
    test name is unique per run, so using it would give every run its own agent and no agent any
    history; one suite exercises one part of the framework, as one wrapped function would."""
    upstream = run.get("name", "")
    suite = upstream.split("/")[0] if "/" in upstream else upstream.split(".")[0]
    return execution_name(run["source"].split()[0] + "/" + suite)


def trajectory_cases(runs, prompts, builder):
    """One project per source: a source's runs share a clock and a model history."""
    for run in runs:
        project = "trajectories:" + run["source"]
        events, offset, last_date = [], 1000, None
        for event in run["events"]:
            date_ms = _http_date_ms(event.get("http_date"))
            duration = event.get("duration_ms")
            gap = None if date_ms is None or last_date is None else date_ms - last_date
            if gap is not None and 0 <= gap <= MAX_RECORDED_GAP_MS:
                offset += gap
            else:
                offset += int(duration or 0)
            last_date = date_ms if date_ms is not None else last_date
            payload = _trajectory_event(event, run, prompts, builder)
            events.append((event["event_type"], payload, offset, duration))
        execution = run.get("execution", {})
        yield builder.case(run["id"], project, events, execution.get("status", "completed"),
                           execution.get("input_summary", ""), agent_name(run))
