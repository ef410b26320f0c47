"""The SDK's version, sent as ``sdk_version`` on every execution."""

__version__ = "0.1.0"
SDK_LANGUAGE = "python"
