"""`make review`: a structured diff labels each change with its endpoint, shows the EndpointConfig replaced
and the Endpoint updated in place, and the diagram marks both."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from sagemaker_ei_endpoint import AcceleratorType
from stacks.app_builder import build_app
from stacks.environments import PROD
from tests.conftest import cdk_json_context
from tools.assembly import read_stacks
from tools.diagram import columns, mermaid, resource_graph, svg
from tools.review import ROOT, changes_between, diagram_of, report, review, structured_diff

pytestmark = pytest.mark.cli

# The tests' own data: the committed snapshot templates (the tool never reads them).
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_snapshots"
CONFIG, ENDPOINT = "ImageClassifierEndpointConfigBECBF992", "ImageClassifierC17D310E"


def snapshot(env: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (SNAPSHOTS / f"test_environment_template_matches_snapshot[{env}].json").read_text()
    )
    return data


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
    changes, diff_text = changes_between(snapshot("prod"), stack.template)
    return report("prod", stack, changes, diff_text, "stored templates", snapshot("prod"))


def change_rows(markdown: str) -> dict[str, list[str]]:
    section = markdown.split("## Changes against the baseline")[1].split("<details>")[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines() if line.startswith("| ")]
    assert rows[0] == ["endpoint", "change", "type", "logical id", "properties", "forces replacement", "note"]
    return {row[2]: row for row in rows[1:]}


def test_endpoint_config_is_shown_replaced_with_the_property_that_forces_it(prod_with_another_accelerator: str) -> None:
    rows = change_rows(prod_with_another_accelerator)
    endpoint, kind, _, _, changed, forcing, _ = rows["AWS::SageMaker::EndpointConfig"]
    assert (endpoint, kind, changed, forcing) == (
        "ImageClassifier",
        "replaced",
        "ProductionVariants",
        "ProductionVariants",
    )


def test_endpoint_is_shown_modified_in_place(prod_with_another_accelerator: str) -> None:
    rows = change_rows(prod_with_another_accelerator)
    endpoint, kind, _, _, _, forcing, note = rows["AWS::SageMaker::Endpoint"]
    assert (endpoint, kind, forcing) == ("ImageClassifier", "modified", "-")
    assert note.startswith("EndpointConfigName follows the replaced ImageClassifierEndpointConfig")
    assert note.endswith("updated in place")
    assert set(rows) == {"AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"}


def test_report_tables_show_the_new_accelerator(prod_with_another_accelerator: str) -> None:
    assert (
        "| ImageClassifier | Primary | ml.c5.xlarge | 3 | 0.9 | ml.eia2.xlarge | 2-10, 300 invocations/instance |"
        in (prod_with_another_accelerator)
    )
    assert "| ImageClassifier | deployment guardrails | blue/green CANARY 10 %, wait 600 s, 4 rollback alarms |" in (
        prod_with_another_accelerator
    )


def test_report_keeps_what_aws_does_on_update_and_the_rendered_diff(prod_with_another_accelerator: str) -> None:
    assert "## What AWS does on update" in prod_with_another_accelerator
    assert "Elastic Inference endpoints are excluded from deployment guardrails" in prod_with_another_accelerator
    rendered = prod_with_another_accelerator.split("<details>")[1]
    assert f"[~] AWS::SageMaker::EndpointConfig {CONFIG} replace" in rendered


def test_diagram_marks_the_replaced_config_and_the_endpoint_updated_in_place(
    prod_with_another_accelerator: str,
) -> None:
    diagram = prod_with_another_accelerator.split("```mermaid\n")[1].split("```")[0]
    assert f"  class {CONFIG} replaced" in diagram
    assert f"  class {ENDPOINT} modified" in diagram
    assert f'{CONFIG}["EndpointConfig<br/>{CONFIG}<br/><b>replaced</b>"]' in diagram
    assert 'ImageClassifierModelABD1245B["Model<br/>ImageClassifierModelABD1245B"]' in diagram  # unchanged


def test_every_change_row_names_its_endpoint_and_stack_level_resources_say_so() -> None:
    before = snapshot("prod")
    after = copy.deepcopy(before)
    after["Resources"]["ImageClassifierCanaryErrorsAlarm19144C60"]["Properties"]["Threshold"] = 9
    after["Resources"]["AlarmTopicD01E77F9"]["Properties"] = {"DisplayName": "changed"}
    del after["Resources"]["AlarmTopicPolicy309DB5F8"]
    changes, _ = changes_between(before, after)
    labels = {c.logical_id: (c.endpoint, c.kind) for c in changes}
    assert labels["ImageClassifierCanaryErrorsAlarm19144C60"] == ("ImageClassifier", "modified")
    assert labels["AlarmTopicPolicy309DB5F8"] == ("", "removed")
    assert labels["AlarmTopicD01E77F9"][0] == ""


def test_structured_diff_reports_additions_and_replacements_propagated_through_references() -> None:
    before = snapshot("dev")
    after = copy.deepcopy(before)
    after["Resources"]["Extra"] = {"Type": "AWS::SNS::Topic"}
    model = next(k for k, r in after["Resources"].items() if r["Type"] == "AWS::SageMaker::Model")
    after["Resources"][model]["Properties"]["EnableNetworkIsolation"] = True
    changes, _ = structured_diff(before, after)
    found = {c.logical_id: (c.kind, c.replacing_properties) for c in changes}
    assert found == {
        "Extra": ("added", []),
        model: ("replaced", ["EnableNetworkIsolation"]),
        CONFIG: ("replaced", ["ProductionVariants"]),  # its ModelName is create-only and follows the new model
    }


def test_diagram_is_drawn_from_the_template_references() -> None:
    template = snapshot("dev")
    diagram = mermaid(resource_graph(template, {}))
    model = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::Model")
    config = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::EndpointConfig")
    endpoint = next(k for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::Endpoint")
    assert diagram.startswith("graph LR")
    assert f"{model} --> {config}" in diagram
    assert f"{config} --> {endpoint}" in diagram
    assert "classDef" not in diagram  # nothing changed, nothing marked


def test_review_against_stored_templates_writes_one_report_per_environment(tmp_path: Path) -> None:
    stored = tmp_path / "stored"
    stored.mkdir()
    for env in ("dev", "staging", "prod"):
        (stored / f"SageMakerEI-{env}.template.json").write_text(json.dumps(snapshot(env)))
    paths = review(baseline_dir=stored, out=tmp_path / "out", context={})
    assert sorted(p.name for p in paths) == ["dev.md", "prod.md", "staging.md"]
    for path in paths:
        text = path.read_text()
        assert "```mermaid" in text
        assert f"]({path.stem}.svg)" in text
        assert path.with_suffix(".svg").read_text().startswith("<svg")
        assert f"Baseline: stored templates in {stored}." in text
        assert "No changes." in text  # the stored templates are what the tree synthesizes
    dev = (tmp_path / "out" / "dev.md").read_text()
    # dev has two endpoints, each with a variant called AllTraffic: every row says whose it is.
    assert "| ImageClassifier | AllTraffic | ml.m5.large |" in dev
    assert "| ObjectDetector | AllTraffic | ml.m5.large |" in dev
    # In EI mode isolation is off, as AWS documents EI (docs/aws-contract.md, rule 3).
    assert "| ObjectDetector | network isolation | off |" in dev
    # dev: 2 endpoints x (4 graphs + 1 utilization graph); prod: 4 graphs + 2 utilization graphs, 1 alarm widget.
    assert "| (stack) | dashboard | 10 graphs, 0 alarm status widget(s)" in dev
    assert "| (stack) | dashboard | 6 graphs, 1 alarm status widget(s)" in (tmp_path / "out" / "prod.md").read_text()


def test_review_against_a_git_ref_synthesizes_that_ref_as_committed(tmp_path: Path) -> None:
    # MODE=successor is the change under review: HEAD's staging (EI mode, autoscaled) is the baseline,
    # so moving it to successor mode is the instance-type change SageMaker refuses (aws-contract rule 5a).
    (path,) = review(base="HEAD", out=tmp_path, context={"env": "staging", "accelerator_mode": "successor"})
    text = path.read_text()
    assert "Baseline: git ref HEAD as committed." in text
    assert "**fails on AWS**" in text
    assert "changes instance type ml.c5.xlarge -> ml.g4dn.xlarge" in text
    # The validation reports whose paths the two synths print are still there to read.
    for side in ("current", "base"):
        assert (tmp_path / "assemblies" / f"{side}.out" / "validation-report.json").is_file()


def test_the_clis_path_metadata_and_cdk_metadata_are_no_change() -> None:
    template = snapshot("staging")
    from_the_cli = copy.deepcopy(template)
    for logical_id, resource in from_the_cli["Resources"].items():
        resource.setdefault("Metadata", {})["aws:cdk:path"] = f"SageMakerEI-staging/{logical_id}/Resource"
    from_the_cli["Resources"]["CDKMetadata"] = {
        "Type": "AWS::CDK::Metadata",
        "Properties": {"Analytics": "v2:deflate64:H4sIAAAAAAAA"},
        "Condition": "CDKMetadataAvailable",
    }
    from_the_cli["Conditions"] = {"CDKMetadataAvailable": {"Fn::Equals": ["a", "a"]}}
    assert changes_between(from_the_cli, template)[0] == []
    assert changes_between(template, from_the_cli)[0] == []
    # Anything else in Metadata is still a change.
    next(iter(from_the_cli["Resources"].values()))["Metadata"]["cfn_nag"] = {"rules_to_suppress": []}
    assert changes_between(from_the_cli, template)[0] != []


def test_review_never_reads_the_test_suite_or_imports_the_app() -> None:
    source = (ROOT / "tools" / "review.py").read_text() + (ROOT / "tools" / "synth_summary.py").read_text()
    assert "__snapshots__" not in source
    assert "tests" not in {line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith("from ")}
    probe = (
        "import sys, tools.review, tools.synth_summary; print(sorted({'aws_cdk', 'jsii', 'stacks'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_svg_diagram_marks_changes_and_every_arrow_points_right() -> None:
    before = snapshot("prod")
    after = json.loads(json.dumps(before))
    model = next(k for k, r in after["Resources"].items() if r["Type"] == "AWS::SageMaker::Model")
    after["Resources"][model]["Properties"]["EnableNetworkIsolation"] = True
    changes, _ = structured_diff(before, after)
    graph = diagram_of(after, changes)
    marked = {n.logical_id: n.change for n in graph.nodes if n.change}
    assert marked[model] == "replaced"
    assert marked[_config_of(after)] == "replaced"
    column = {i: c for c, members in enumerate(columns(graph)) for i in members}
    assert all(column[target] < column[source] for target, source in graph.edges)
    picture = svg(graph, "SageMakerEI-prod")
    assert picture == svg(diagram_of(after, changes), "SageMakerEI-prod")  # same input, same bytes
    assert picture.count("<rect x=") == len(graph.nodes) + 5  # a box per resource, 5 legend swatches
    assert picture.count('fill="#f8d7da"') == 2 + 2  # the replaced model and config; two legend swatches
    assert picture.count("marker-end=") == len(graph.edges)
    assert "<title>" + model + "</title>" in picture


def _config_of(template: dict[str, Any]) -> str:
    return next(str(k) for k, r in template["Resources"].items() if r["Type"] == "AWS::SageMaker::EndpointConfig")


def test_a_stack_without_a_dashboard_says_none() -> None:
    from tools.review import dashboard_summary

    template = snapshot("dev")
    without = {k: r for k, r in template["Resources"].items() if r["Type"] != "AWS::CloudWatch::Dashboard"}
    assert dashboard_summary({"Resources": without}) == "none"
    assert dashboard_summary(template).startswith("10 graphs")
