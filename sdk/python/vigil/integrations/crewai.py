"""CrewAI integration: ``instrument_crew(crew)`` inside a ``vigil.wrap`` records the crew's LLM and
tool calls (through :class:`~vigil.integrations.langchain.VigilCallbackHandler` on each agent's LLM)
and its rhythm as checkpoints: ``crewai.agent_action`` / ``crewai.agent_finish`` per agent step and
``crewai.task_completed`` per finished task. Idempotent; callbacks the crew already had still run.
"""

from typing import Any, Callable, Optional

from .._calls import checkpoint
from .langchain import VigilCallbackHandler

_MARK = "_vigil_instrumented"
_TEXT_LIMIT = 1000  # checkpoint metadata is for orientation; full texts belong to llm_call events


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text[:_TEXT_LIMIT]


def _step_checkpoint(step: Any) -> None:
    # An AgentFinish carries ``return_values`` (or ``output``); an AgentAction a ``tool``.
    if hasattr(step, "return_values") or (hasattr(step, "output") and not hasattr(step, "tool")):
        output = getattr(step, "return_values", None) or getattr(step, "output", None)
        checkpoint("crewai.agent_finish", output=_short(output))
    else:
        checkpoint("crewai.agent_action", tool=_short(getattr(step, "tool", None)),
                   tool_input=_short(getattr(step, "tool_input", None)))


def _task_checkpoint(task_output: Any) -> None:
    checkpoint("crewai.task_completed",
               description=_short(getattr(task_output, "description", None)),
               agent=_short(getattr(task_output, "agent", None)),
               output=_short(getattr(task_output, "raw", None) or task_output))


def _chain(ours: Callable[[Any], None],
           theirs: Optional[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def callback(value: Any) -> Any:
        ours(value)
        return theirs(value) if theirs is not None else None

    setattr(callback, _MARK, True)
    return callback


def _attach_handler(llm: Any, handler: VigilCallbackHandler) -> None:
    callbacks = getattr(llm, "callbacks", None)
    if callbacks is None:
        callbacks = []
    if any(isinstance(c, VigilCallbackHandler) for c in callbacks):
        return
    try:
        llm.callbacks = list(callbacks) + [handler]
    except Exception:  # an LLM object that does not take callbacks: its calls go unrecorded
        pass


def instrument_crew(crew: Any) -> Any:
    """Instrument ``crew`` (see the module text) and return it."""
    handler = VigilCallbackHandler()
    for agent in getattr(crew, "agents", None) or []:
        llm = getattr(agent, "llm", None)
        if llm is not None and not isinstance(llm, str):
            _attach_handler(llm, handler)
    for attribute, ours in (("step_callback", _step_checkpoint),
                            ("task_callback", _task_checkpoint)):
        theirs = getattr(crew, attribute, None)
        if not getattr(theirs, _MARK, False):
            try:
                setattr(crew, attribute, _chain(ours, theirs))
            except Exception:
                pass
    return crew


__all__ = ["instrument_crew"]
