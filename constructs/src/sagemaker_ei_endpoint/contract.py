"""Rules AWS documents for running SageMaker endpoints that the schema and the emulator do not check.

Each rule names its AWS source; docs/aws-contract.md lists them all with the tests that prove them.
"""

from __future__ import annotations

from collections.abc import Sequence

from .guardrails import DeploymentGuardrails
from .images import ContainerImage
from .variants import ProductionVariant

WARNING_NETWORK_ISOLATION = "sagemaker-ei-endpoint:networkIsolationUnsupported"
WARNING_GUARDRAILS_IGNORED = "sagemaker-ei-endpoint:guardrailsNotApplied"
WARNING_EI_ZONES_UNKNOWN = "sagemaker-ei-endpoint:elasticInferenceZonesUnknown"
EI_ZONES_UNKNOWN = (
    "vpc.vpc_subnets: their Availability Zones are not known at synth time; Elastic Inference fails "
    "unless its interface endpoint spans at least two, so check the subnets you deploy into"
)

# SageMaker developer guide, "Configure model auto scaling with the console"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-console.html):
# "SageMaker doesn't support auto scaling for burstable instances such as T2". The ml.t2
# family is the only burstable host in the service model's ProductionVariantInstanceType enum.
BURSTABLE_PREFIXES = ("ml.t2.",)

# Deployment guardrails exclusions. Today's page (https://docs.aws.amazon.com/sagemaker/latest/dg/
# deployment-guardrails-exclusions.html) lists Inf1 endpoints; the page as it stood while EI existed
# (archived in awsdocs/amazon-sagemaker-developer-guide, doc_source/deployment-guardrails-exclusions.md)
# also listed "Amazon Elastic Inference endpoints". Either way the endpoint "will fall back to using a
# blue/green deployment with all at once traffic shifting and no final baking period".
GUARDRAILS_EXCLUDED_PREFIXES = ("ml.inf1.",)
GUARDRAILS_FALLBACK = "blue/green with all-at-once traffic shifting and no final baking period"


def network_isolation(
    requested: bool | None, *, elastic_inference: bool, image: ContainerImage
) -> tuple[bool, str | None]:
    """Whether the model runs network-isolated, and the warning to give, if any.

    Isolated containers make no outbound network calls and get no AWS credentials (SageMaker developer
    guide, "Training and Inference Containers Run in Internet-Free Mode",
    https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html), while an EI
    framework connects to its accelerator over the network with the execution role's
    elastic-inference:Connect ("Set Up to Use EI"). AWS documents no EI setup with isolation, so in EI
    mode the default is off (the configuration the EI guide documents) and an explicit True is warned
    about. Off EI, isolation is on unless AWS lists the image's managed container as not supporting it.
    """
    if elastic_inference:
        if requested:
            return True, (
                "network_isolation: True with Elastic Inference: AWS documents no EI setup with network "
                "isolation, and an isolated container can neither reach the EI runtime nor hold the "
                "credentials elastic-inference:Connect needs; expect the accelerator not to attach"
            )
        return False, None
    supported = image.supports_network_isolation
    if requested is None:
        return supported, None
    if requested and not supported:
        return True, (
            f"network_isolation: True with {image.label}: AWS lists this managed container among those "
            "that do not support network isolation (they read from S3 themselves)"
        )
    return requested, None


def autoscaling_problems(variants: Sequence[ProductionVariant], deployed_instance_types: Sequence[str]) -> list[str]:
    """Autoscaled variants on hosts SageMaker cannot scale."""
    return [
        f"variants[{index}].autoscaling: SageMaker does not auto scale burstable instances such as T2, "
        f"and this variant deploys on {instance_type!r}; remove autoscaling or choose another instance type"
        for index, (variant, instance_type) in enumerate(zip(variants, deployed_instance_types, strict=True))
        if variant.autoscaling is not None and instance_type.startswith(BURSTABLE_PREFIXES)
    ]


def ignored_guardrails(
    deployment: DeploymentGuardrails | None, *, elastic_inference: bool, deployed_instance_types: Sequence[str]
) -> str | None:
    """Why SageMaker will not apply ``deployment`` to this endpoint, or None when it will."""
    if deployment is None:
        return None
    excluded = sorted({t for t in deployed_instance_types if t.startswith(GUARDRAILS_EXCLUDED_PREFIXES)})
    if elastic_inference:
        reason = "Elastic Inference endpoints are excluded from deployment guardrails"
    elif excluded:
        reason = f"endpoints on Inf1 instances ({', '.join(excluded)}) are excluded from deployment guardrails"
    else:
        return None
    return (
        f"deployment: {reason}; SageMaker ignores the configured {deployment.describe()} and its rollback "
        f"alarms and updates this endpoint {GUARDRAILS_FALLBACK}"
    )


# Shadow variants. SageMaker developer guide, "Create a shadow test"
# (https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-create.html): "SageMaker AI supports a
# maximum of one shadow variant per endpoint. For an endpoint with a shadow variant, there can be a
# maximum of one production variant." (The API reference of CreateEndpointConfig says the same of
# ShadowProductionVariants.) "Exclusions" (shadow tests,
# https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html): endpoints using
# serverless or asynchronous inference, Marketplace containers, multiple containers, multi-model
# endpoints, Inf1 instances or Amazon Elastic Inference cannot be shadow tested. An EIEndpoint never
# has serverless, asynchronous, multi-container or multi-model variants; the rest are checked here.
SHADOW_TESTS_PAGE = "https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-create.html"
SHADOW_EXCLUSIONS_PAGE = "https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-exclusions.html"
SHADOW_EXCLUDED_PREFIXES = ("ml.inf1.",)


def shadow_problems(variants: Sequence[ProductionVariant], *, elastic_inference: bool) -> list[str]:
    """Shadow variants where SageMaker refuses them: with EI, or beside several production variants."""
    shadowed = [f"variants[{i}].shadow" for i, v in enumerate(variants) if v.shadow is not None]
    if not shadowed:
        return []
    if elastic_inference:
        return [
            f"{shadowed[0]}: shadow variants need successor mode: SageMaker excludes Elastic Inference "
            f"endpoints from shadow testing ({SHADOW_EXCLUSIONS_PAGE})"
        ]
    if len(variants) > 1:
        return [
            f"{shadowed[0]}: SageMaker allows a shadow variant only beside exactly one production variant, "
            f"and this endpoint has {len(variants)} ({SHADOW_TESTS_PAGE})"
        ]
    return []


def shadow_instance_problems(field: str, instance_types: Sequence[str]) -> list[str]:
    """A shadow on an endpoint with Inf1 instances (production or shadow), which SageMaker excludes."""
    inf1 = sorted({t for t in instance_types if t.startswith(SHADOW_EXCLUDED_PREFIXES)})
    if not inf1:
        return []
    return [
        f"{field}: SageMaker excludes endpoints on Inf1 instances ({', '.join(inf1)}) from shadow testing "
        f"({SHADOW_EXCLUSIONS_PAGE})"
    ]
