"""The EIEndpoint construct: Model -> EndpointConfig (EI on every variant) -> Endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from . import compliance
from .binding import Binding
from .data_capture import CaptureDestination, DataCapture
from .execution_role import create_execution_role
from .families import NeuronModel, SuccessorFamily
from .guardrails import DeploymentGuardrails
from .images import ContainerImage
from .imported import import_endpoint
from .key_policy import stack_endpoint_key
from .metrics import IEIEndpoint
from .model_data import ModelData
from .network import VpcPlacement
from .plan import (
    PROP_NAMES,
    WARNING_ACCELERATED_INSTANCE,
    WARNING_EI_RETIRED,
    WARNING_SUCCESSOR,
    DeployedShadowVariant,
    EIEndpointProps,
    plan_endpoint,
)
from .successor import AcceleratorMode
from .tokens import read_once, remember_stack, stack_of
from .variants import ProductionVariant

if TYPE_CHECKING:
    from aws_cdk import aws_cloudwatch as cloudwatch
    from aws_cdk import aws_sns as sns

__all__ = [
    "SUCCESSOR_METADATA",
    "WARNING_ACCELERATED_INSTANCE",
    "WARNING_EI_RETIRED",
    "WARNING_SUCCESSOR",
    "EIEndpoint",
]

SUCCESSOR_METADATA = "sagemaker-ei-endpoint:successor"
ONE_MINUTE = cdk.Duration.minutes(1)


class EIEndpoint(IEIEndpoint, Construct):
    """A SageMaker real-time endpoint with an Elastic Inference accelerator on every variant.

    Emits ``AWS::SageMaker::Model``, ``AWS::SageMaker::EndpointConfig`` with ``AcceleratorType``
    on each production variant, and ``AWS::SageMaker::Endpoint``. The model and endpoint
    config are never given fixed names, so CloudFormation can replace them on change.
    Secure by default: the storage volume is KMS-encrypted with a created key (rotation on), and the
    model runs network-isolated wherever AWS documents that it can (see ``network_isolation``).

    Elastic Inference is retired by AWS: the construct warns once per endpoint
    (acknowledge with ``Annotations.of(endpoint).acknowledge_warning(WARNING_EI_RETIRED)``).

    Its ``metric_*`` helpers, ``grant_invoke`` and ``variant_names`` are the ``IEIEndpoint`` interface
    (metrics.py), which the imports (``from_endpoint_name`` / ``_arn`` / ``_attributes``) share.

    :param image: the inference container image.
    :param variants: 1 to 10 production variants, each with its accelerator (and optional autoscaling).
    :param model_data: the model artifact. Default: none, the image carries the model.
    :param environment: environment variables of the container. Default: none.
    :param role: the execution role, which must allow what the created one would. Default: a role
        is created with one customer-managed policy: logs, metrics, ECR login, a pull of the one
        image repository, a read of the one artifact object, and capture writes when capturing.
    :param endpoint_name: Default: CloudFormation generates a name; with ``deployment`` guardrails a
        stable name is derived from the construct path, because the rollback alarms need it.
    :param encryption_key: encrypts the storage volume and captured data. Default: the key the
        stack's EIEndpoints share (created with the first; rotation on, used only through SageMaker and S3).
    :param storage_encryption: set False to leave the storage volume unencrypted by KMS.
        Default: True. Variants on instances with local NVMe storage are never given a
        KmsKeyId: SageMaker refuses it there and encrypts those volumes in hardware.
    :param network_isolation: the container makes no outbound network calls. Default: off with Elastic
        Inference (AWS documents no EI setup with isolation: the accelerator is reached over the
        network) and for the managed TensorFlow and PyTorch images (AWS lists them as not supporting
        isolation); on otherwise. An explicit True where AWS does not support it is warned about.
    :param vpc: Default: none, the model runs outside your VPCs. With Elastic Inference, an interface
        endpoint of the EI runtime and its security groups are created (or ``elastic_inference_endpoint``
        is used) and the subnets must span two Availability Zones.
    :param data_capture: Default: none.
    :param deployment: blue/green or rolling updates with rollback alarms. Default: none,
        SageMaker's own blue/green all-at-once update. SageMaker does not apply guardrails to Elastic
        Inference or Inf1 endpoints: a warning says so and the update falls back to all-at-once.
    :param alarm_topic: SNS topic the created alarms notify. Default: none.
    :param accelerator_mode: Default: ``AcceleratorMode.ELASTIC_INFERENCE``, AcceleratorType on every
        variant. ``AcceleratorMode.SUCCESSOR`` deploys each variant on its successor instance
        instead (see ``successor.py``) with no AcceleratorType, and warns what was mapped to what.
    :param successor_family: the family every variant moves to in successor mode (a variant's own
        ``successor_family`` wins). Default: ``SuccessorFamily.GPU`` (ml.g4dn).
    :param successor_image: the image in successor mode. Default: a prebuilt EI framework image
        becomes the same framework's standard inference image at the same version; a built-in
        algorithm image stays; your own image must be given here or declared unchanged.
    :param image_runs_unchanged_on_successor: your own image runs as it is on the successor
        instances. Default: False.
    :param neuron_model: the Neuron-compiled model and Neuron image for Inferentia successors
        (``SuccessorFamily.INFERENTIA2``); without it those are refused. Default: none.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: ContainerImage,
        variants: Sequence[ProductionVariant],
        model_data: ModelData | None = None,
        environment: Mapping[str, str] | None = None,
        role: iam.IRole | None = None,
        endpoint_name: str | None = None,
        encryption_key: kms.IKey | None = None,
        storage_encryption: bool = True,
        network_isolation: bool | None = None,
        vpc: VpcPlacement | None = None,
        data_capture: DataCapture | None = None,
        deployment: DeploymentGuardrails | None = None,
        alarm_topic: sns.ITopic | None = None,
        accelerator_mode: AcceleratorMode = AcceleratorMode.ELASTIC_INFERENCE,
        successor_family: SuccessorFamily = SuccessorFamily.GPU,
        successor_image: ContainerImage | None = None,
        image_runs_unchanged_on_successor: bool = False,
        neuron_model: NeuronModel | None = None,
    ) -> None:
        # The keyword arguments are exactly EIEndpointProps' fields (a test holds the two together).
        props = EIEndpointProps(**{name: value for name, value in locals().items() if name in PROP_NAMES})
        # Every check and decision first: bad props raise before anything is added to the scope.
        stack = stack_of(scope)
        plan = plan_endpoint(props, stack)
        super().__init__(scope, construct_id)
        remember_stack(self, stack)
        self.stack = stack
        self.props, self.plan = props, plan
        self.accelerator_mode = accelerator_mode
        self.variants = tuple(variants)
        self.deployed_instance_types = plan.instance_types
        self.network_isolation = plan.network_isolation
        self.encryption_key = self._storage_key()
        image_binding = plan.image.bind(self)
        data_binding = plan.model_data.bind(self) if plan.model_data else None
        capture = data_capture.bind(self, self.encryption_key) if data_capture else None
        self.capture_bucket = capture.value.bucket if capture else None
        self.image_uri, self.model_data_url = image_binding.value, data_binding.value if data_binding else None
        shadow_bindings = self._shadow_bindings()
        self.role, self.execution_policy = self._execution_role(
            [
                image_binding,
                data_binding,
                capture,
                *(b for image, data, _ in shadow_bindings.values() for b in (image, data)),
            ]
        )
        self.model = self._model("Model", self.image_uri, self.model_data_url)
        self.shadow_variants: tuple[DeployedShadowVariant, ...] = plan.shadow_variants
        self.shadow_models = {
            name: self._model(f"{name}Model", image.value, url) for name, (image, _, url) in shadow_bindings.items()
        }
        self.endpoint_config = self._endpoint_config(capture.value if capture else None)
        self.endpoint = self._endpoint()
        self.endpoint_name: str = self.endpoint.attr_endpoint_name
        self.endpoint_arn: str = self.endpoint.ref  # Ref of AWS::SageMaker::Endpoint is its ARN
        self.alarms = self._rollback_alarms(deployment, alarm_topic) if deployment else []
        self.scalable_targets = self._autoscaling()
        self._report()

    # ---- one builder per concern -------------------------------------------------------------------

    def _storage_key(self) -> kms.IKey | None:
        """The given key, or the stack's shared one when the volume or captured data is to be encrypted."""
        if self.props.encryption_key is not None or not (self.plan.encrypt_volume or self.props.data_capture):
            return self.props.encryption_key
        return stack_endpoint_key(self.stack)

    def _execution_role(self, bindings: Sequence[Binding[Any] | None]) -> tuple[iam.IRole, iam.ManagedPolicy | None]:
        if self.props.role is not None:
            return self.props.role, None
        return create_execution_role(
            self,
            stack=self.stack,
            bindings=[b for b in bindings if b is not None],
            in_vpc=self.props.vpc is not None,
            elastic_inference=self.plan.elastic_inference,
        )

    def _shadow_bindings(self) -> dict[str, tuple[Binding[str], Binding[str] | None, str | None]]:
        """Image, artifact and artifact URL of each shadow variant that runs another model than production."""
        plan, bindings = self.plan, {}
        for shadow in plan.shadow_variants:
            if shadow.image.label == plan.image.label and shadow.model_data is plan.model_data:
                continue  # the production model serves the shadow as well
            same_data = shadow.model_data is plan.model_data
            data = shadow.model_data.bind(self) if shadow.model_data and not same_data else None
            url = data.value if data else (self.model_data_url if same_data else None)
            bindings[shadow.name] = (shadow.image.bind(self), data, url)
        return bindings

    def _model(self, construct_id: str, image_uri: str, model_data_url: str | None) -> sagemaker.CfnModel:
        environment = self.props.environment
        vpc_config: sagemaker.CfnModel.VpcConfigProperty | cdk.IResolvable | None
        if construct_id == "Model":
            vpc = self.props.vpc.bind(self, elastic_inference=self.plan.elastic_inference) if self.props.vpc else None
            vpc_config = vpc.value if vpc else None
        else:  # a shadow variant's model runs where the production model does (bound once)
            vpc_config = self.model.vpc_config
        model = sagemaker.CfnModel(
            self,
            construct_id,
            execution_role_arn=self.role.role_arn,
            enable_network_isolation=self.plan.network_isolation,
            vpc_config=vpc_config,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image_uri,
                model_data_url=model_data_url,
                environment=dict(sorted(environment.items())) if environment else None,
            ),
        )
        # CreateModel checks the role's access right away, so its policy must exist first.
        if self.execution_policy is not None:
            model.node.add_dependency(self.execution_policy)
        return model

    def _endpoint_config(self, capture: CaptureDestination | None) -> sagemaker.CfnEndpointConfig:
        key = self.encryption_key
        model_name = self.model.attr_model_name
        return sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            kms_key_id=read_once(key, "key_arn") if key and self.plan.encrypt_volume else None,
            data_capture_config=capture.config if capture else None,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=v.name,
                    model_name=model_name,
                    instance_type=v.instance_type,
                    initial_instance_count=v.declared.initial_instance_count,
                    initial_variant_weight=v.declared.initial_variant_weight,
                    accelerator_type=v.accelerator_type.name if v.accelerator_type else None,
                )
                for v in self.plan.variants
            ],
            shadow_production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=s.name,
                    model_name=self.shadow_models.get(s.name, self.model).attr_model_name,
                    instance_type=s.instance_type,
                    initial_instance_count=s.declared.initial_instance_count,
                    # Equal weights copy all of the production variant's traffic, as in AWS's example.
                    initial_variant_weight=self.plan.variants[0].declared.initial_variant_weight,
                )
                for s in self.plan.shadow_variants
            ]
            or None,
        )

    def _endpoint(self) -> sagemaker.CfnEndpoint:
        endpoint_name = self.props.endpoint_name
        if endpoint_name is None and self.props.deployment is not None:
            # The rollback alarms watch this endpoint by name, and the endpoint lists the alarms:
            # a name known at synth time breaks that cycle. EndpointName changes never happen on
            # config updates, so a fixed name does not block replacement of the config.
            endpoint_name = cdk.Names.unique_resource_name(self, max_length=63, separator="-")
        self._known_endpoint_name = endpoint_name
        # Without RetainAllVariantProperties every update resets autoscaled instance counts to
        # InitialInstanceCount (UpdateEndpoint's default). Weights are the template's to set, so excluded.
        # SageMaker API reference, UpdateEndpoint
        # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html).
        autoscaled = self.plan.autoscaled
        return sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            endpoint_name=endpoint_name,
            retain_all_variant_properties=True if autoscaled else None,
            exclude_retained_variant_properties=[
                sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredWeight")
            ]
            if autoscaled
            else None,
        )

    def _rollback_alarms(self, deployment: DeploymentGuardrails, topic: sns.ITopic | None) -> list[cloudwatch.Alarm]:
        # Loaded only by endpoints with guardrails: most stacks never need CloudWatch's modules.
        from aws_cdk import aws_cloudwatch as cloudwatch
        from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions

        alarms = []
        for v in self.plan.variants:
            errors = cloudwatch.Alarm(
                self,
                f"{v.name}ErrorsAlarm",
                alarm_description=f"5XX errors of variant {v.name}; rolls back a deployment",
                metric=self.metric_invocation_5xx_errors(variant_name=v.name, period=ONE_MINUTE),
                threshold=deployment.error_threshold,
                evaluation_periods=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            latency = cloudwatch.Alarm(
                self,
                f"{v.name}LatencyAlarm",
                alarm_description=f"model latency of variant {v.name}; rolls back a deployment",
                # ModelLatency is reported in microseconds.
                metric=self.metric_model_latency(variant_name=v.name, period=ONE_MINUTE),
                threshold=deployment.latency_threshold_ms * 1000,
                evaluation_periods=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarms += [errors, latency]
        if topic is not None:
            for alarm in alarms:
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
                alarm.add_ok_action(cloudwatch_actions.SnsAction(topic))
        self.endpoint.deployment_config = deployment.deployment_config(alarms)
        return alarms

    def _autoscaling(self) -> dict[str, Any]:
        return {
            v.name: v.declared.autoscaling.bind(
                # endpoint_name is a GetAtt: the target waits for the endpoint to exist.
                self,
                f"{v.name}Scaling",
                endpoint_name=self.endpoint_name,
                variant_name=v.name,
            )
            for v in self.plan.variants
            if v.declared.autoscaling is not None
        }

    def _report(self) -> None:
        """The plan's warnings, the successor mapping for reviewers, and the acknowledgments."""
        plan = self.plan
        annotations = cdk.Annotations.of(self)
        for warning_id, message in plan.warnings:
            annotations.add_warning_v2(warning_id, message)
        if plan.successor_metadata is not None:
            # Reviewers read the mapping from the template itself (tools/synth_summary.py prints it).
            self.endpoint_config.add_metadata(SUCCESSOR_METADATA, dict(plan.successor_metadata))
        if plan.elastic_inference:
            compliance.acknowledge_accelerator_type(self.endpoint_config, WARNING_EI_RETIRED)
        if self.props.storage_encryption and not plan.encrypt_volume:
            compliance.acknowledge_instance_storage(self, plan.all_instance_types)
        if not plan.network_isolation:
            for model in (self.model, *self.shadow_models.values()):
                compliance.skip_checkov(model, "CKV_AWS_370", compliance.ISOLATION_REASON)

    # ---- what EIEndpoint shares with its imports (metrics.py) ----------------------------------------

    @property
    def variant_names(self) -> tuple[str, ...]:
        """The variants the metrics and the dashboard know: the production variants, then the shadow ones.

        Shadow variants report the same invocation metrics per variant ("Monitor a shadow test",
        https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-view-monitor-edit-dashboard.html).
        """
        return (*(v.name for v in self.plan.variants), *(s.name for s in self.plan.shadow_variants))

    @property
    def production_variant_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.plan.variants)

    @property
    def rollback_alarms(self) -> tuple[cloudwatch.IAlarm, ...]:
        """The alarms that roll back a deployment: the created ones, then ``deployment.extra_alarms``."""
        extra = self.props.deployment.extra_alarms if self.props.deployment else ()
        return (*self.alarms, *extra)

    def _dimension_endpoint_name(self) -> str:
        # The name given or derived at synth time where there is one, so alarms need no GetAtt.
        return self._known_endpoint_name or self.endpoint_name

    @staticmethod
    def from_endpoint_name(
        scope: Construct, construct_id: str, endpoint_name: str, *, variant_names: Sequence[str] = ()
    ) -> IEIEndpoint:
        """An existing endpoint of this stack's account and region, by name."""
        return import_endpoint(scope, construct_id, endpoint_name=endpoint_name, variant_names=variant_names)

    @staticmethod
    def from_endpoint_arn(
        scope: Construct, construct_id: str, endpoint_arn: str, *, variant_names: Sequence[str] = ()
    ) -> IEIEndpoint:
        """An existing endpoint by ARN; its name (the metrics' EndpointName) is the ARN's resource name."""
        return import_endpoint(scope, construct_id, endpoint_arn=endpoint_arn, variant_names=variant_names)

    @staticmethod
    def from_endpoint_attributes(
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str | None = None,
        endpoint_arn: str | None = None,
        variant_names: Sequence[str] = (),
    ) -> IEIEndpoint:
        """An existing endpoint by name, ARN or both (both when the ARN's name is not the metrics' one).

        :param variant_names: its variants, for metrics without ``variant_name`` and for dashboards.
        """
        return import_endpoint(
            scope, construct_id, endpoint_name=endpoint_name, endpoint_arn=endpoint_arn, variant_names=variant_names
        )
