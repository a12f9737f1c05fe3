"""The footer of every screen: Textual's ``Footer``, recomposed only when the keys it shows change.

Textual's footer recomposes (a widget per key, each styled) whenever the screen's bindings are refreshed — on every
focus change and every time a screen is shown again — even when it would show the very same keys: a dashboard key
press paid for it (a fifth of the time a `back` to the dashboard took)."""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen) -> tuple[Hashable, ...]:
    """What ``Footer.compose`` shows of the screen's active bindings (every field it reads, and whether enabled)."""
    out: list[Hashable] = []
    for _node, binding, enabled, tooltip in screen.active_bindings.values():
        group = binding.group
        out.append(
            (
                binding.key,
                binding.key_display,
                binding.action,
                binding.description,
                binding.show,
                binding.tooltip,
                (group.description, group.compact) if group is not None else None,
                enabled,
                tooltip,
            )
        )
    return tuple(out)


class KeyFooter(Footer):
    _composed: tuple[Hashable, ...] | None = None  # the keys the footer shows now (``shown_keys``)

    def compose(self) -> ComposeResult:
        self._composed = shown_keys(self.screen) if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if (
            self._composed is not None
            and self.is_attached
            and screen is self.screen
            and shown_keys(screen) == self._composed
        ):
            return  # the same keys: nothing to compose again (else Footer's own, which composes when the app has focus)
        super().bindings_changed(screen)
