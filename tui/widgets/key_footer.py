"""The footer of every screen: Textual's ``Footer``, its keys changed in place rather than composed again.

Textual's footer recomposes (a styled widget per key, all removed and mounted again) whenever the screen's bindings
are refreshed — on every focus change and every time a screen is shown again — even when it shows the very same keys:
a `back` to the dashboard paid a fifth of its time for it, and a cleared filter (the focus back on the table, whose
enter adds "⏎ Trace") ~20 ms of ~70 at 1,000 vClusters. ``KeyFooter`` does nothing when the keys are the same, and
otherwise updates its key widgets in place (adding the keys it lacks, hiding those it has too many); bindings in
groups, which Footer shows in groups, are composed by Footer as before. While the `/` filter bar is typed into it
lies over the footer, which is then left as it is (``_covered``)."""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui.widgets.filter_bar import FilterBar

Shown = tuple[Binding, bool, str]  # a key the footer shows: its binding, whether enabled, its tooltip


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
        if self._composed is not None and self._covered(screen):
            return  # out of sight: left as it is, compared again once uncovered (the focus leaving the bar says so)
        if self._composed is not None and self.is_attached and screen is self.screen:
            keys = shown_keys(screen)
            if keys == self._composed:
                return  # the same keys: nothing to do
            if self._change_in_place(screen):
                self._composed = keys
                return
        super().bindings_changed(screen)  # Footer's own: composes again (when the app has focus)

    def _covered(self, screen: Screen) -> bool:
        """Whether the `/` filter bar being typed into lies over the footer (app.tcss: ``FilterBar.-open:focus``). Its
        keys then are the Input's — every printable key typed, enter and escape, which the bar's own text names — and
        the footer showed none of the table's; showing none and then the same ones again when escape gave the focus
        back laid the footer out and drew it again inside both key presses (issue 15: ~15 of escape's ~50 ms of the UI
        thread at 1,000 vClusters). Covered, it keeps the keys it shows, out of sight; when the focus leaves the bar,
        the screen's bindings are published again and they are compared as ever (the same keys: nothing to do)."""
        return screen is self.screen and isinstance(screen.focused, FilterBar) and screen.focused.is_open

    def _change_in_place(self, screen: Screen) -> bool:
        """Show the screen's keys by changing the key widgets there are (in the order ``Footer.compose`` yields
        them: one per action, its first binding; the command palette's last). False when the footer holds
        anything else, or a binding is in a group (Footer composes those)."""
        first: dict[str, Shown] = {}
        palette: Shown | None = None
        for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items():
            if binding.group is not None:
                return False
            if binding.show:
                first.setdefault(binding.action, (binding, enabled, tooltip))
            if key == self.app.COMMAND_PALETTE_BINDING:
                palette = (binding, enabled, tooltip)
        wanted = list(first.values())
        widgets = list(self.children)
        if not all(isinstance(w, FooterKey) for w in widgets):
            return False
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        palette_keys = [w for w in widgets if isinstance(w, FooterKey) and w.has_class("-command-palette")]
        show_palette = self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE and palette is not None
        if len(palette_keys) != (1 if show_palette else 0):
            return False
        for widget, shown in zip(keys, wanted, strict=False):
            self._set(widget, shown)
            widget.display = True
        for widget in keys[len(wanted) :]:
            widget.display = False  # kept for the keys that come back (the filter bar's footer has none of them)
        added = [self._key(shown) for shown in wanted[len(keys) :]]
        if added:
            self.mount_all(added, before=palette_keys[0] if palette_keys else None)
        if palette_keys and palette is not None:
            self._set(palette_keys[0], palette)
        return True

    def _key(self, shown: Shown) -> FooterKey:
        """A key widget as ``Footer.compose`` makes it."""
        binding, enabled, tooltip = shown
        key = FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            binding.action,
            disabled=not enabled,
            tooltip=tooltip,
        )
        key.compact = self.compact  # compose data-binds it to the footer's; the dashboard never changes it
        return key

    def _set(self, widget: FooterKey, shown: Shown) -> None:
        """Make ``widget`` show ``shown`` as a FooterKey made for it would."""
        binding, enabled, tooltip = shown
        display = self.app.get_key_display(binding)
        palette = widget.has_class("-command-palette")
        tip = (binding.tooltip or binding.description) if palette else tooltip
        same = (widget.key, widget.key_display, widget.description, widget.action, widget._disabled) == (
            binding.key,
            display,
            binding.description,
            binding.action,
            not enabled,
        )
        if same and widget.tooltip == (tip or None):
            return
        widget.key, widget.key_display, widget.description, widget.action = (
            binding.key,
            display,
            binding.description,
            binding.action,
        )
        widget._disabled = not enabled
        widget.set_class(not enabled, "-disabled")
        widget.tooltip = tip or None
        widget.refresh(layout=True)
