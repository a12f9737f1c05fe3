"""Widgets of the dashboard, named after what the user sees."""
