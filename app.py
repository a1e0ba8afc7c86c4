#!/usr/bin/env python3
"""CDK entry point: `cdk synth` builds every environment (`-c env=prod` picks one);
`-c pipeline=true` builds the delivery pipeline instead."""

import os

import aws_cdk as cdk

from stacks.app_builder import build_app, build_pipeline_app
from stacks.app_errors import synth_or_exit

# Stack traces in annotations only point into jsii internals: leave them out of the warnings.
app = cdk.App(stack_traces=False)


def build_and_synth() -> None:
    if str(app.node.try_get_context("pipeline")).lower() == "true":
        build_pipeline_app(app)
    else:
        build_app(app, os.environ)
    app.synth()


synth_or_exit(app.outdir, build_and_synth)
