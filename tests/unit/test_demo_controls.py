"""The demo controls' validation and the banner's wording (pure functions, no I/O)."""
import pytest

from backend.config import Config
from backend.read.system import banner_of
from backend.web.http import ApiError
from backend.web.system_api import parse_demo_changes

OFF = {"worker_delay_ms": 0, "workers_paused": False, "projection_paused": False, "crowd": False,
       "until": None, "set_by": None}


def test_valid_changes_pass_through():
    assert parse_demo_changes({"worker_delay_ms": 0}) == {"worker_delay_ms": 0}
    assert parse_demo_changes({"worker_delay_ms": 5000, "crowd": True, "workers_paused": False,
                               "projection_paused": True}) == {
        "worker_delay_ms": 5000, "crowd": True, "workers_paused": False, "projection_paused": True}


@pytest.mark.parametrize("body,code", [
    ({"worker_delay_ms": 5001}, "out_of_range"), ({"worker_delay_ms": -1}, "out_of_range"),
    ({"worker_delay_ms": False}, "out_of_range"), ({"worker_delay_ms": 10.0}, "out_of_range"),
    ({"crowd": "true"}, "invalid_field"), ({"until": 1}, "unknown_field"), ({}, "invalid_body"),
    (None, "invalid_body"), ([{"crowd": True}], "invalid_body")])
def test_invalid_changes_name_the_problem(body, code):
    with pytest.raises(ApiError) as err:
        parse_demo_changes(body)
    assert err.value.status == 400 and err.value.code == code


def test_banner_only_while_something_differs_from_the_instance_defaults():
    quiet, crowded = Config(demo=True), Config(demo=True, crowd=True)
    assert banner_of(None, quiet) is None
    assert banner_of(OFF, quiet) is None
    assert banner_of(OFF | {"crowd": True}, crowded) is None  # the crowd is this instance's default
    banner = banner_of(OFF | {"worker_delay_ms": 1500, "projection_paused": True, "set_by": "ann",
                              "until": 10.0}, quiet)
    assert banner == {"set_by": "ann", "until": 10.0,
                      "what": ["worker delay 1500 ms", "projection paused"]}
    assert banner_of(OFF | {"crowd": False, "set_by": "bob"}, crowded)["what"] == ["crowd off"]
