"""Thin typer commands: map options to arguments, call one library function, render."""
