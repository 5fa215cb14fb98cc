"""The subscriber-facing web app: subscribe (double opt-in), RFC 8058 one-click
unsubscribe, preferences and the public archive. ``create_app`` is in ``app.py``.
"""
