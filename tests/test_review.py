"""`make review`: the report for a known change shows the EndpointConfig replaced, the Endpoint updated in place."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from sagemaker_ei_endpoint import AcceleratorType
from stacks.app_builder import build_app
from stacks.environments import PROD
from tests.conftest import cdk_json_context
from tools.assembly import read_stacks
from tools.review import SNAPSHOTS, cdk_diff, mermaid, parse_diff, report, review, with_dependents

pytestmark = pytest.mark.cli


@pytest.fixture(scope="module")
def prod_with_another_accelerator(tmp_path_factory: pytest.TempPathFactory) -> str:
    (endpoint,) = PROD.endpoints
    primary, canary = endpoint.variants
    changed = dataclasses.replace(
        PROD,
        endpoints=(
            dataclasses.replace(
                endpoint, variants=(dataclasses.replace(primary, accelerator_type=AcceleratorType.EIA2_XLARGE), canary)
            ),
        ),
    )
    outdir = tmp_path_factory.mktemp("changed")
    app = cdk.App(context=cdk_json_context(), outdir=str(outdir), builtin_cloud_formation_validation=False)
    build_app(app, {}, environments={"prod": changed})
    app.synth()
    (stack,) = read_stacks(outdir)
    baseline = SNAPSHOTS / "test_environment_template_matches_snapshot[prod].json"
    diff_text = cdk_diff(stack.name, baseline, outdir)
    changes = with_dependents(parse_diff(diff_text), stack.template)
    return report("prod", stack, changes, diff_text, "committed snapshots")


def change_rows(markdown: str) -> dict[str, list[str]]:
    section = markdown.split("## Changes against the baseline")[1].split("<details>")[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines() if line.startswith("| ")]
    return {row[1]: row for row in rows[1:]}


def test_endpoint_config_is_shown_replaced_with_the_property_that_forces_it(prod_with_another_accelerator: str) -> None:
    rows = change_rows(prod_with_another_accelerator)
    kind, _, _, forcing, _ = rows["AWS::SageMaker::EndpointConfig"]
    assert (kind, forcing) == ("replaced", "ProductionVariants")


def test_endpoint_is_shown_modified_in_place(prod_with_another_accelerator: str) -> None:
    rows = change_rows(prod_with_another_accelerator)
    kind, _, _, forcing, note = rows["AWS::SageMaker::Endpoint"]
    assert (kind, forcing) == ("modified", "-")
    assert note.startswith("EndpointConfigName follows the replaced ImageClassifierEndpointConfig")
    assert note.endswith("updated in place")
    assert set(rows) == {"AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"}


def test_report_tables_show_the_new_accelerator(prod_with_another_accelerator: str) -> None:
    row = "| ImageClassifier | Primary | ml.c5.xlarge | 3 | 0.9 | ml.eia2.xlarge | 2-10, 300 invocations/instance |"
    assert row in prod_with_another_accelerator
    assert "| ImageClassifier | deployment guardrails | blue/green CANARY 10 %, wait 600 s, 4 rollback alarms |" in (
        prod_with_another_accelerator
    )


def test_diagram_is_drawn_from_the_template_references() -> None:
    template = json.loads((SNAPSHOTS / "test_environment_template_matches_snapshot[dev].json").read_text())
    diagram = mermaid(template)
    model = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::Model")
    config = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::EndpointConfig")
    endpoint = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::Endpoint")
    assert diagram.startswith("graph LR")
    assert f"{model} --> {config}" in diagram
    assert f"{config} --> {endpoint}" in diagram


def test_make_review_writes_one_report_per_environment(tmp_path: Path) -> None:
    paths = review(base=None, out=tmp_path, context={})
    assert sorted(p.name for p in paths) == ["dev.md", "prod.md", "staging.md"]
    for path in paths:
        text = path.read_text()
        assert "```mermaid" in text
        assert "No changes." in text  # the committed snapshots are the baseline
    dev = (tmp_path / "dev.md").read_text()
    # dev has two endpoints, each with a variant called AllTraffic: every row says whose it is.
    assert "| ImageClassifier | AllTraffic | ml.m5.large |" in dev
    assert "| ObjectDetector | AllTraffic | ml.m5.large |" in dev
    # In EI mode isolation is off, as AWS documents EI (docs/aws-contract.md, rule 3).
    assert "| ObjectDetector | network isolation | off |" in dev
