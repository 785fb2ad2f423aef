"""Briefs: context (typed), render (strict Jinja), make (select + build), outputs (cache)."""
