"""The execution `name` our SDK sends (a protocol extension): the wrapped function's qualified name,
or the one given; never a placeholder, never something the server would refuse."""

import asyncio

import vigil


def _create_names(sdk):
    assert vigil.flush(5)
    return [c.get("name") for c in sdk.creates()]


def test_decorated_function_sends_its_qualified_name(sdk):
    @vigil.wrap
    def support_agent():
        return 1

    @vigil.wrap(budget=vigil.Budget(max_steps=5))
    def budgeted():
        return 2

    support_agent()
    budgeted()
    assert _create_names(sdk) == [
        "test_decorated_function_sends_its_qualified_name.<locals>.support_agent",
        "test_decorated_function_sends_its_qualified_name.<locals>.budgeted",
    ]


def test_explicit_name_wins_in_every_form(sdk):
    @vigil.wrap(name="support-agent")
    def agent():
        return 1

    @vigil.wrap("triage")
    def other():
        return 2

    async def coroutine():
        return 3

    agent()
    other()
    asyncio.run(vigil.wrap(name="async-agent")(coroutine)())
    with vigil.wrap("nightly-report"):
        pass
    with vigil.wrap(name="keyword-block"):
        pass
    assert _create_names(sdk) == ["support-agent", "triage", "async-agent", "nightly-report",
                                  "keyword-block"]


def test_nameless_blocks_and_lambdas_send_no_name(sdk):
    with vigil.wrap():
        pass
    vigil.wrap(lambda: 1)()
    assert _create_names(sdk) == [None, None]


def test_names_are_cut_to_200_bytes_without_control_characters(sdk):
    with vigil.wrap("é" * 150):  # 300 bytes of UTF-8
        pass
    with vigil.wrap("line\nbreak\ttab"):
        pass
    long_name, clean = _create_names(sdk)
    assert long_name == "é" * 100
    assert len(long_name.encode("utf-8")) == 200
    assert clean == "linebreaktab"


def test_child_executions_send_their_own_names(sdk):
    @vigil.wrap(name="child")
    def child():
        return 1

    @vigil.wrap(name="parent")
    def parent():
        return child()

    parent()
    creates = sdk.creates() if vigil.flush(5) else []
    assert [c["name"] for c in creates] == ["parent", "child"]
    assert creates[1]["parent_execution_id"] == creates[0]["execution_id"]


def test_execution_keeps_the_old_positional_signature(sdk):
    from vigil._client import get_client

    run = vigil.Execution(get_client(), "label", None, None, None, False)
    assert run.name == "label"
    assert _create_names(sdk) == [None]
