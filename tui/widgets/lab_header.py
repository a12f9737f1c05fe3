"""The top line of every screen: which platform, read-only or the clock's state, the lab's simulated time,
and the active faults — in live mode, the cluster's context and server instead of a clock."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.host import lab_app


class LabHeader(Widget):
    def on_mount(self) -> None:
        for name in ("live", "read_only", "lab_time", "playing", "faults", "platform_name"):  # the app's reactives
            self.watch(self.app, name, self._changed, init=False)

    def _changed(self, _value: object = None) -> None:
        self.refresh()

    def render(self) -> Text:
        app = lab_app(self)
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(" kratix-lab ", style="bold")
        if app.live:
            if app.read_only:
                t.append(" read-only ", style="bold black on yellow")
            else:
                t.append(" live: writes allowed ", style="bold white on red")
            t.append(f" {app.platform_name or 'connecting…'}", style="bold")
            return t
        if app.read_only:
            t.append(" read-only ", style="bold black on yellow")
        elif app.playing:
            t.append(" ▶ playing ", style="bold black on green")
        else:
            t.append(" ‖ paused ", style="bold black on bright_white")
        t.append(f" {app.lab_time} ", style="bold")
        faults = app.faults
        if faults:
            t.append(f" ⚠ {', '.join(faults)} ", style="bold white on red")
        lab = str(app.lab_path or "")
        room = self.size.width - t.cell_len - 5
        if room < len(lab):
            lab = ("…" + lab[-(room - 1) :]) if room > 8 else ""
        if lab:
            t.append(f" lab {lab}", style="dim")
        return t
