"""Trace diff: read two traces of the same computation, align their taps, find where they part.

* ``model``     — frozen :class:`Trace` (columnar, ordered taps) and :class:`Tap` models;
* ``parse``     — ``read_trace``: text traces (``text``), ``.npy``/``.npz``, APRT, directories;
* ``tolerance`` — the tolerance / gate / waiver / alias model and its resolution (file schema);
* ``settings``  — a policy from ``--config FILE`` and command-line values;
* ``measure``   — raw statistics, batched over small taps, chunked over large ones;
  ``metrics`` — the reported metrics derived from them; ``topk`` — the most differing
  elements; ``gates`` — pass/fail and its reasons;
* ``compare``   — ``diff_traces``: alignment, statuses, first divergence, largest jump (pure);
  ``result`` — the :class:`DiffResult` it returns;
* ``document``  — the versioned JSON document (``--json``, ``metrics.json``);
* ``report``    — terminal table, ``summary.md``, the ``--out`` bundle; ``plot`` —
  ``divergence.png`` (matplotlib, Agg canvas, imported only there).

Nothing here prints or exits. numpy is imported by these modules, so import them only where
a trace is actually diffed (``supervisor trace diff`` imports them inside the command).
"""
