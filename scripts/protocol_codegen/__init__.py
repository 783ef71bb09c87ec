"""The generators behind ``scripts/generate_protocol.py``: one module per output language."""
