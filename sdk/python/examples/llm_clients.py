"""Recording calls of the Anthropic and OpenAI Python clients with the optional adapters.

Needs ``pip install anthropic`` and/or ``pip install openai`` and their API keys; whatever is missing
is skipped. The adapters import neither library themselves.

    PYTHONPATH=sdk/python python3 sdk/python/examples/llm_clients.py
"""

import os

import vigil
from vigil import Budget

vigil.configure()


@vigil.wrap(budget=Budget(max_steps=4, max_cost_usd=0.02))
def ask_both(question: str) -> None:
    try:
        import anthropic
    except ImportError:
        anthropic = None
    if anthropic is not None and os.environ.get("ANTHROPIC_API_KEY"):
        from vigil.adapters import anthropic as vigil_anthropic

        claude = vigil_anthropic.instrument(anthropic.Anthropic())
        reply = claude.messages.create(model="claude-haiku-4-5", max_tokens=200,
                                       system="Answer in one sentence.",
                                       messages=[{"role": "user", "content": question}])
        print("claude:", reply.content[0].text)
    else:
        print("anthropic client or ANTHROPIC_API_KEY missing: skipped")

    try:
        import openai
    except ImportError:
        openai = None
    if openai is not None and os.environ.get("OPENAI_API_KEY"):
        from vigil.adapters import openai as vigil_openai

        gpt = vigil_openai.instrument(openai.OpenAI())
        completion = gpt.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "system", "content": "Answer in one sentence."},
                      {"role": "user", "content": question}])
        print("gpt:", completion.choices[0].message.content)
    else:
        print("openai client or OPENAI_API_KEY missing: skipped")


if __name__ == "__main__":
    ask_both("Why do agents need budgets?")
    vigil.flush(5)
