"""API endpoints of notes: a customer's notes (list, add), one note (change, delete)."""

from __future__ import annotations

from datetime import datetime

from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from saas.api import api
from saas.customers import notes
from saas.customers.notes import MAX_NOTE, CustomerNote


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    author_id: int | None = Field(description="Who wrote it")
    text: str
    created_at: datetime
    edited_at: datetime | None = Field(description="When the text was last changed; null: never")


class NotePage(BaseModel):
    items: list[NoteOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: last")


class NoteListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(max_length=MAX_NOTE * 2, description=f"At most {MAX_NOTE} characters")


@api.route(
    "/customers/<int:customer_id>/notes",
    "GET",
    summary="A page of a customer's notes, newest first",
    query=NoteListQuery,
    response=NotePage,
    errors={404: "No such customer (or not yours to see)"},
)
def list_notes(query: NoteListQuery, customer_id: int) -> NotePage:
    page = notes.list_notes(
        actor=current_user, customer_id=customer_id, cursor=query.cursor, limit=query.limit
    )
    return NotePage(items=[NoteOut.model_validate(n) for n in page.items], next_cursor=page.next)


@api.route(
    "/customers/<int:customer_id>/notes",
    "POST",
    summary="Add a note to a customer (counts as follow-up)",
    body=NoteIn,
    response=NoteOut,
    status=201,
    errors={
        403: "You may see this customer but not work on it",
        404: "No such customer (or not yours to see)",
    },
)
def add_note(body: NoteIn, customer_id: int) -> CustomerNote:
    return notes.add_note(actor=current_user, customer_id=customer_id, text=body.text)


@api.route(
    "/notes/<int:note_id>",
    "PATCH",
    summary="Change a note's text (its author or an administrator)",
    body=NoteIn,
    response=NoteOut,
    errors={403: "Not your note", 404: "No such note (or not yours to see)"},
)
def edit_note(body: NoteIn, note_id: int) -> CustomerNote:
    return notes.edit_note(actor=current_user, note_id=note_id, text=body.text)


@api.route(
    "/notes/<int:note_id>",
    "DELETE",
    summary="Delete a note (its author or an administrator)",
    status=204,
    errors={403: "Not your note", 404: "No such note (or not yours to see)"},
)
def delete_note(note_id: int) -> None:
    notes.delete_note(actor=current_user, note_id=note_id)
