"""Quick start: one agent run with an LLM call, a tool call, a checkpoint and a validator.

Start a local server (``VIGIL_DEV=1 vigil``), then:

    PYTHONPATH=sdk/python python3 sdk/python/examples/quickstart.py

With no server running the script still completes: telemetry is retried in the background and the
exit hook gives up after ``shutdown_timeout`` seconds with a warning.
"""

import vigil

# Arguments win; otherwise VIGIL_API_KEY / VIGIL_BASE_URL (then MESEDI_*) are read, and the defaults
# target a local dev server (http://localhost:8080 with the dev key).
vigil.configure()


@vigil.tool
def search_docs(query: str) -> list:
    return ["Vigil stores executions in SQLite.", "Budgets halt runaway agents."]


def call_model(prompt: str) -> str:
    # Stand-in for your LLM client. With the Anthropic or OpenAI client, use vigil.adapters instead of
    # calling emit_llm_call yourself.
    answer = "Vigil keeps its data in SQLite."
    vigil.emit_llm_call("gpt-4o-mini", system_prompt="Answer from the documents.", user_message=prompt,
                        input_tokens=420, output_tokens=12, response_text=answer, duration_ms=350)
    return answer


@vigil.wrap
def answer_question(question: str) -> str:
    documents = search_docs(question)
    vigil.checkpoint("retrieved", {"documents": len(documents)})
    answer = call_model(question + "\n" + "\n".join(documents))
    vigil.validator_result("non_empty_answer", passed=bool(answer.strip()))
    return answer


if __name__ == "__main__":
    print(answer_question("Where does Vigil keep its data?"))
    delivered = vigil.flush(5)
    print("telemetry delivered:", delivered, vigil.stats())
