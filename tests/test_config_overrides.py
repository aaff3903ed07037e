"""`--provider-arg key=value`: JSON values parsed, strings kept, dotted keys nest, merged over params."""

import pytest

from amux_tui.config import ConfigError, parse_config
from amux_tui.config.errors import UsageError
from amux_tui.config.overrides import deep_merge, parse_provider_args
from amux_tui.config.models import AmuxConfig
from amux_tui.providers.registry import ProviderRegistry


@pytest.mark.parametrize(("item", "expected"), [
    ("num_retries=3", {"num_retries": 3}),
    ("timeout=2.5", {"timeout": 2.5}),
    ("stream=true", {"stream": True}),
    ("seed=null", {"seed": None}),
    ('stop=["x","y"]', {"stop": ["x", "y"]}),
    ('metadata={"team": "ml"}', {"metadata": {"team": "ml"}}),
    ("aws_region_name=eu-west-1", {"aws_region_name": "eu-west-1"}),
    ("vertex_project=my-project-123", {"vertex_project": "my-project-123"}),
    ("empty=", {"empty": ""}),
    ("expr=a=b", {"expr": "a=b"}),
    ('quoted="42"', {"quoted": "42"}),
    ("extra_headers.X-Team=ml", {"extra_headers": {"X-Team": "ml"}}),
    ("a.b.c=1", {"a": {"b": {"c": 1}}}),
])
def test_values(item, expected):
    assert parse_provider_args([item]) == expected


def test_dotted_keys_merge_with_each_other_and_header_values_stay_text():
    assert parse_provider_args(["extra_headers.A=1", "extra_headers.B=two", "rpm=10", "metadata.n=1"]) == {
        "extra_headers": {"A": "1", "B": "two"}, "rpm": 10, "metadata": {"n": 1}}


def test_later_values_win():
    assert parse_provider_args(["rpm=1", "rpm=2"]) == {"rpm": 2}


@pytest.mark.parametrize("item", ["novalue", "=3", "a..b=1", ".a=1", "a.=1"])
def test_malformed_items_are_usage_errors_not_config_file_errors(item):
    with pytest.raises(UsageError) as caught:
        parse_provider_args([item])
    assert "KEY=VALUE" in str(caught.value) and repr(item) in str(caught.value)
    assert not isinstance(caught.value, ConfigError)


def test_a_value_cannot_also_be_a_parent():
    with pytest.raises(UsageError, match="already set"):
        parse_provider_args(["a=1", "a.b=2"])


@pytest.mark.parametrize(("item", "expected"), [
    ("extra_headers=notanobject", "extra_headers must be an object of header names to string values"),
    ("num_retries=two", "num_retries must be an integer"),
    ("timeout=soon", "timeout must be a number"),
    ("drop_params=1", "drop_params must be true or false"),
])
def test_known_parameters_must_have_their_type(item, expected):
    with pytest.raises(UsageError, match=expected):
        parse_provider_args([item])


def test_known_text_parameters_stay_text():
    assert parse_provider_args(["api_version=2024", "aws_region_name=1"]) == {"api_version": "2024",
                                                                             "aws_region_name": "1"}


def test_known_parameter_types_are_checked_in_the_file_too():
    with pytest.raises(ConfigError) as caught:
        parse_config('{"providers": {"gw": {"type": "litellm", "params": {"extra_headers": "x", "rpm": 5}}}}')
    problem = caught.value.problems[0]
    assert problem.json_path == "providers.gw.params" and "extra_headers must be an object" in problem.message


def test_deep_merge_over_params_leaves_inputs_alone():
    base = {"extra_headers": {"X-A": "1"}, "rpm": 5}
    over = {"extra_headers": {"X-B": "2"}, "rpm": 9}
    assert deep_merge(base, over) == {"extra_headers": {"X-A": "1", "X-B": "2"}, "rpm": 9}
    assert base == {"extra_headers": {"X-A": "1"}, "rpm": 5}


def test_select_merges_provider_args_over_configured_params():
    config = AmuxConfig.model_validate({"providers": {"bedrock": {
        "type": "bedrock", "default_model": "anthropic.claude-sonnet-4",
        "params": {"aws_region_name": "us-east-1", "extra_headers": {"X-A": "1"}}}}})
    registry = ProviderRegistry.from_config(config, {})
    extra = parse_provider_args(["aws_region_name=eu-west-1", "extra_headers.X-B=2", "num_retries=4"])
    provider, model = registry.select("bedrock", None, params=extra, env={})
    assert model == "anthropic.claude-sonnet-4"
    assert provider.params == {"aws_region_name": "eu-west-1", "extra_headers": {"X-A": "1", "X-B": "2"},
                               "num_retries": 4}
    assert registry.get("bedrock").params["aws_region_name"] == "us-east-1"


def test_a_header_that_is_not_text_is_named_rather_than_calling_the_object_not_an_object():
    with pytest.raises(ConfigError) as caught:
        parse_config('{"providers": {"gw": {"type": "litellm", "params": {"extra_headers": {"X-Team-Id": 42}}}}}')
    message = caught.value.problems[0].message
    assert "extra_headers.X-Team-Id must be a string, not 42" in message and "not a JSON object" not in message
    with pytest.raises(UsageError, match="extra_headers.a must be a string, not 1"):
        parse_provider_args(['extra_headers={"a": 1}'])
