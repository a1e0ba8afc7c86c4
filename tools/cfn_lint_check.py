"""cfn-lint over synthesized templates, with the one exception Elastic Inference needs.

CloudFormation's current schema has no AcceleratorType, so cfn-lint reports E3002 on it; and IAM's
list of services no longer has Elastic Inference, so cfn-lint reports W3037 on the
elastic-inference:Connect that AWS's "Set Up to Use EI" page requires of the execution role. Those
two findings, on exactly that property and that action, are expected while an environment runs in
EI mode; any other error fails. Successor-mode templates get no exception at all.

Usage: python -m tools.cfn_lint_check [CDK_OUT_DIR] [--no-ei-exception]
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.rules import Rules
from cfnlint.runner import run_template_by_data

from tools.assembly import read_stacks

# An environment-agnostic stack has no region; cfn-lint's own default is the same.
DEFAULT_REGION = "us-east-1"


def _is_ei_accelerator_finding(match: Any) -> bool:
    path = list(match.path)
    if match.rule.id == "W3037":
        # cfn-lint names the service only: "'elastic-inference' is not one of [...]"; the one
        # elastic-inference action this project writes is Connect.
        return "Action" in path and match.message.startswith("'elastic-inference' is not one of")
    return match.rule.id == "E3002" and path[-1:] == ["AcceleratorType"] and "ProductionVariants" in path


@functools.cache
def _rules() -> Rules:
    """cfn-lint's rules, loaded once per process, as its own CLI loads them once for many templates.

    ``cfnlint.api.lint`` loads every rule module again on each call: a third of a run's time.
    """
    rules = Rules()
    for directory in ConfigMixIn().append_rules:
        rules.update(Rules.create_from_directory(directory))
    return rules


def lint_matches(template: dict[str, Any], *, region: str) -> list[Any]:
    """cfn-lint's matches for ``template``: one run (about a second), to filter as often as needed."""
    # Decoded from text as cfn-lint's API does: its rules read line numbers from the decoded nodes.
    decoded, errors = decode_str(json.dumps(template))
    if errors:
        return list(errors)
    return list(run_template_by_data(decoded, ConfigMixIn(regions=[region]), _rules()))


def findings_of(matches: Sequence[Any], *, allow_ei_accelerator: bool) -> list[str]:
    """``matches`` as one line each, minus the EI exception when allowed."""
    return [
        f"{m.rule.id} {'/'.join(str(p) for p in m.path)}: {m.message}"
        for m in matches
        if not (allow_ei_accelerator and _is_ei_accelerator_finding(m))
    ]


def findings(template: dict[str, Any], *, region: str, allow_ei_accelerator: bool) -> list[str]:
    """Every cfn-lint error and warning of ``template``, minus the EI exception when allowed."""
    return findings_of(lint_matches(template, region=region), allow_ei_accelerator=allow_ei_accelerator)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    allow = "--no-ei-exception" not in args
    paths = [a for a in args if not a.startswith("--")]
    failed = 0
    for stack in read_stacks(Path(paths[0] if paths else "cdk.out")):
        problems = findings(stack.template, region=stack.region or DEFAULT_REGION, allow_ei_accelerator=allow)
        print(f"{stack.name}: {'ok' if not problems else f'{len(problems)} finding(s)'}")
        for problem in problems:
            print(f"  {problem}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
