"""Safe edits of workspace files: span edits (edits.py) and locked atomic writes (atomic.py)."""
