"""The create form's widgets: one field (its label, input, help and problems) and a nested section of the
schema that builds its fields the first time it opens (``tui.screens.create`` lays them out)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Collapsible, Input, Select, Static, TextArea

from kratix_lab import forms
from kratix_lab.forms import FormField, FormSection


def widget_id(path: str) -> str:
    """A DOM id for a field or section path (ids cannot hold dots)."""
    return "field-" + path.replace(".", "--")


def section_id(path: str) -> str:
    return "section-" + path.replace(".", "--")


class FieldBox(Vertical):
    """One field of the form: its name and type, the input, the schema's help, and its problems."""

    def __init__(self, field: FormField) -> None:
        super().__init__(classes="field")
        self.field = field
        self.problems: list[str] = []

    def compose(self) -> ComposeResult:
        f = self.field
        label = Text(f.name, style="bold")
        if f.required:
            label.append(" *", style="bold red")
        label.append(f"  {self._type_hint()}", style="dim")
        if f.help:
            label.append("\n" + f.help, style="dim")
        yield Static(label, classes="field-label")
        yield self._make_input()
        yield Static("", classes="field-error")

    def _type_hint(self) -> str:
        f = self.field
        if f.kind == forms.ENUM and f.allowed:
            return " | ".join(str(v) for v in f.allowed)
        return f.type or f.kind

    def _make_input(self) -> Widget:
        f, wid = self.field, widget_id(self.field.path)
        if f.kind in (forms.ENUM, forms.BOOLEAN):
            choices = [str(v) for v in f.allowed] if f.kind == forms.ENUM and f.allowed else ["true", "false"]
            prompt = f.placeholder if f.default is not None else "not set"
            return Select([(c, c) for c in choices], prompt=prompt, allow_blank=True, id=wid, compact=True)
        if f.kind == forms.YAML:
            return TextArea(
                "", id=wid, show_line_numbers=True, placeholder=f.placeholder, compact=True, tab_behavior="indent"
            )
        return Input(placeholder=f.placeholder, id=wid, compact=True)

    @property
    def input(self) -> Widget:
        return self.query_one(f"#{widget_id(self.field.path)}")

    @property
    def value(self) -> str | None:
        w = self.input
        if isinstance(w, Select):
            return None if w.is_blank() else str(w.value)
        if isinstance(w, TextArea):
            return w.text
        assert isinstance(w, Input)
        return w.value

    def set_value(self, value: str | None) -> None:
        w = self.input
        if isinstance(w, Select):
            if value is None or value == "":
                w.clear()
            else:
                w.value = value
        elif isinstance(w, TextArea):
            w.text = value or ""
        else:
            assert isinstance(w, Input)
            w.value = value or ""

    def show_problems(self, messages: list[str]) -> None:
        if messages == self.problems:
            return
        self.problems = list(messages)
        self.query_one(".field-error", Static).update(Text("\n".join(messages)))
        self.set_class(bool(messages), "-invalid")


def section_children(section: FormSection, *, open_all: bool = False) -> list[Widget]:
    """What a section shows: its description, its fields, and its sub-sections (closed unless ``open_all``)."""
    children: list[Widget] = []
    if section.description:
        children.append(Static(Text(section.description), classes="section-help"))
    children += [FieldBox(f) for f in section.fields]
    children += [SectionView(sub, collapsed=not open_all, open_all=open_all) for sub in section.sections]
    return children


class SectionView(Collapsible):
    """A nested object of the schema. Its fields are built the first time it opens: a closed
    section costs one line, so the form opens quickly however large the schema is."""

    def __init__(self, section: FormSection, *, collapsed: bool = True, open_all: bool = False) -> None:
        title = section.name + (" *" if section.required else "")
        super().__init__(
            *(section_children(section, open_all=open_all) if not collapsed else []),
            title=title,
            collapsed=collapsed,
            id=section_id(section.path),
        )
        self.section = section
        self.filled = not collapsed

    async def fill(self, *, open_all: bool = False) -> bool:
        """Build the section's contents (with ``open_all``, its sub-sections open and built too);
        False when they were already there."""
        if self.filled:
            return False
        self.filled = True
        await self.query_one(Collapsible.Contents).mount_all(section_children(self.section, open_all=open_all))
        return True
