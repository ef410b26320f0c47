import time

import pytest

import vigil
from vigil import Budget, VigilHalt


def halted_end(server, execution_id):
    vigil.flush(5)
    return server.patch_for(execution_id)


def test_max_steps_allows_that_many_llm_calls_and_halts_on_the_next(sdk):
    calls = []

    @vigil.wrap(budget=Budget(max_steps=3))
    def agent():
        for i in range(10):
            calls.append(i)
            vigil.emit_llm_call("gpt-4o", user_message="step %d" % i, input_tokens=1, output_tokens=1)

    with pytest.raises(VigilHalt) as caught:
        agent()
    assert caught.value.trigger == "step_count"
    assert len(calls) == 4  # the fourth call is recorded, then the halt stops the loop
    end = halted_end(sdk, caught.value.execution_id)
    assert end["status"] == "halted"
    assert end["crash_signature"] == "halt:step_count"
    assert len(sdk.events(caught.value.execution_id)) == 4


def test_wall_clock_budget_halts_at_the_next_call_point(sdk):
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("slow", budget=Budget(max_wall_clock_seconds=0.25)):
            vigil.checkpoint("early")  # within budget
            time.sleep(0.3)
            vigil.checkpoint("late")  # raises here
            pytest.fail("not reached")
    assert caught.value.trigger == "wall_clock"
    end = halted_end(sdk, caught.value.execution_id)
    assert end["status"] == "halted"
    assert end["crash_signature"] == "halt:wall_clock"


@pytest.mark.parametrize("budget, tokens", [
    (Budget(max_tokens_in=100), dict(input_tokens=60, output_tokens=1)),
    (Budget(max_tokens_out=100), dict(input_tokens=1, output_tokens=60)),
])
def test_token_budget_halts_when_the_total_goes_over(sdk, budget, tokens):
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("tokens", budget=budget):
            vigil.emit_llm_call("gpt-4o", **tokens)  # 60: fine
            vigil.emit_llm_call("gpt-4o", **tokens)  # 120: over
            pytest.fail("not reached")
    assert caught.value.trigger == "token_total"
    assert halted_end(sdk, caught.value.execution_id)["crash_signature"] == "halt:token_total"


def test_cost_budget_uses_the_price_table(sdk):
    # claude-opus-4-6: 1200 in + 800 out = $0.078 (docs/protocol.md#test-vectors)
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("cost", budget=Budget(max_cost_usd=0.10)) as run:
            vigil.emit_llm_call("claude-opus-4-6", input_tokens=1200, output_tokens=800)
            assert run.cost_usd == pytest.approx(0.078)
            vigil.emit_llm_call("claude-opus-4-6", input_tokens=1200, output_tokens=800)
            pytest.fail("not reached")
    assert caught.value.trigger == "cost"
    end = halted_end(sdk, caught.value.execution_id)
    assert end["crash_signature"] == "halt:cost"
    assert end["estimated_cost_usd"] == pytest.approx(0.156)


def test_explicit_cost_overrides_the_price_table(sdk):
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("priced", budget=Budget(max_cost_usd=1.0)):
            vigil.emit_llm_call("my-local-model", input_tokens=10, output_tokens=10, cost_usd=1.5)
    assert caught.value.trigger == "cost"


def test_budget_is_sent_as_the_execution_budget(sdk):
    with vigil.wrap("b1", budget=Budget(max_wall_clock_seconds=2.5, max_steps=7, max_cost_usd=0.25,
                                        max_tokens_in=9, max_tokens_out=9)):
        pass
    with vigil.wrap("b2", budget=Budget(max_steps=3, auto_halt=True)):
        pass
    vigil.flush(5)
    first, second = sdk.creates()
    assert first["budget"] == {"max_duration_ms": 2500, "max_llm_calls": 7, "max_cost_usd": 0.25}
    assert second["budget"] == {"max_llm_calls": 3, "auto_halt": True}


def test_halt_is_sticky_when_the_agent_swallows_it(sdk):
    raised = 0
    with vigil.wrap("stubborn", budget=Budget(max_steps=1)) as run:
        for _ in range(5):
            try:
                vigil.emit_llm_call("gpt-4o")
            except Exception:  # a generic handler catches the halt...
                raised += 1
    assert raised == 4  # ...but every later call point raises again
    assert run.status == "halted"
    assert halted_end(sdk, run.execution_id)["crash_signature"] == "halt:step_count"


def test_a_tool_is_not_run_once_the_execution_is_halted(sdk):
    ran = []

    @vigil.tool
    def send_email(to):
        ran.append(to)

    with pytest.raises(VigilHalt):
        with vigil.wrap("mailer", budget=Budget(max_steps=0)):
            try:
                vigil.emit_llm_call("gpt-4o")
            except VigilHalt:
                pass
            send_email("ceo@example.com")
    assert ran == []


def test_a_child_execution_stops_when_its_parent_budget_is_exhausted(sdk):
    @vigil.wrap
    def child():
        vigil.checkpoint("child work")

    @vigil.wrap(budget=Budget(max_wall_clock_seconds=0.01))
    def parent():
        time.sleep(0.03)
        child()

    with pytest.raises(VigilHalt) as caught:
        parent()
    assert caught.value.trigger == "wall_clock"
    vigil.flush(5)
    assert [p.json["status"] for p in sdk.patches()] == ["halted", "halted"]


def test_budget_rejects_negative_and_fractional_limits():
    with pytest.raises(ValueError):
        Budget(max_steps=-1)
    with pytest.raises(ValueError):
        Budget(max_steps=1.5)
    with pytest.raises(ValueError):
        Budget(max_cost_usd=float("inf"))
    with pytest.raises(TypeError):
        Budget(max_tokens_in="10")
    with pytest.raises(TypeError):
        vigil.wrap(budget={"max_steps": 3})


def test_budget_is_enforced_even_when_shipping_is_disabled():
    vigil.configure(enabled=False)
    with pytest.raises(VigilHalt):
        with vigil.wrap("offline", budget=Budget(max_steps=0)):
            vigil.emit_llm_call("gpt-4o")


def test_a_parent_budget_counts_the_llm_calls_of_nested_executions(sdk):
    @vigil.wrap
    def sub_agent():
        vigil.emit_llm_call("gpt-4o", input_tokens=1, output_tokens=1)
        vigil.emit_llm_call("gpt-4o", input_tokens=1, output_tokens=1)

    @vigil.wrap(budget=Budget(max_steps=3))
    def orchestrator():
        sub_agent()  # 2 calls
        sub_agent()  # the 4th call in the tree exceeds the parent's budget

    with pytest.raises(VigilHalt) as caught:
        orchestrator()
    assert caught.value.trigger == "step_count"
    vigil.flush(5)
    ends = {p.json["status"] for p in sdk.patches()}
    assert ends == {"completed", "halted"}  # first sub-agent completed; second and parent halted
    parent = [c for c in sdk.creates() if "budget" in c][0]
    assert sdk.patch_for(parent["execution_id"])["total_tokens_in"] == 0  # own totals only


def test_an_unrelated_crash_after_a_swallowed_halt_is_a_crash(sdk):
    with pytest.raises(KeyError):
        with vigil.wrap("messy", budget=Budget(max_steps=0)) as run:
            try:
                vigil.emit_llm_call("gpt-4o")
            except VigilHalt:
                pass
            {}["missing"]
    vigil.flush(5)
    end = sdk.patch_for(run.execution_id)
    assert end["status"] == "crashed"
    assert len(end["crash_signature"]) == 16
