"""Async agents: nested executions across asyncio tasks. Each worker is its own execution whose
``parent_execution_id`` is the orchestrator's.

    PYTHONPATH=sdk/python python3 sdk/python/examples/async_agents.py
"""

import asyncio

import vigil

vigil.configure()


@vigil.tool
async def fetch(url: str) -> int:
    await asyncio.sleep(0.01)
    return 200


@vigil.wrap
async def worker(url: str) -> int:
    status = await fetch(url)
    vigil.emit_llm_call("claude-haiku-4-5", user_message="Summarize " + url, input_tokens=900,
                        output_tokens=60)
    return status


@vigil.wrap
async def orchestrator(urls: list) -> list:
    return await asyncio.gather(*(worker(u) for u in urls))


if __name__ == "__main__":
    print(asyncio.run(orchestrator(["https://example.com/a", "https://example.com/b"])))
    vigil.flush(5)
