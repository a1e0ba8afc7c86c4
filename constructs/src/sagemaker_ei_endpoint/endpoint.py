"""The EIEndpoint construct: Model -> EndpointConfig (EI on every variant) -> Endpoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from . import contract
from .contract import WARNING_EI_ZONES_UNKNOWN, WARNING_GUARDRAILS_IGNORED, WARNING_NETWORK_ISOLATION
from .data_capture import DataCapture
from .execution_role import acknowledge_resource_wildcard, create_execution_role
from .guardrails import DeploymentGuardrails
from .images import ContainerImage
from .instance_types import has_instance_storage, is_accelerated_instance
from .key_policy import create_endpoint_key
from .model_data import ModelData
from .network import VpcPlacement
from .successor import AcceleratorMode, plan_successor
from .validation import EIEndpointPropsError, validate_endpoint_props
from .variants import ProductionVariant

WARNING_EI_RETIRED = "sagemaker-ei-endpoint:elasticInferenceRetired"
WARNING_ACCELERATED_INSTANCE = "sagemaker-ei-endpoint:acceleratorOnAcceleratedInstance"
WARNING_SUCCESSOR = "sagemaker-ei-endpoint:successorMapping"
SUCCESSOR_METADATA = "sagemaker-ei-endpoint:successor"
CFN_VALIDATE_ACCELERATOR = "CloudFormation-Validate::F3002"
ONE_MINUTE = cdk.Duration.minutes(1)


class EIEndpoint(Construct):
    """A SageMaker real-time endpoint with an Elastic Inference accelerator on every variant.

    Emits ``AWS::SageMaker::Model``, ``AWS::SageMaker::EndpointConfig`` with ``AcceleratorType``
    on each production variant, and ``AWS::SageMaker::Endpoint``. The model and endpoint
    config are never given fixed names, so CloudFormation can replace them on change.
    Secure by default: the storage volume is KMS-encrypted with a created key (rotation on), and the
    model runs network-isolated wherever AWS documents that it can (see ``network_isolation``).

    Elastic Inference is retired by AWS: the construct warns once per endpoint
    (acknowledge with ``Annotations.of(endpoint).acknowledge_warning(WARNING_EI_RETIRED)``).

    :param image: the inference container image.
    :param variants: 1 to 10 production variants, each with its accelerator (and optional autoscaling).
    :param model_data: the model artifact. Default: none, the image carries the model.
    :param environment: environment variables of the container. Default: none.
    :param role: the execution role, which must allow what the created one would. Default: a role
        is created with one customer-managed policy: logs, metrics, ECR login, a pull of the one
        image repository, a read of the one artifact object, and capture writes when capturing.
    :param endpoint_name: Default: CloudFormation generates a name; with ``deployment`` guardrails a
        stable name is derived from the construct path, because the rollback alarms need it.
    :param encryption_key: encrypts the storage volume and captured data. Default: a key is
        created with rotation on.
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
    :param successor_image: the image in successor mode. Default: a prebuilt EI framework image
        becomes the same framework's standard inference image at the same version; a built-in
        algorithm image stays; your own image must be given here or declared unchanged.
    :param image_runs_unchanged_on_successor: your own image runs as it is on the successor
        instances. Default: False.
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
        successor_image: ContainerImage | None = None,
        image_runs_unchanged_on_successor: bool = False,
    ) -> None:
        elastic_inference = accelerator_mode is AcceleratorMode.ELASTIC_INFERENCE
        problems = validate_endpoint_props(variants=variants, endpoint_name=endpoint_name)
        problems += data_capture.problems() if data_capture else []
        problems += deployment.problems(len(variants)) if deployment else []
        problems += vpc.problems(elastic_inference=elastic_inference) if vpc else []
        successor = None
        if not elastic_inference and not problems:
            successor, successor_problems = plan_successor(
                variants=variants,
                image=image,
                successor_image=successor_image,
                image_runs_unchanged=image_runs_unchanged_on_successor,
            )
            problems += successor_problems
        deployed_image = successor.image if successor else image
        problems += deployed_image.problems(cdk.Stack.of(scope))
        deployed_instance_types = successor.instance_types if successor else tuple(v.instance_type for v in variants)
        if not problems:
            problems += contract.autoscaling_problems(variants, deployed_instance_types)
        if problems:
            raise EIEndpointPropsError(problems)
        super().__init__(scope, construct_id)
        self.accelerator_mode = accelerator_mode
        self.variants = tuple(variants)
        self.deployed_instance_types = deployed_instance_types
        self.network_isolation, isolation_warning = contract.network_isolation(
            network_isolation, elastic_inference=elastic_inference, image=deployed_image
        )

        # SageMaker refuses a KmsKeyId for instances with local NVMe storage (encrypted in hardware).
        encrypt_volume = storage_encryption and not any(has_instance_storage(t) for t in self.deployed_instance_types)
        self.encryption_key: kms.IKey | None = encryption_key
        if self.encryption_key is None and (encrypt_volume or data_capture):
            self.encryption_key = create_endpoint_key(self)
        image_binding = deployed_image.bind(self)
        data_binding = model_data.bind(self) if model_data else None
        statements = [*image_binding.statements, *(data_binding.statements if data_binding else ())]
        capture_config, self.capture_bucket = None, None
        if data_capture:
            capture_config, capture_statements, self.capture_bucket = data_capture.bind(self, self.encryption_key)
            statements += capture_statements
        self.image_uri = image_binding.uri
        self.model_data_url = data_binding.uri if data_binding else None

        self.role: iam.IRole
        self.execution_policy: iam.ManagedPolicy | None = None
        if role is None:
            self.role, self.execution_policy = create_execution_role(
                self, statements=statements, in_vpc=vpc is not None, elastic_inference=elastic_inference
            )
            if data_capture and self.capture_bucket:
                acknowledge_resource_wildcard(
                    self.execution_policy,
                    data_capture.objects_arn(self.capture_bucket),
                    "SageMaker names the captured files itself, under the capture prefix; the role may only "
                    "put objects there, in that one bucket",
                )
        else:
            self.role = role

        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            enable_network_isolation=self.network_isolation,
            vpc_config=vpc.bind(self, elastic_inference=elastic_inference) if vpc else None,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=self.image_uri,
                model_data_url=self.model_data_url,
                environment=dict(sorted(environment.items())) if environment else None,
            ),
        )
        # CreateModel checks the role's access right away, so its policy must exist first.
        if self.execution_policy is not None:
            self.model.node.add_dependency(self.execution_policy)

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            kms_key_id=self.encryption_key.key_arn if encrypt_volume and self.encryption_key else None,
            data_capture_config=capture_config,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=v.variant_name,
                    model_name=self.model.attr_model_name,
                    instance_type=instance_type,
                    initial_instance_count=v.initial_instance_count,
                    initial_variant_weight=v.initial_variant_weight,
                    accelerator_type=None if successor else v.accelerator_type.name,
                )
                for v, instance_type in zip(self.variants, self.deployed_instance_types, strict=True)
            ],
        )

        if endpoint_name is None and deployment is not None:
            # The rollback alarms watch this endpoint by name, and the endpoint lists the alarms:
            # a name known at synth time breaks that cycle. EndpointName changes never happen on
            # config updates, so a fixed name does not block replacement of the config.
            endpoint_name = cdk.Names.unique_resource_name(self, max_length=63, separator="-")
        self._known_endpoint_name = endpoint_name
        autoscaled = any(v.autoscaling is not None for v in self.variants)
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Resource",
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            endpoint_name=endpoint_name,
            # Without this, every update resets autoscaled instance counts to InitialInstanceCount
            # (UpdateEndpoint's default). Weights are the template's to set, so they are excluded.
            # SageMaker API reference, UpdateEndpoint: RetainAllVariantProperties,
            # ExcludeRetainedVariantProperties (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html).
            retain_all_variant_properties=True if autoscaled else None,
            exclude_retained_variant_properties=[
                sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type="DesiredWeight")
            ]
            if autoscaled
            else None,
        )
        self.endpoint_name: str = self.endpoint.attr_endpoint_name
        # Ref of AWS::SageMaker::Endpoint is its ARN.
        self.endpoint_arn: str = self.endpoint.ref

        self.alarms: list[cloudwatch.Alarm] = []
        if deployment is not None:
            self.alarms = self._rollback_alarms(deployment, alarm_topic)
            self.endpoint.deployment_config = deployment.deployment_config(self.alarms)
        self.scalable_targets = {
            v.variant_name: v.autoscaling.bind(
                # endpoint_name is a GetAtt: the target waits for the endpoint to exist.
                self,
                f"{v.variant_name}Scaling",
                endpoint_name=self.endpoint_name,
                variant_name=v.variant_name,
            )
            for v in self.variants
            if v.autoscaling is not None
        }

        if storage_encryption and not encrypt_volume:
            self._acknowledge_instance_storage()
        self._annotate_contract(
            isolation_warning=isolation_warning,
            guardrails_warning=contract.ignored_guardrails(
                deployment, elastic_inference=elastic_inference, deployed_instance_types=deployed_instance_types
            ),
            vpc=vpc if elastic_inference else None,
        )
        if successor:
            self._annotate_successor(image, deployed_image)
        else:
            self._annotate_elastic_inference()

    def _annotate_contract(
        self, *, isolation_warning: str | None, guardrails_warning: str | None, vpc: VpcPlacement | None
    ) -> None:
        """Warn where AWS will not do what the props ask; each warning can be acknowledged by its id."""
        annotations = cdk.Annotations.of(self)
        if isolation_warning:
            annotations.add_warning_v2(WARNING_NETWORK_ISOLATION, isolation_warning)
        if guardrails_warning:
            annotations.add_warning_v2(WARNING_GUARDRAILS_IGNORED, guardrails_warning)
        if vpc is not None and vpc.elastic_inference_endpoint is None and vpc.availability_zones() is None:
            annotations.add_warning_v2(
                WARNING_EI_ZONES_UNKNOWN,
                "vpc.subnets: their Availability Zones are not known at synth time; Elastic Inference fails "
                "unless its interface endpoint spans at least two, so check the subnets you deploy into",
            )
        if not self.network_isolation:
            # checkov reads its skips from the resource's metadata; the reason is AWS's, from contract.py.
            self.model.add_metadata(
                "checkov",
                {
                    "skip": [
                        {
                            "id": "CKV_AWS_370",
                            "comment": "network isolation off: AWS documents no Elastic Inference setup with it, "
                            "and lists the managed TensorFlow and PyTorch containers as not supporting it",
                        }
                    ]
                },
            )

    def _acknowledge_instance_storage(self) -> None:
        reason = (
            "SageMaker refuses a KmsKeyId for instances with local NVMe storage "
            f"({', '.join(sorted(set(self.deployed_instance_types)))}); those volumes are encrypted "
            "by a hardware module on the instance"
        )
        cdk.Validations.of(self).acknowledge(
            *(
                cdk.Acknowledgment(id=f"{pack}::{pack}-SageMakerEndpointConfigurationKMSKeyConfigured", reason=reason)
                for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
            )
        )

    def _rollback_alarms(self, deployment: DeploymentGuardrails, topic: sns.ITopic | None) -> list[cloudwatch.Alarm]:
        alarms = []
        for v in self.variants:
            errors = cloudwatch.Alarm(
                self,
                f"{v.variant_name}ErrorsAlarm",
                alarm_description=f"5XX errors of variant {v.variant_name}; rolls back a deployment",
                metric=self.metric_invocation_5xx_errors(variant_name=v.variant_name, period=ONE_MINUTE),
                threshold=deployment.error_threshold,
                evaluation_periods=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            latency = cloudwatch.Alarm(
                self,
                f"{v.variant_name}LatencyAlarm",
                alarm_description=f"model latency of variant {v.variant_name}; rolls back a deployment",
                # ModelLatency is reported in microseconds.
                metric=self.metric_model_latency(variant_name=v.variant_name, period=ONE_MINUTE),
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
        return alarms

    def _annotate_successor(self, ei_image: ContainerImage, successor_image: ContainerImage) -> None:
        mapping = [
            {
                "variant": v.variant_name,
                "from": f"{v.instance_type} + {v.accelerator_type}",
                "to": instance_type,
            }
            for v, instance_type in zip(self.variants, self.deployed_instance_types, strict=True)
        ]
        # Reviewers read the mapping from the template itself (tools/synth_summary.py prints it).
        self.endpoint_config.add_metadata(
            SUCCESSOR_METADATA,
            {"variants": mapping, "image": {"from": ei_image.label, "to": successor_image.label}},
        )
        moves = "; ".join(f"{m['variant']}: {m['from']} -> {m['to']}" for m in mapping)
        cdk.Annotations.of(self).add_warning_v2(
            WARNING_SUCCESSOR,
            f"deployed off Elastic Inference (successor mode): {moves}; image {ei_image.label} -> "
            f"{successor_image.label}. Models built for EI may need re-export for the successor: "
            "the EI-enabled frameworks were AWS's own builds.",
        )

    def _annotate_elastic_inference(self) -> None:
        cdk.Annotations.of(self).add_warning_v2(
            WARNING_EI_RETIRED,
            "Elastic Inference is no longer available on AWS: SageMaker rejects AcceleratorType and "
            "CloudFormation's schema no longer has it, so `cdk deploy` of this template to AWS is expected "
            "to fail. See the README section on moving off Elastic Inference.",
        )
        # CDK's own template check flags the same property; the warning above already says it,
        # so acknowledge it here and nowhere else.
        cdk.Validations.of(self.endpoint_config).acknowledge(
            cdk.Acknowledgment(
                id=CFN_VALIDATE_ACCELERATOR,
                reason=f"AcceleratorType is emitted on purpose; the EI retirement is reported by {WARNING_EI_RETIRED}",
            )
        )
        for index, variant in enumerate(self.variants):
            if is_accelerated_instance(variant.instance_type):
                cdk.Annotations.of(self).add_warning_v2(
                    WARNING_ACCELERATED_INSTANCE,
                    f"variants[{index}].instance_type: {variant.instance_type!r} is itself accelerated; "
                    "the AWS guide pairs Elastic Inference with CPU instance types",
                )

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call sagemaker:InvokeEndpoint on this endpoint."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:InvokeEndpoint"], resource_arns=[self.endpoint_arn]
        )

    def metric(
        self,
        metric_name: str,
        *,
        variant_name: str | None = None,
        statistic: str = "Sum",
        period: cdk.Duration | None = None,
    ) -> cloudwatch.Metric:
        """A metric of the AWS/SageMaker namespace for one variant.

        :param variant_name: Default: the only variant; required when there are several.
        """
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=metric_name,
            # The name given or derived at synth time where there is one, so alarms need no GetAtt.
            dimensions_map={
                "EndpointName": self._known_endpoint_name or self.endpoint_name,
                "VariantName": self._variant(variant_name),
            },
            statistic=statistic,
            period=period,
        )

    def metric_invocations(
        self, *, variant_name: str | None = None, period: cdk.Duration | None = None
    ) -> cloudwatch.Metric:
        return self.metric("Invocations", variant_name=variant_name, period=period)

    def metric_invocations_per_instance(
        self, *, variant_name: str | None = None, period: cdk.Duration | None = None
    ) -> cloudwatch.Metric:
        return self.metric("InvocationsPerInstance", variant_name=variant_name, period=period)

    def metric_model_latency(
        self, *, variant_name: str | None = None, period: cdk.Duration | None = None
    ) -> cloudwatch.Metric:
        """Model latency in microseconds, averaged."""
        return self.metric("ModelLatency", variant_name=variant_name, statistic="Average", period=period)

    def metric_invocation_4xx_errors(
        self, *, variant_name: str | None = None, period: cdk.Duration | None = None
    ) -> cloudwatch.Metric:
        return self.metric("Invocation4XXErrors", variant_name=variant_name, period=period)

    def metric_invocation_5xx_errors(
        self, *, variant_name: str | None = None, period: cdk.Duration | None = None
    ) -> cloudwatch.Metric:
        return self.metric("Invocation5XXErrors", variant_name=variant_name, period=period)

    def _variant(self, variant_name: str | None) -> str:
        names = [v.variant_name for v in self.variants]
        if variant_name is None and len(names) == 1:
            return names[0]
        if variant_name not in names:
            raise ValueError(f"variant_name: expected one of {names}, got {variant_name!r}")
        return variant_name
