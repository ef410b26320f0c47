"""Vigil client SDK: record AI-agent runs (executions), their LLM and tool calls, and enforce budgets.

Quick start::

    import vigil

    vigil.configure(api_key="vigil_sk_...", base_url="https://vigil.example.com")

    @vigil.tool
    def search(query): ...

    @vigil.wrap(budget=vigil.Budget(max_steps=20, max_cost_usd=0.50))
    def agent(task):
        ...
        vigil.emit_llm_call("gpt-4o", system_prompt=sp, user_message=task,
                            input_tokens=812, output_tokens=95)
        return search(task)

Telemetry is sent by a background thread; nothing here blocks on the network or raises into the
agent, except :class:`VigilHalt` when a budget is exhausted or a halt was requested.
"""

from ._budget import Budget
from ._client import MesediClient, configure, flush, shutdown, stats
from ._config import Config, VigilConfigError
from ._context import canonical_json, context_sha256
from ._calls import check_halt, checkpoint, current_execution, emit_llm_call, tool, validator_result
from ._execution import Execution, wrap
from ._halt import TRIGGERS, VigilHalt
from ._instrument import (instrument_anthropic, instrument_cohere, instrument_gemini,
                          instrument_openai, uninstrument_anthropic, uninstrument_cohere,
                          uninstrument_gemini, uninstrument_openai)
from ._pricing import estimate_cost_usd
from ._signature import crash_signature
from ._version import __version__
from ._wire import Event, EventType, Status
from .transparency import CertificateError, VerifiedCertificate, verify_certificate

#: The Mesedi SDK's name for :class:`VigilHalt`.
MesediHalt = VigilHalt

__all__ = [
    "Budget",
    "CertificateError",
    "Config",
    "Event",
    "EventType",
    "Execution",
    "MesediClient",
    "MesediHalt",
    "Status",
    "TRIGGERS",
    "VerifiedCertificate",
    "VigilConfigError",
    "VigilHalt",
    "__version__",
    "canonical_json",
    "check_halt",
    "checkpoint",
    "configure",
    "context_sha256",
    "crash_signature",
    "current_execution",
    "emit_llm_call",
    "estimate_cost_usd",
    "flush",
    "instrument_anthropic",
    "instrument_cohere",
    "instrument_gemini",
    "instrument_openai",
    "shutdown",
    "stats",
    "tool",
    "uninstrument_anthropic",
    "uninstrument_cohere",
    "uninstrument_gemini",
    "uninstrument_openai",
    "validator_result",
    "verify_certificate",
    "wrap",
]
