"""Where the model's containers sit on the network: isolated, and optionally inside a VPC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class VpcPlacement:
    """Run the model in ``vpc``.

    :param subnets: Default: the VPC's private subnets, or its isolated ones when it has no private ones.
    :param security_groups: Default: one is created that allows all outbound traffic and no inbound.
    """

    vpc: ec2.IVpc
    subnets: Sequence[ec2.ISubnet] | None = None
    security_groups: Sequence[ec2.ISecurityGroup] | None = None

    def bind(self, scope: Construct) -> sagemaker.CfnModel.VpcConfigProperty:
        groups = list(self.security_groups or ())
        if not groups:
            groups.append(
                ec2.SecurityGroup(
                    scope,
                    "SecurityGroup",
                    vpc=self.vpc,
                    description="SageMaker endpoint model containers",
                    allow_all_outbound=True,
                )
            )
        subnets = self.subnets or self.vpc.private_subnets or self.vpc.isolated_subnets
        return sagemaker.CfnModel.VpcConfigProperty(
            subnets=[s.subnet_id for s in subnets], security_group_ids=[g.security_group_id for g in groups]
        )

    def problems(self) -> list[str]:
        if self.subnets is not None and not self.subnets:
            return ["vpc.subnets: expected at least one subnet, got []"]
        if self.subnets is None and not (self.vpc.private_subnets or self.vpc.isolated_subnets):
            return ["vpc.subnets: the VPC has no private or isolated subnets; pass subnets explicitly"]
        return []
