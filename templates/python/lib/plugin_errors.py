"""The one exception the plugin turns into {"error": 1, "error_message": ...}."""


class PluginError(Exception):
    """Raise it with a message for the person reading the BitrixVM web interface."""
