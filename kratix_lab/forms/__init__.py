"""The request form generated from a Promise's API (being split: this step only moves forms.py)."""

from kratix_lab.forms.model import *  # noqa: F403
from kratix_lab.forms.model import __all__, edit_diff, edit_values, edited_text, plain_words, request_in_git  # noqa: F401
