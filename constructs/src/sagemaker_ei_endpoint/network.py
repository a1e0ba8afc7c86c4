"""Where the model's containers sit on the network: isolated, and optionally inside a VPC.

An Elastic Inference model in a VPC reaches its accelerator through a PrivateLink interface endpoint
of the EI runtime. SageMaker developer guide, "Set Up to Use EI", section "Use a Custom VPC to
Connect to EI" (https://docs.aws.amazon.com/sagemaker/latest/dg/ei-setup.html):
- an interface VPC endpoint for ``com.amazonaws.<region>.elastic-inference.runtime``;
- two security groups: one on that endpoint, reachable only from the second, which the model
  carries and which may only call the first;
- the endpoint in at least two Availability Zones: "EI fails if you do not set up at least two
  Availability Zones".
Interface endpoints serve HTTPS on port 443 (AWS PrivateLink guide, "Access an AWS service using an
interface VPC endpoint", https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from .binding import Binding
from .tokens import is_known

if TYPE_CHECKING:
    from aws_cdk import aws_ec2 as ec2

EI_RUNTIME_SERVICE = "elastic-inference.runtime"
HTTPS = 443
MIN_EI_AVAILABILITY_ZONES = 2


@dataclass(frozen=True, kw_only=True)
class VpcPlacement:
    """Run the model in ``vpc``.

    :param vpc_subnets: Default: the VPC's private subnets, or its isolated ones when it has no private ones.
    :param security_groups: Default: one is created that allows all outbound traffic and no inbound.
    :param elastic_inference_endpoint: in Elastic Inference mode, an existing interface endpoint of
        ``com.amazonaws.<region>.elastic-inference.runtime`` to use. Default: one is created in
        ``vpc_subnets`` (which must span at least two Availability Zones) with its own security group.
        Either way the model gets a security group that may reach the endpoint on port 443 and nothing else.
    """

    vpc: ec2.IVpc
    vpc_subnets: ec2.SubnetSelection | None = None
    security_groups: Sequence[ec2.ISecurityGroup] | None = None
    elastic_inference_endpoint: ec2.IInterfaceVpcEndpoint | None = None

    def selected_subnets(self) -> Sequence[ec2.ISubnet]:
        if self.vpc_subnets is not None:
            try:
                selection = self.vpc_subnets
                return self.vpc.select_subnets(
                    availability_zones=selection.availability_zones,
                    one_per_az=selection.one_per_az,
                    subnet_filters=selection.subnet_filters,
                    subnet_group_name=selection.subnet_group_name,
                    subnets=selection.subnets,
                    subnet_type=selection.subnet_type,
                ).subnets
            except RuntimeError:  # CDK raises when the selection names a subnet type the VPC lacks
                return []
        return self.vpc.private_subnets or self.vpc.isolated_subnets

    def bind(self, scope: Construct, *, elastic_inference: bool) -> Binding[sagemaker.CfnModel.VpcConfigProperty]:

        groups = list(self.security_groups or ())
        if not groups:
            groups.append(
                self._security_group(
                    scope, "SecurityGroup", "SageMaker endpoint model containers", allow_all_outbound=True
                )
            )
        subnets = self.selected_subnets()
        if elastic_inference:
            groups.append(self._connect_to_elastic_inference(scope, subnets))
        return Binding(
            sagemaker.CfnModel.VpcConfigProperty(
                subnets=[s.subnet_id for s in subnets], security_group_ids=[g.security_group_id for g in groups]
            )
        )

    def _connect_to_elastic_inference(self, scope: Construct, subnets: Sequence[ec2.ISubnet]) -> ec2.SecurityGroup:
        """The model's security group for EI: no inbound, outbound only to the EI runtime endpoint."""
        from aws_cdk import aws_ec2 as ec2

        client = self._security_group(
            scope,
            "ElasticInferenceClientSecurityGroup",
            "SageMaker model: may call the Elastic Inference runtime endpoint only",
            allow_all_outbound=False,
        )
        endpoint = self.elastic_inference_endpoint
        if endpoint is None:
            endpoint_group = self._security_group(
                scope,
                "ElasticInferenceEndpointSecurityGroup",
                "Elastic Inference runtime endpoint: reachable from the SageMaker model only",
                allow_all_outbound=False,
            )
            endpoint = ec2.InterfaceVpcEndpoint(
                scope,
                "ElasticInferenceEndpoint",
                vpc=self.vpc,
                service=ec2.InterfaceVpcEndpointAwsService(EI_RUNTIME_SERVICE),
                subnets=ec2.SubnetSelection(subnets=list(subnets)),
                security_groups=[endpoint_group],
                private_dns_enabled=True,
                open=False,
            )
        # Ingress on the endpoint's group from the client group, and egress on the client group to it.
        endpoint.connections.allow_from(client, ec2.Port.tcp(HTTPS), "SageMaker model to Elastic Inference")
        return client

    def _security_group(
        self, scope: Construct, construct_id: str, description: str, allow_all_outbound: bool
    ) -> ec2.SecurityGroup:
        from aws_cdk import aws_ec2 as ec2

        return ec2.SecurityGroup(
            scope, construct_id, vpc=self.vpc, description=description, allow_all_outbound=allow_all_outbound
        )

    def availability_zones(self) -> list[str] | None:
        """The distinct Availability Zones of the selected subnets; None when any is unknown at synth."""
        zones = []
        for subnet in self.selected_subnets():
            try:
                zone = subnet.availability_zone
            except RuntimeError:  # an imported subnet without its zone: jsii raises on access
                return None
            if not is_known(zone):
                return None
            zones.append(zone)
        return sorted(set(zones))

    def problems(self, *, elastic_inference: bool) -> list[str]:
        if not self.selected_subnets():
            if self.vpc_subnets is None:
                return ["vpc.vpc_subnets: the VPC has no private or isolated subnets; pass vpc_subnets explicitly"]
            return ["vpc.vpc_subnets: the selection matches no subnet of the VPC"]
        if elastic_inference and self.elastic_inference_endpoint is None:
            zones = self.availability_zones()
            if zones is not None and len(zones) < MIN_EI_AVAILABILITY_ZONES:
                return [
                    "vpc.vpc_subnets: Elastic Inference in a VPC needs subnets in at least "
                    f"{MIN_EI_AVAILABILITY_ZONES} Availability Zones (AWS: 'EI fails if you do not set up at least "
                    f"two'), got {zones}"
                ]
        return []
