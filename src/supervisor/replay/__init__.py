"""`supervisor replay`: run selection on each recorded turn of a loop's git history and
compare it with the brief the loop's own supervisor wrote."""
