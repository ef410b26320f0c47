"""Optional adapters that record LLM calls made through popular client libraries.

Import the one you need; no client library is a dependency of ``vigil`` and none is imported by
the adapters (they work on any object with the client's call shape)::

    from vigil.adapters import anthropic as vigil_anthropic
    client = vigil_anthropic.instrument(anthropic.Anthropic())

    from vigil.adapters import openai as vigil_openai
    client = vigil_openai.instrument(openai.OpenAI())

    from vigil.adapters import cohere as vigil_cohere
    client = vigil_cohere.instrument(cohere.ClientV2())

    from vigil.adapters import gemini as vigil_gemini
    client = vigil_gemini.instrument(genai.Client())
"""
