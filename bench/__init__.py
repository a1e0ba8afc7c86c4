"""Synth benchmarks of this project (issue 6): `python -m bench.run` from the repository root.

Every measured synth runs in a fresh Python process started by the harness (`bench.measure`), so that
interpreter start-up, the jsii kernel (a Node.js child process) and loading the CDK assemblies are
counted, as they are when the CDK CLI runs `python3 app.py`.
"""
