from parity import load_expected, run_scenario


def test_parity_scenario_produces_the_expected_wire_requests(server):
    assert run_scenario(server) == load_expected()
