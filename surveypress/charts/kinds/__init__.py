"""The kinds of chart, one module each (see kind.py for what a kind is, registry.py for their names)."""
