"""Helpers of scripts/eval-detectors: corpus rows as SDK telemetry, and the scoring."""
