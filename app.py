#!/usr/bin/env python3
"""CDK entry point: `cdk synth` builds every environment; `-c env=prod` picks one."""

import os

import aws_cdk as cdk

from stacks.app_builder import build_app

# Stack traces in annotations only point into jsii internals: leave them out of the warnings.
app = cdk.App(stack_traces=False)
build_app(app, os.environ)
app.synth()
