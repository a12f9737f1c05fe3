"""What a screen or a widget asks of the dashboard: typed messages posted up the DOM and handled by the app.

Messages up, state down — Textual's own rule ("attributes down, messages up",
https://textual.textualize.io/guide/widgets/#data-flow): a screen never calls the app to navigate or act; it
posts one of these (``self.post_message(OpenRequest(ref))``), the message bubbles from the screen to the app,
and ``KratixLabApp`` handles it with ``@on(OpenRequest)`` (``tui/app.py``, "messages from the screens"). The app
decides which screen to push, asks the writer to act, and says what happened. What the app knows flows down as
typed reactives read through ``tui.host.lab_app`` (read-only mode, live mode, the clock, the lab's time).

The pattern follows Textual's model apps: Posting's messages are dataclasses (darrenburns/posting
``src/posting/messages.py``: ``@dataclass class HttpResponseReceived(Message)``; ``widgets/collection/browser.py``
113-134: ``RequestSelected`` and friends), handled in its app with ``@on(...)`` (``src/posting/app.py`` 526-560,
commit 56703a1); Harlequin posts typed messages to its app for work it cannot do itself
(tconbeer/harlequin ``src/harlequin/driver.py``: ``HarlequinDriver.ConfirmAndExecute(callback, instructions)``,
``Notify``; handled with ``@on(HarlequinDriver.ConfirmAndExecute)`` in ``src/harlequin/app.py`` 489, commit
36a2286) — ``ConfirmEdit`` below is the same question-with-a-callback.

Every message has the namespace ``lab`` (handler names ``on_lab_open_request`` …), so none can collide with a
Textual widget's own handlers (an ``on_delete`` of a widget's) on its way up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from textual.message import Message

from kratix_lab.sources import Actions, Source
from tui.jobs import ObjectRef

# The full-screen pages about one object: kubectl describe, the object as stored, its logs.
Page = Literal["describe", "yaml", "logs"]


@dataclass(eq=False)
class OpenRequest(Message, namespace="lab"):
    """Open a request's detail: its road (the trace), verdict and findings (enter on a row; after a create)."""

    ref: ObjectRef


@dataclass(eq=False)
class ShowObject(Message, namespace="lab"):
    """Show one object's page — ``describe`` (d), ``yaml`` (y) or ``logs`` (l) — read by ``ref``."""

    ref: ObjectRef
    page: Page


@dataclass(eq=False)
class ShowPage(Message, namespace="lab"):
    """Show a page whose text a job reads (a trace node that is no stored object: a pipeline run, a commit)."""

    page: Page
    title: str
    job: Callable[[Source, Actions], str]


@dataclass(eq=False)
class Reconcile(Message, namespace="lab"):
    """Run a request's workflows again (r)."""

    ref: ObjectRef


@dataclass(eq=False)
class Delete(Message, namespace="lab"):
    """Delete a request (ctrl+d): the app shows what the delete removes and deletes only when confirmed."""

    ref: ObjectRef


@dataclass(eq=False)
class EditRequest(Message, namespace="lab"):
    """Edit a request in git (e): the create form prefilled from its file; ``focus_hints`` are texts that may
    name the field to start in (the findings' fixes)."""

    ref: ObjectRef
    focus_hints: tuple[str, ...] = ()


@dataclass(eq=False)
class ConfirmEdit(Message, namespace="lab"):
    """Ask whether to commit an edit, showing its ``diff``; ``answer`` gets True (commit) or False (cancel)."""

    title: str
    diff: str
    answer: Callable[[bool], None]


@dataclass(eq=False)
class FleetShown(Message, namespace="lab"):
    """The dashboard shows every row (its first paint is done): the app may build now what the next keys open (the
    request detail screen, so that the first enter does not wait for Textual to build it)."""


# Every message the app handles (tests/tui/test_messages.py checks each reaches its handler).
ALL: tuple[type[Message], ...] = (
    OpenRequest,
    ShowObject,
    ShowPage,
    Reconcile,
    Delete,
    EditRequest,
    ConfirmEdit,
    FleetShown,
)
