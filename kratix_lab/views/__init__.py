"""Renderables shared by every front end: rich trees and tables, plain text, JSON-ready dicts."""
