"""The top line of every screen: which platform, read-only or the clock's state, the lab's simulated time,
and the active faults — in live mode, the cluster's context and server instead of a clock."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class LabHeader(Widget):
    def on_mount(self) -> None:
        for name in ("lab_time", "playing", "faults", "platform_name"):
            self.watch(self.app, name, self._changed, init=False)

    def _changed(self, _value: object = None) -> None:
        self.refresh()

    def render(self) -> Text:
        app = self.app
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(" kratix-lab ", style="bold")
        if getattr(app, "live", False):
            if getattr(app, "read_only", False):
                t.append(" read-only ", style="bold black on yellow")
            else:
                t.append(" live: writes allowed ", style="bold white on red")
            t.append(f" {getattr(app, 'platform_name', '') or 'connecting…'}", style="bold")
            return t
        if getattr(app, "read_only", False):
            t.append(" read-only ", style="bold black on yellow")
        elif getattr(app, "playing", False):
            t.append(" ▶ playing ", style="bold black on green")
        else:
            t.append(" ‖ paused ", style="bold black on bright_white")
        t.append(f" {getattr(app, 'lab_time', '')} ", style="bold")
        faults = getattr(app, "faults", ())
        if faults:
            t.append(f" ⚠ {', '.join(faults)} ", style="bold white on red")
        lab = str(getattr(app, "lab_path", ""))
        room = self.size.width - t.cell_len - 5
        if room < len(lab):
            lab = ("…" + lab[-(room - 1) :]) if room > 8 else ""
        if lab:
            t.append(f" lab {lab}", style="dim")
        return t
