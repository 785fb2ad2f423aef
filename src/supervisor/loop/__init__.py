"""`supervisor loop`: drive a coding agent through the plan, iteration after iteration.

``session`` runs the iterations and the roles, ``turn`` the supervisor and agent turns,
``state`` the hand-off file and its lease, ``sync`` the whitelist and git, ``stall`` the stall
guard, ``journal`` the per-iteration logs.
"""

from supervisor.loop.session import LoopOptions, LoopResult, run_loop

__all__ = ["LoopOptions", "LoopResult", "run_loop"]
