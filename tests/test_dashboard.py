"""The dashboard of every environment: each endpoint's variants graphed with every metric, the rollback
alarms' state, a layout inside CloudWatch's grid, the off switch, and the picture in docs/."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions

from sagemaker_ei_endpoint import EIEndpoint, EIEndpointPropsError, EndpointDashboard
from sagemaker_ei_endpoint.metrics import ENDPOINT_METRICS
from stacks.app_builder import build_app
from stacks.environments import ENVIRONMENTS
from tests.conftest import EndpointFactory, cdk_json_context, new_stack, variant

ROOT = Path(__file__).resolve().parent.parent
RENDERER = ROOT / "scripts" / "render_dashboard.py"
DASHBOARD = "AWS::CloudWatch::Dashboard"


@pytest.fixture(scope="module")
def renderer() -> ModuleType:
    sys.path.insert(0, str(RENDERER.parent))  # the script imports its sibling generated_file
    try:
        spec = importlib.util.spec_from_file_location("render_dashboard", RENDERER)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(RENDERER.parent))
    return module


def widgets(renderer: ModuleType, template: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = renderer.dashboard_body(template)["widgets"]
    return found


def graphed(found: list[dict[str, Any]]) -> set[tuple[str, str, str, str]]:
    """(namespace, metric, EndpointName, VariantName) of every line of every graph."""
    lines = set()
    for widget in found:
        for metric in widget["properties"].get("metrics", []):
            namespace, name, *dims = [m for m in metric if isinstance(m, str)]
            dimensions = dict(zip(dims[::2], dims[1::2], strict=True))
            lines.add((namespace, name, dimensions["EndpointName"], dimensions["VariantName"]))
    return lines


def endpoint_dimension(template: Mapping[str, Any], construct_id: str) -> str:
    """What the dashboard graphs as the endpoint's EndpointName: its fixed name, or its GetAtt."""
    ((logical_id, endpoint),) = [
        (k, r)
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::SageMaker::Endpoint" and k.startswith(construct_id)
    ]
    return str(endpoint["Properties"].get("EndpointName", f"${{{logical_id}.EndpointName}}"))


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_every_environment_graphs_every_metric_of_every_variant(
    environment_templates: dict[str, assertions.Template], renderer: ModuleType, env: str
) -> None:
    template = environment_templates[env].to_json()
    assert len(environment_templates[env].find_resources(DASHBOARD)) == 1
    expected = {
        (metric.namespace, metric.name, endpoint_dimension(template, settings.construct_id), v.variant_name)
        for settings in ENVIRONMENTS[env].endpoints
        for v in settings.variants
        for metric in ENDPOINT_METRICS
    }
    found = widgets(renderer, template)
    assert graphed(found) == expected
    headings = [w["properties"]["markdown"].split("\n")[0] for w in found if w["type"] == "text"]
    assert headings == [f"### {settings.construct_id}" for settings in ENVIRONMENTS[env].endpoints]


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_the_dashboard_shows_the_state_of_exactly_the_rollback_alarms(
    environment_templates: dict[str, assertions.Template], renderer: ModuleType, env: str
) -> None:
    template = environment_templates[env]
    alarms = {f"${{{logical_id}.Arn}}" for logical_id in template.find_resources("AWS::CloudWatch::Alarm")}
    shown = [set(w["properties"]["alarms"]) for w in widgets(renderer, template.to_json()) if w["type"] == "alarm"]
    guarded = [e for e in ENVIRONMENTS[env].endpoints if e.deployment is not None]
    assert len(shown) == len(guarded)
    assert set().union(*shown) == alarms
    assert bool(alarms) == bool(guarded)


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_widgets_fit_cloudwatchs_grid_without_overlapping(
    environment_templates: dict[str, assertions.Template], renderer: ModuleType, env: str
) -> None:
    cells: set[tuple[int, int]] = set()
    for widget in widgets(renderer, environment_templates[env].to_json()):
        assert widget["x"] + widget["width"] <= 24
        mine = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not cells & mine, widget
        cells |= mine


@pytest.mark.parametrize("env", list(ENVIRONMENTS))
def test_the_dashboard_name_is_left_to_cloudformation(
    environment_templates: dict[str, assertions.Template], env: str
) -> None:
    (dashboard,) = environment_templates[env].find_resources(DASHBOARD).values()
    assert "DashboardName" not in dashboard["Properties"]


@pytest.mark.parametrize(("context", "dashboards"), [({"dashboard": "false"}, 0), ({"dashboard": "true"}, 1), ({}, 1)])
def test_the_context_turns_every_environments_dashboard_off_or_on(context: dict[str, str], dashboards: int) -> None:
    app = cdk.App(context=cdk_json_context() | {"env": "dev"} | context, builtin_cloud_formation_validation=False)
    stack = build_app(app, process_env={})["dev"]
    assert len(assertions.Template.from_stack(stack).find_resources(DASHBOARD)) == dashboards
    assert (stack.dashboard is None) == (dashboards == 0)


def test_an_environment_can_turn_its_dashboard_off() -> None:
    import dataclasses

    environments = {"dev": dataclasses.replace(ENVIRONMENTS["dev"], dashboard=False)}
    app = cdk.App(context=cdk_json_context(), builtin_cloud_formation_validation=False)
    stack = build_app(app, process_env={}, environments=environments)["dev"]
    assert assertions.Template.from_stack(stack).find_resources(DASHBOARD) == {}


def test_a_dashboard_context_value_that_is_not_a_boolean_is_refused() -> None:
    app = cdk.App(context=cdk_json_context() | {"dashboard": "maybe"})
    with pytest.raises(ValueError, match=r"^dashboard: expected true or false, got 'maybe'$"):
        build_app(app, process_env={})


def test_the_construct_graphs_an_import_given_its_variants(
    make_endpoint: EndpointFactory, renderer: ModuleType
) -> None:
    stack, endpoint = make_endpoint(variants=[variant("Blue"), variant("Green")], endpoint_name="local")
    imported = EIEndpoint.from_endpoint_name(stack, "Remote", "remote-scoring", variant_names=["AllTraffic"])
    EndpointDashboard(stack, "Board", endpoints=[endpoint, imported], period=cdk.Duration.minutes(1))
    template = assertions.Template.from_stack(stack).to_json()
    lines = graphed(widgets(renderer, template))
    assert {(e, v) for _, _, e, v in lines} == {("local", "Blue"), ("local", "Green"), ("remote-scoring", "AllTraffic")}
    options = [m[-1] for w in widgets(renderer, template) for m in w["properties"].get("metrics", [])]
    assert {o.get("period") for o in options} == {60}


def test_the_construct_refuses_an_import_without_variants_and_an_empty_list() -> None:
    stack = new_stack()
    imported = EIEndpoint.from_endpoint_name(stack, "Remote", "remote-scoring")
    with pytest.raises(EIEndpointPropsError, match=r"endpoints\[0\]: imported without variant_names"):
        EndpointDashboard(stack, "Board", endpoints=[imported])
    with pytest.raises(EIEndpointPropsError, match=r"endpoints: expected at least one endpoint, got none"):
        EndpointDashboard(stack, "Empty", endpoints=[])
    assert stack.node.try_find_child("Board") is None


def test_the_committed_picture_is_drawn_from_the_current_prod_dashboard(
    environment_templates: dict[str, assertions.Template], tmp_path: Path
) -> None:
    import json

    current = tmp_path / "prod.template.json"
    current.write_text(json.dumps(environment_templates["prod"].to_json()))
    picture = ROOT / "docs" / "dashboard-prod.svg"
    check = [sys.executable, str(RENDERER), "--check", "--template", str(current), "--out"]
    assert subprocess.run([*check, str(picture)], capture_output=True, check=False).returncode == 0
    stale = tmp_path / "stale.svg"
    stale.write_text(picture.read_text().replace("Latency", "Latenzy"))
    assert subprocess.run([*check, str(stale)], capture_output=True, check=False).returncode == 1
