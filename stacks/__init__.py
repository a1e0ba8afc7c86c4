"""The per-environment stacks of this project and their checked-in configuration."""
