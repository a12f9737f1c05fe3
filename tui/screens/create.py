"""Create a request (the "Create vCluster" flow): a form generated from the Promise's schema.

A thin view of ``kratix_lab.forms``: the form model decides the fields, the conversions, the
validation (the schema engine's own messages, at the field they are about), the preview (the
pipelines run locally: the orchestrator's seven sub-requests) and the submit (a commit to the
gitops repo, only when nothing is wrong). Empty inputs mean "not set": the placeholder shows the
default that then applies.

The screen never touches the platform: the model, every validation (at each change: names in use and
the platform's admission need its objects and gitops repo) and the submit are jobs on the dashboard's
workers (``tui.jobs``: the reader validates, the writer commits), through ``Source`` + ``Actions`` — the
lab's or, in live mode, a cluster's (a GitOps commit to its gitops repo).

The form's widgets — a field (``FieldBox``) and a section built when it first opens (``SectionView``) — are in
``tui.widgets.form_fields``; this screen lays them out, validates, previews and submits.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Collapsible,
    Header,
    Input,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from kratix_lab import forms
from kratix_lab.forms import FormInvalid, FormModel, FormResult, Preview
from tui import jobs
from tui import messages as msg
from tui.host import lab_app
from tui.widgets.form_fields import FieldBox, SectionView, section_children, section_id
from tui.widgets.form_fields import widget_id as widget_id  # the form's widgets are found here too (tests)
from tui.widgets.key_footer import KeyFooter

INTRO = (
    "Empty fields are not set: the default shown in grey applies (or the preset decides). "
    "Maps are key=value, key=value; free-form objects are YAML. "
    "ctrl+r previews what the pipelines render; ctrl+s commits the request to the gitops repo."
)


EDIT_INTRO = (
    "The request as committed to the gitops repo. Change what you need; empty fields are not set (the default "
    "applies). ctrl+s validates it as a new request is, then shows the diff of the file; y commits it."
)


class CreateScreen(Screen[forms.Submitted | None]):
    """Create a request of ``promise`` (a vCluster) through the GitOps path; dismissed with the commit or None."""

    TITLE = "Create vCluster"

    BINDINGS: ClassVar[list[Binding]] = [
        Binding("ctrl+s", "submit", "Submit"),
        Binding("ctrl+r", "preview", "Preview"),
        Binding("ctrl+o", "toggle_sections", "Open/close sections"),
        Binding("escape", "cancel", "Cancel"),
        # the dashboard's `c` opens this screen; here it must not open a second one
        Binding("c", "already_creating", show=False),
    ]

    DEFAULT_CSS = """
    CreateScreen #create-form { height: 1fr; padding: 0 1; }
    CreateScreen #intro { color: $text-muted; margin-bottom: 1; }
    CreateScreen #form-problems { color: $error; display: none; margin-bottom: 1; }
    CreateScreen #form-problems.-shown { display: block; }
    CreateScreen .field { height: auto; margin-bottom: 1; }
    CreateScreen .field-error { color: $error; display: none; }
    CreateScreen .field.-invalid .field-error { display: block; }
    CreateScreen .field.-invalid Input, CreateScreen .field.-invalid SelectCurrent,
    CreateScreen .field.-invalid TextArea { background: $error 20%; }
    CreateScreen .field TextArea { height: auto; min-height: 3; max-height: 12; }
    CreateScreen .section-help { color: $text-muted; margin-bottom: 1; }
    CreateScreen Collapsible { padding-left: 1; }
    CreateScreen #create-buttons { height: auto; margin: 1 0; }
    CreateScreen #create-buttons Button { margin-right: 2; }
    CreateScreen #preview-status { height: auto; max-height: 8; margin-bottom: 1; }
    CreateScreen #preview-objects { height: auto; max-height: 9; border: none; padding: 0; }
    CreateScreen #preview-objects:focus { border: none; }
    CreateScreen #preview-yaml-scroll { height: 1fr; border-top: solid $primary; }
    CreateScreen #read-only { padding: 1 2; color: $warning; }
    """

    def __init__(
        self,
        promise: str = "vcluster-orchestrator",
        *,
        edit: str | None = None,
        focus_hints: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        """``edit``: the name of a request in the gitops repo to edit (the form prefilled from its file, the
        name fixed, a diff before the commit); ``focus_hints``: texts that may name the field to start in
        (a finding's fix: "raise vcluster.resources.limits.memory")."""
        super().__init__(**kwargs)
        self.promise = promise
        self.edit = edit
        self.focus_hints = focus_hints
        self._edit_values: dict[str, str] = {}
        self.model: FormModel | None = None
        self.refusal: str | None = None
        self.result: FormResult | None = None
        self.last_preview: Preview | None = None
        self._touched: set[str] = set()
        self._show_all = False
        self._ready = False
        self._preview_yaml: dict[str, str] = {}
        self._boxes: dict[str, FieldBox] = {}
        self._pending: dict[str, str] = {}  # values of fields whose section has not been opened yet
        self._catalogue: Any = None
        self._validations = 0  # the number of the latest validation asked for: only its answer is shown

    # ---- building the form -------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        return lab_app(self).read_only

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#create-tabs", TabbedContent)

    @property
    def form_problems(self) -> Static:
        return self.query_one("#form-problems", Static)

    @property
    def preview_status(self) -> Static:
        return self.query_one("#preview-status", Static)

    @property
    def preview_objects(self) -> OptionList:
        return self.query_one("#preview-objects", OptionList)

    def compose(self) -> ComposeResult:
        yield Header()
        if self.read_only:
            self.refusal = "Read-only mode: creating requests is disabled (nothing can be written). Escape goes back."
            yield Static(self.refusal, id="read-only")
        else:
            yield Static(Text(f"Reading the {self.promise} Promise's API…", style="italic"), id="loading")
        yield KeyFooter()

    def on_mount(self) -> None:
        if not self.read_only:
            self._load()

    @work(exclusive=True, group="form-load")
    async def _load(self) -> None:
        """The form's model (and an edit's values from git) read on the reader, then the form built."""
        try:
            start = await lab_app(self).read(jobs.read_form_start(self.promise, self.edit))
        except Exception as e:  # the platform cannot be read
            start = jobs.FormStart(None, f"{e}.")
        if not self.is_attached:
            return
        loading = self.query("#loading")
        if start.model is None:
            self.refusal = f"{start.refusal} Escape goes back."
            await self.mount(Static(self.refusal, id="read-only"), before=self.query_one(KeyFooter))
            await loading.remove()
            self.refresh_bindings()
            return
        self.model, self._edit_values, self._catalogue = start.model, start.values, start.catalogue
        self.title = f"Create {self.model.kind}" if self.model.kind != "VClusterOrchestrator" else "Create vCluster"
        self.sub_title = f"{self.model.kind} → the gitops repo"
        if self.edit is not None:
            self.title = f"Edit {self.model.kind} {self.edit}"
            self.sub_title = "from the gitops repo; ctrl+s shows the diff, y commits it"
        with self.app.batch_update():
            await self.mount(self._form(self.model), before=self.query_one(KeyFooter))
            await loading.remove()
        if self.edit is not None:
            self.set_values(self._edit_values)
        self._register_boxes()
        self.refresh_bindings()
        self.call_after_refresh(self._become_ready)
        self._warm_up()

    def _form(self, model: FormModel) -> TabbedContent:
        tabs = TabbedContent(id="create-tabs")
        for pane in (
            TabPane(
                "Form",
                VerticalScroll(
                    Static(INTRO if self.edit is None else EDIT_INTRO, id="intro"),
                    Static("", id="form-problems"),
                    SectionView(model.metadata, collapsed=False),
                    *section_children(model.spec),  # the spec's own fields lie open
                    Horizontal(
                        Button("Submit (ctrl+s)", id="submit", variant="primary"),
                        Button("Preview (ctrl+r)", id="preview"),
                        Button("Cancel (esc)", id="cancel"),
                        id="create-buttons",
                    ),
                    id="create-form",
                ),
                id="form-tab",
            ),
            TabPane(
                "Preview",
                Static("", id="preview-status"),
                OptionList(id="preview-objects"),
                VerticalScroll(Static("", id="preview-yaml"), id="preview-yaml-scroll"),
                id="preview-tab",
            ),
        ):
            tabs.compose_add_child(pane)  # as `with TabbedContent(): with TabPane(…)` in a compose
        return tabs

    @work(thread=True, group="warm-up")
    def _warm_up(self) -> None:
        """Import the pipelines' SDK (and the kubernetes client under it) while the user types: the
        first preview is then quick."""
        import kratix_lab.pipeline.entrypoint  # noqa: F401

    async def _become_ready(self) -> None:
        self._ready = True
        if self.edit is not None:
            for path in ("metadata.name", "metadata.namespace"):  # an edit keeps the request's name
                if path in self._boxes:
                    self._boxes[path].input.disabled = True
            target = self._hinted_field()
            if target is not None:
                box = await self.reveal(target)
                box.input.focus()
                return
        # typing starts in the one field a vCluster needs (metadata.name follows spec.name when left empty)
        first = self._boxes.get("spec.name") or next(iter(self._boxes.values()), None)
        if first is not None:
            first.input.focus()

    def _hinted_field(self) -> str | None:
        """The first form field a focus hint names (``vcluster.resources.limits.memory`` is spec's)."""
        assert self.model is not None
        paths = {f.path for f in self.model.fields()}
        for hint in self.focus_hints:
            for word in re.findall(r"[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)+", hint):
                for path in (word, f"spec.{word}"):
                    if path in paths:
                        return path
        return None

    # ---- values and validation ---------------------------------------------------------------

    def _register_boxes(self) -> None:
        self._boxes = {box.field.path: box for box in self.query(FieldBox)}
        for path in [p for p in self._pending if p in self._boxes]:
            self._boxes[path].set_value(self._pending.pop(path))

    def field_boxes(self) -> dict[str, FieldBox]:
        """The fields built so far (those of closed sections are built when they first open)."""
        return self._boxes

    def values(self) -> dict[str, str | None]:
        return {**self._pending, **{path: box.value for path, box in self._boxes.items()}}

    def set_values(self, values: dict[str, str]) -> None:
        """Fill fields (e.g. from an existing request with ``forms.values_from_request``)."""
        assert self.model is not None
        for path, value in values.items():
            self.model.field(path)  # an unknown field is an error, not a silent no-op
            if path in self._boxes:
                self._boxes[path].set_value(value)
            else:
                self._pending[path] = value

    async def reveal(self, path: str) -> FieldBox:
        """Open the sections down to a field (building them) and return its box."""
        assert self.model is not None
        keys = self.model.field(path).keys
        for i in range(1, len(keys)):
            for view in self.query(f"#{section_id('.'.join(keys[:i]))}").results(SectionView):
                view.collapsed = False
                if await view.fill():
                    self._register_boxes()
        return self._boxes[path]

    @on(Collapsible.Expanded)
    async def _section_opened(self, event: Collapsible.Expanded) -> None:
        if isinstance(event.collapsible, SectionView) and await event.collapsible.fill():
            self._register_boxes()
            if self._show_all:
                self._validate_soon()

    async def validate(self, *, show_all: bool = False) -> FormResult:
        """Validate everything (``forms.validate`` on the reader: the platform's names and admission); show
        problems at the fields touched so far (all of them with ``show_all``). An answer overtaken by a later
        validation is returned, not shown."""
        assert self.model is not None
        self._show_all = self._show_all or show_all
        self._validations += 1
        number = self._validations
        result = await lab_app(self).read(jobs.validate_form(self.model, self.values(), self.edit))
        if number == self._validations and self.is_attached:
            self.result = result
            self._show_result()
        return result

    @work(exclusive=True, group="validate")
    async def _validate_soon(self) -> None:
        """A validation after a change (exclusive: a newer change's replaces it)."""
        await self.validate()

    def _show_result(self) -> None:
        assert self.result is not None
        by_field = self.result.by_field()
        name_follows = not self._boxes["metadata.name"].value if "metadata.name" in self._boxes else False
        focused = self.app.focused
        for path, box in self._boxes.items():
            before = box.problems
            box.show_problems(by_field.get(path, []) if self._visible(path, name_follows) else [])
            if box.problems != before and focused is not None and box in focused.ancestors_with_self:
                # the answer came after the focus did: the problem that appeared under the field comes into view too
                self.call_after_refresh(self._problems_in_view, box)
        # problems of the whole form, of a section, or of a field not built yet
        shown = [p.message for p in self.result.problems if p.field not in self._boxes] if self._show_all else []
        panel = self.form_problems
        panel.update(Text("\n".join(shown)))
        panel.set_class(bool(shown), "-shown")

    def _problems_in_view(self, box: FieldBox) -> None:
        if box.is_attached and box.problems:
            box.query_one(".field-error").scroll_visible(animate=False, immediate=True)

    def _visible(self, path: str, name_follows: bool) -> bool:
        if self._show_all or path in self._touched:
            return True
        # metadata.name left empty follows spec.name: its problems (a name in use) show with spec.name's
        return path == "metadata.name" and name_follows and "spec.name" in self._touched

    def _touch(self, widget: Widget | None) -> None:
        box = next((a for a in (widget.ancestors_with_self if widget else []) if isinstance(a, FieldBox)), None)
        if box is None or not self._ready or self.model is None:
            return
        self._touched.add(box.field.path)
        self._validate_soon()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Input.Changed | Select.Changed | TextArea.Changed) -> None:
        self._touch(event.control)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """The focused field in view — its label, input and problems — however it got the focus (tab, a click,
        a problem pointed at, a section just built): issue 17.10."""
        box = next((a for a in event.widget.ancestors_with_self if isinstance(a, FieldBox)), None)
        if box is not None:
            self._keep_in_view(box, 30)

    def _keep_in_view(self, box: FieldBox, tries: int, stable: int = 0) -> None:
        # a field in a section just built has no size, and the form no room to scroll to it, until the next
        # layouts: Textual's scroll_visible then does nothing (it checks the widget's size), so scroll again
        # after each refresh until the input has been inside the form's visible part three refreshes running
        # (a scroll the focus itself asked for, from the stale layout, may land after ours: an animated one is
        # waited for)
        focused = self.app.focused
        if not box.is_attached or focused is None or box not in focused.ancestors_with_self:
            return
        form = self.query_one("#create-form", VerticalScroll)
        if self.app.animator.is_being_animated(form, "scroll_y"):
            stable = 0  # Textual's own scroll to the focus (animated, from the layout of its time) is still moving
        elif box.size and form.content_region.contains_region(focused.region):
            stable += 1
        else:
            stable = 0
            if box.size:
                form.scroll_to_widget(
                    box, animate=False, top=True, immediate=True
                )  # at the top: label, input, problems
        if stable >= 3 or tries <= 0:
            return
        self.call_after_refresh(self._keep_in_view, box, tries - 1, stable)
        self.refresh()  # a refresh must come for the check after it to run

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # leaving a field that is still empty is not an edit: the form opens with spec.name focused, and clicking
        # elsewhere must not flag it "Required" before anything was typed (submit shows every problem)
        box = next((a for a in event.widget.ancestors_with_self if isinstance(a, FieldBox)), None)
        if box is not None and not box.value:
            return
        self._touch(event.widget)

    # ---- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in ("submit", "preview", "toggle_sections") and self.model is None)

    def action_already_creating(self) -> None:
        """`c` outside an input: this is the create screen already."""

    def action_cancel(self) -> None:
        """Leave without writing anything."""
        self.dismiss(None)

    async def action_toggle_sections(self) -> None:
        """Open every section (building them all), or close them all when all are open."""
        assert self.model is not None
        views = list(self.query(SectionView))
        expand = any(v.collapsed for v in views) or any(not v.filled for v in views)
        if not expand:
            for v in views:
                v.collapsed = True
            return
        with self.app.batch_update():  # one mount per unbuilt section, its sub-sections built open with it
            for v in views:
                await v.fill(open_all=True)
                v.collapsed = False
        self._register_boxes()

    async def action_preview(self) -> None:
        tabs = self.tabs
        if tabs.active == "preview-tab":
            await self.refresh_preview()  # again: the form may have changed
        tabs.active = "preview-tab"

    @on(TabbedContent.TabActivated, pane="#preview-tab")
    async def _preview_tab(self) -> None:
        self.preview_objects.focus()
        await self.refresh_preview()

    async def action_submit(self) -> None:
        if self.model is None or self.read_only:
            self.notify("Read-only mode: nothing can be written", severity="warning")
            return
        result = await self.validate(show_all=True)
        if not result.ok:
            await self._point_at_problems(result)
            return
        if self.edit is not None:
            await self._confirm_edit(result)
            return
        await self._submit()

    async def _confirm_edit(self, result: FormResult) -> None:
        """The edit's diff against the file in git (read on the reader); committed only when confirmed."""

        assert self.model is not None and self.edit is not None
        try:
            diff = await lab_app(self).read(jobs.read_edit_diff(self.model, result, self.edit))
        except forms.FormError as e:
            self._show_form_problem(str(e))
            return
        if not diff:
            self.notify("no change: the form holds what the gitops repo has; nothing to commit", severity="warning")
            return

        def answered(yes: bool) -> None:
            if yes:
                self._submit_confirmed()

        self.post_message(
            msg.ConfirmEdit(f"Commit this change to {self.model.kind} {self.edit} in the gitops repo?", diff, answered)
        )

    @work(exclusive=True, group="submit")
    async def _submit_confirmed(self) -> None:
        await self._submit()

    async def _submit(self) -> None:
        assert self.model is not None
        try:
            done = await lab_app(self).write(jobs.submit_form(self.model, self.values(), self.edit))
        except FormInvalid as e:  # the platform changed in between (a name taken meanwhile)
            await self._point_at_problems(e.result)
            return
        except Exception as e:  # the platform refused the commit: say so, nothing was written
            self._show_form_problem(f"{type(e).__name__}: {e}")
            self.notify(f"Not submitted: {e}", severity="error", timeout=8)
            return
        self.notify(
            f"Committed {done.path} ({(done.sha or 'unchanged')[:8]}) to the gitops repo"
            + ("; Argo CD applies it, then Kratix re-runs the request's workflows" if self.edit else "")
        )
        self.dismiss(done)  # the app opens the request's detail (an edit's detail below reads it again)

    @on(Button.Pressed, "#submit")
    async def _submit_pressed(self) -> None:
        await self.action_submit()

    @on(Button.Pressed, "#preview")
    async def _preview_pressed(self) -> None:
        await self.action_preview()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def _show_form_problem(self, message: str) -> None:
        panel = self.form_problems
        panel.update(Text(message))
        panel.add_class("-shown")

    async def _point_at_problems(self, result: FormResult) -> None:
        """Open the sections holding problems, focus the first one, and say nothing was written."""
        assert self.model is not None
        self.tabs.active = "form-tab"
        fields = {f.path for f in self.model.fields()}
        first: FieldBox | None = None
        for p in result.problems:
            if p.field not in fields:
                continue
            box = await self.reveal(p.field)
            box.show_problems(result.messages_for(p.field))
            first = first or box
        await self.validate(show_all=True)  # fields just built may hold problems too; the panel keeps the rest
        if first is not None:
            first.input.focus()
            self.call_after_refresh(first.scroll_visible)
        else:
            self.query_one("#create-form", VerticalScroll).scroll_home()
        n = len(result.problems)
        self.notify(f"{n} problem{'s' if n != 1 else ''}: nothing was written", severity="error")

    # ---- preview -------------------------------------------------------------------------------

    async def refresh_preview(self) -> None:
        if self.model is None:
            return
        result = await self.validate(show_all=True)
        status = self.preview_status
        self._preview_yaml = {"request": result.request_yaml}
        objects = self.preview_objects
        objects.clear_options()
        objects.add_option(Option(f"{result.kind}/{result.name or '?'}  the request, as committed", id="request"))
        objects.highlighted = 0
        if not result.ok:
            n = len(result.problems)
            status.update(
                Text(
                    f"{n} problem{'s' if n != 1 else ''} in the form; fix them to see what the pipelines render:\n"
                    + "\n".join(p.message for p in result.problems),
                    style="red",
                )
            )
            self._show_yaml("request")
            return
        status.update(Text("Rendering the request's pipelines locally…", style="italic"))
        self._show_yaml("request")
        self._render_preview(result.request)

    @work(thread=True, exclusive=True, group="preview")
    def _render_preview(self, request: dict[str, Any]) -> None:
        preview = forms.preview(self._catalogue, request)  # pure: no platform, safe off the UI thread
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_preview, preview)

    def _show_preview(self, preview: Preview) -> None:
        self.last_preview = preview
        status = self.preview_status
        objects = self.preview_objects
        self._preview_yaml = {"request": preview.request_yaml, "admitted": preview.admitted_yaml}
        objects.clear_options()
        name = self.result.name if self.result else ""
        objects.add_option(
            Option(f"{self.model.kind if self.model else ''}/{name}  the request, as committed", id="request")
        )
        if preview.admitted_yaml:
            objects.add_option(Option("  … as admitted (the schema's defaults applied)", id="admitted"))
        for i, s in enumerate(preview.sub_requests):
            key = f"sub-{i}"
            writes = ", ".join(s.outputs)
            self._preview_yaml[key] = f"# its pipeline writes: {writes}\n" + s.yaml if writes else s.yaml
            if s.error:
                self._preview_yaml[key] = f"# error: {s.error}\n" + self._preview_yaml[key]
            mark, count = "✗" if s.error else "→", len(s.outputs)
            objects.add_option(Option(f"{mark} {s.kind}/{s.name}  ({count} object{'s' if count != 1 else ''})", id=key))
        n = len(preview.sub_requests)
        if preview.error:
            status.update(Text(f"The pipeline refused the request: {preview.error}", style="red"))
        else:
            status.update(Text(f"{n} sub-request{'s' if n != 1 else ''} rendered by the {self.promise} pipeline"))
        objects.highlighted = 0
        self._show_yaml("request")

    @on(OptionList.OptionHighlighted, "#preview-objects")
    def _object_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show_yaml(event.option.id)

    def _show_yaml(self, key: str) -> None:
        text = self._preview_yaml.get(key, "")
        self.query_one("#preview-yaml", Static).update(Syntax(text, "yaml", theme="ansi_dark", word_wrap=True))
