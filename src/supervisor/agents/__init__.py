"""Coding agents plugged into supervisor: `supervisor setup AGENT` writes (or prints) the
instructions, hooks and MCP server entries each agent reads; loop presets live in
:mod:`supervisor.loop.presets`."""

from supervisor.agents.setup import AGENTS, FileChange, SetupPlan, apply, plan

__all__ = ["AGENTS", "FileChange", "SetupPlan", "apply", "plan"]
