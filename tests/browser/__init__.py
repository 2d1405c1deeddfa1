"""Tests in a real browser (headless Chromium)."""
