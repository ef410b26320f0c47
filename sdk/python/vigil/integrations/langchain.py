"""LangChain callback handler: pass ``VigilCallbackHandler()`` in a chain's ``callbacks`` inside a
``vigil.wrap`` and each LLM call becomes an ``llm_call`` event (model, prompt, response, tokens),
each tool call a ``tool_call`` event, and the outermost chain's error the execution's crash cause.

``langchain_core`` is optional: when it is installed the handler subclasses its
``BaseCallbackHandler``; otherwise it is a plain class with the same method names.
"""

import logging
from typing import Any, Dict, List, Optional

from .._calls import current_execution
from .._execution import Execution, _perf
from .._halt import VigilHalt

try:  # pragma: no cover - depends on the environment
    from langchain_core.callbacks import BaseCallbackHandler as _Base
except Exception:  # langchain_core is not installed (or broken): a plain base
    _Base = object

log = logging.getLogger("vigil")


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _content(message: Any) -> str:
    content = _get(message, "content", "")
    if isinstance(content, list):  # content blocks: keep the text parts
        return "".join(_get(b, "text", "") if not isinstance(b, str) else b for b in content)
    return "" if content is None else str(content)


def _model_name(serialized: Any, kwargs: Dict[str, Any]) -> Optional[str]:
    params = kwargs.get("invocation_params") or {}
    metadata = kwargs.get("metadata") or {}
    for source, key in ((params, "model"), (params, "model_name"), (metadata, "ls_model_name"),
                        (_get(serialized, "kwargs") or {}, "model"),
                        (_get(serialized, "kwargs") or {}, "model_name")):
        value = _get(source, key)
        if value:
            return str(value)
    return None


class _LlmRun:
    __slots__ = ("execution", "model", "system_prompt", "user_message", "started")

    def __init__(self, execution: Execution, model: Optional[str], system_prompt: Optional[str],
                 user_message: Optional[str]):
        self.execution = execution
        self.model = model
        self.system_prompt = system_prompt
        self.user_message = user_message
        self.started = _perf()


class _ToolRun:
    __slots__ = ("execution", "name", "input", "started")

    def __init__(self, execution: Execution, name: str, tool_input: Any):
        self.execution = execution
        self.name = name
        self.input = tool_input
        self.started = _perf()


def _usage(response: Any) -> Dict[str, Optional[int]]:
    """Token counts of an LLMResult: the message's ``usage_metadata`` when the model reports it,
    else the provider's ``token_usage`` in ``llm_output``."""
    generations = _get(response, "generations") or []
    first = generations[0][0] if generations and generations[0] else None
    usage = _get(_get(first, "message"), "usage_metadata") if first is not None else None
    if usage:
        cached = _get(_get(usage, "input_token_details") or {}, "cache_read")
        reasoning = _get(_get(usage, "output_token_details") or {}, "reasoning")
        return {"input_tokens": _get(usage, "input_tokens"),
                "output_tokens": _get(usage, "output_tokens"),
                "cached_input_tokens": cached, "reasoning_tokens": reasoning}
    token_usage = _get(_get(response, "llm_output") or {}, "token_usage") or {}
    return {"input_tokens": _get(token_usage, "prompt_tokens"),
            "output_tokens": _get(token_usage, "completion_tokens"),
            "cached_input_tokens": None, "reasoning_tokens": None}


def _response_text(response: Any) -> str:
    generations = _get(response, "generations") or []
    if not generations or not generations[0]:
        return ""
    first = generations[0][0]
    text = _get(first, "text")
    return str(text) if text else _content(_get(first, "message"))


class VigilCallbackHandler(_Base):  # type: ignore[misc,valid-type]
    """Records LangChain LLM and tool runs on the execution current when each run starts.
    ``raise_error`` is set so that a :class:`vigil.VigilHalt` raised at a call point stops the chain
    (LangChain swallows other callback errors); the handler never raises anything else."""

    raise_error = True
    run_inline = True

    def __init__(self) -> None:
        self._llm: Dict[Any, _LlmRun] = {}
        self._tools: Dict[Any, _ToolRun] = {}

    # ------------------------------------------------------------------ LLM runs

    def on_llm_start(self, serialized: Any, prompts: List[str], *, run_id: Any = None,
                     **kwargs: Any) -> None:
        execution = current_execution()
        if execution is not None:
            execution.check_before_llm_call()
            user = prompts[-1] if prompts else None
            self._llm[run_id] = _LlmRun(execution, _model_name(serialized, kwargs), None, user)

    def on_chat_model_start(self, serialized: Any, messages: List[List[Any]], *, run_id: Any = None,
                            **kwargs: Any) -> None:
        execution = current_execution()
        if execution is None:
            return
        execution.check_before_llm_call()
        batch = messages[0] if messages else []
        system = [_content(m) for m in batch if _get(m, "type") == "system"]
        users = [_content(m) for m in batch if _get(m, "type") in ("human", "user")]
        self._llm[run_id] = _LlmRun(execution, _model_name(serialized, kwargs),
                                    "\n".join(system) or None, users[-1] if users else None)

    def on_llm_end(self, response: Any, *, run_id: Any = None, **kwargs: Any) -> None:
        run = self._llm.pop(run_id, None)
        if run is None:
            return
        try:
            model = run.model or _get(_get(response, "llm_output") or {}, "model_name")
            fields = dict(model=model, system_prompt=run.system_prompt,
                          user_message=run.user_message, response_text=_response_text(response),
                          duration_ms=(_perf() - run.started) * 1000, **_usage(response))
        except Exception:
            log.exception("vigil: could not read a LangChain LLM result")
            return
        run.execution.emit_llm_call(**fields)

    def on_llm_error(self, error: BaseException, *, run_id: Any = None, **kwargs: Any) -> None:
        run = self._llm.pop(run_id, None)
        if run is not None and not isinstance(error, VigilHalt):
            run.execution.emit_llm_call(run.model, system_prompt=run.system_prompt,
                                        user_message=run.user_message, error=error,
                                        duration_ms=(_perf() - run.started) * 1000)

    # ------------------------------------------------------------------ tool runs

    def on_tool_start(self, serialized: Any, input_str: str, *, run_id: Any = None,
                      inputs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        execution = current_execution()
        if execution is None:
            return
        execution.check_halt()
        name = _get(serialized, "name") or kwargs.get("name") or "tool"
        self._tools[run_id] = _ToolRun(execution, str(name), inputs if inputs else input_str)

    def on_tool_end(self, output: Any, *, run_id: Any = None, **kwargs: Any) -> None:
        run = self._tools.pop(run_id, None)
        if run is not None:
            result = _get(output, "content", output) if not isinstance(output, str) else output
            run.execution._record_tool_call(run.name, (run.input,), {}, result, None, run.started)

    def on_tool_error(self, error: BaseException, *, run_id: Any = None, **kwargs: Any) -> None:
        run = self._tools.pop(run_id, None)
        if run is not None and not isinstance(error, VigilHalt):
            run.execution._record_tool_call(run.name, (run.input,), {}, None, error, run.started)

    # ------------------------------------------------------------------ chains

    def on_chain_error(self, error: BaseException, *, run_id: Any = None,
                       parent_run_id: Any = None, **kwargs: Any) -> None:
        """The outermost chain's error is recorded at once as the execution's crash cause (with
        the frames where it was raised), so the cause is kept even when the agent catches it or
        re-raises it wrapped in another exception."""
        execution = current_execution()
        if execution is not None and parent_run_id is None and not isinstance(error, VigilHalt):
            execution._record_cause(error)


# The name the Mesedi SDK documents for its LangChain handler.
MesediCallbackHandler = VigilCallbackHandler

__all__ = ["MesediCallbackHandler", "VigilCallbackHandler"]
