"""What the Manager's queue and the staff's upload list show, as plain data for pages and the CLI."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import selectinload

from consent_db.models import Channel, ItemState, MediaItem, Person, Publication, PublicationState
from consent_db.records import list_channels
from consent_db.timeutil import local_day
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.decision import Decision
from gatekeeper.gate.evaluate import decide_all
from gatekeeper.gate.items import get_item, may_show, people_shown
from gatekeeper.gate.lifecycle import PLAIN_WORDS
from gatekeeper.gate.paging import PageNumbers
from gatekeeper.gate.publishing import LIVE
from gatekeeper.gate.renditions import primary_rendition

FACE_LABELS = {"identified": "identified", "unknown": "unknown", "uncertain": "uncertain"}


@dataclass(frozen=True)
class FaceView:
    index: int
    number: int  # what people see: 1-based
    box: tuple[int, int, int, int]
    frame_time: float | None
    times: tuple[float, ...]
    label: str  # the person's name, or "unknown" / "uncertain" / "not a person"
    person_id: int | None
    engine_status: str
    engine_reason: str
    by_manager: bool
    not_a_person: bool
    rendition: str | None = None  # the profile whose pixels the box is in, e.g. "photo2048"
    on_view: bool = True  # in the rendition the Manager is shown (boxes are drawn on it)

    @property
    def first_time(self) -> float | None:
        return self.times[0] if self.times else self.frame_time

    @property
    def last_time(self) -> float | None:
        return self.times[-1] if self.times else self.frame_time


@dataclass(frozen=True)
class ChannelView:
    channel_id: int
    slug: str
    name: str
    cleared: bool
    reasons: tuple[str, ...]
    publication: str | None  # "published", "publishing" or None
    object_name: str | None = None


@dataclass(frozen=True)
class ItemDetail:
    public_id: str
    kind: str
    state: str
    state_words: str
    width: int
    height: int
    duration: float | None
    has_audio: bool
    keep_audio: bool
    caption: str | None
    received_at: datetime
    uploaded_by_account_id: int | None
    analysis_failed: bool
    analysis_error: str | None
    faces: tuple[FaceView, ...]
    channels: tuple[ChannelView, ...]
    held_times: tuple[float, ...] = ()
    history: tuple[dict, ...] = field(default_factory=tuple)
    shown_as: str = "photo"  # the kind of the rendition: an animated picture is shown as a video
    renditions: tuple[dict, ...] = ()
    # Who the uploader said is in it: (person id, name) pairs to confirm face by face; never an identification.
    suggested: tuple[tuple[int, str], ...] = ()

    @property
    def view_faces(self) -> tuple[FaceView, ...]:
        """The faces whose boxes are in the pixels of the rendition the Manager is shown."""
        return tuple(f for f in self.faces if f.on_view)


@dataclass(frozen=True)
class QueueEntry:
    public_id: str
    kind: str
    state: str
    state_words: str
    received_at: datetime
    uploaded_by_account_id: int | None
    faces: int
    published_on: tuple[str, ...]


@dataclass(frozen=True)
class UploadStatus:
    public_id: str
    kind: str
    received_at: datetime
    status: str  # plain words for the practitioner
    state: str = ""  # the item's state, for pages that update themselves


def state_words(state: ItemState, published_on) -> str:
    """The item's state in plain words; once it is on a channel, where it is published says more than
    "waiting for the Manager"."""
    if published_on and state in (ItemState.READY, ItemState.HELD):
        return "published on " + ", ".join(published_on)
    return PLAIN_WORDS[state]


def clamp_box(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """A face box cut to the picture: a detector may report a face that runs past the edge."""
    x, y, w, h = box
    left, top = min(max(0, x), width), min(max(0, y), height)
    right, bottom = max(left, min(width, x + w)), max(top, min(height, y + h))
    return left, top, right - left, bottom - top


def _published_on(session, item_ids: list[int]) -> dict[int, list[str]]:
    rows = session.execute(select(Publication.item_id, Channel.name).join(Channel, Channel.id == Publication.channel_id)
                           .where(Publication.item_id.in_(item_ids), Publication.state == PublicationState.PUBLISHED))
    found: dict[int, list[str]] = {}
    for item_id, name in rows:
        found.setdefault(item_id, []).append(name)
    return found


VIEWS = ("held", "ready", "published", "analysing", "rejected", "purged")
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class QueueQuery:
    """Which items: a view (None: everything but purged), and optionally one uploader, one day on the
    setting's clock, or only those live on one channel."""

    view: str | None = None
    uploader_account_id: int | None = None
    day: date | None = None
    channel_id: int | None = None
    include_purged: bool = False

    def __post_init__(self) -> None:
        if self.view is not None and self.view not in VIEWS:
            raise ValueError(f"view {self.view!r} is not one of {', '.join(VIEWS)}")


@dataclass(frozen=True)
class QueuePage(PageNumbers):
    entries: tuple[QueueEntry, ...]
    page: int
    per_page: int
    total: int  # items matching the query, on every page
    counts: dict[str, int]  # per view, with the query's other filters


def _is_published():
    return MediaItem.id.in_(select(Publication.item_id).where(Publication.state == PublicationState.PUBLISHED))


def _view_clause(view: str | None, include_purged: bool):
    if view == "held":
        return MediaItem.state == ItemState.HELD
    if view == "ready":
        # Once published somewhere it is no longer waiting for an approval.
        return and_(MediaItem.state == ItemState.READY, ~_is_published())
    if view == "published":
        return _is_published()
    if view == "analysing":
        return MediaItem.state.in_((ItemState.RECEIVED, ItemState.ANALYSING))
    if view is not None:
        return MediaItem.state == ItemState(view)
    return true() if include_purged else MediaItem.state != ItemState.PURGED


def _filters(setting_id: int | None, query: QueueQuery) -> list:
    clauses = []
    if setting_id is not None:
        clauses.append(MediaItem.setting_id == setting_id)
    if query.uploader_account_id is not None:
        clauses.append(MediaItem.uploaded_by_account_id == query.uploader_account_id)
    if query.day is not None:
        # The day the Manager means is the setting's: a photo taken at 00:30 in June is that day's, not
        # the day before's, though it is stored as 23:30 UTC.
        start, end = local_day(query.day)
        clauses += [MediaItem.received_at >= start, MediaItem.received_at < end]
    if query.channel_id is not None:
        clauses.append(MediaItem.id.in_(select(Publication.item_id).where(
            Publication.channel_id == query.channel_id, Publication.state.in_(LIVE))))
    return clauses


def _entries(session, items: list[MediaItem]) -> tuple[QueueEntry, ...]:
    published = _published_on(session, [i.id for i in items])
    return tuple(QueueEntry(i.public_id, i.kind.value, i.state.value, state_words(i.state, published.get(i.id)),
                            i.received_at,
                            i.uploaded_by_account_id, len(i.faces), tuple(published.get(i.id, ()))) for i in items)


def _counts(session, filters: list) -> dict[str, int]:
    published = case((_is_published(), 1), else_=0).label("published")
    rows = session.execute(select(MediaItem.state, published, func.count()).where(*filters)
                           .group_by(MediaItem.state, published))
    counts = dict.fromkeys(VIEWS, 0)
    for state, is_published, number in rows:
        if is_published:
            counts["published"] += number
        if state is ItemState.READY and not is_published:
            counts["ready"] += number
        elif state in (ItemState.RECEIVED, ItemState.ANALYSING):
            counts["analysing"] += number
        elif state is not ItemState.READY:
            counts[state.value] += number
    return counts


def queue_page(ctx: GateContext, *, setting_id: int | None, query: QueueQuery = QueueQuery(), page: int = 1,
               per_page: int = 50) -> QueuePage:
    """One page of the items the query selects, newest first (by id, so pages never overlap or skip
    while nothing is added), with the total and the count per view. Raises ValueError for a bad page."""
    filters = _filters(setting_id, query)
    with ctx.sessions() as session:
        total, items = _one_page(session, [*filters, _view_clause(query.view, query.include_purged)],
                                 MediaItem.id.desc(), page, per_page)
        return QueuePage(_entries(session, items), page, per_page, total, _counts(session, filters))


def _one_page(session, selected: list, order, page: int, per_page: int) -> tuple[int, list[MediaItem]]:
    """How many items the clauses select, and one page of them in this order; raises ValueError for a bad
    page."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"pages are numbered from 1 and hold 1 to {MAX_PER_PAGE} items")
    total = session.scalar(select(func.count()).select_from(MediaItem).where(*selected))
    items = list(session.scalars(select(MediaItem).options(selectinload(MediaItem.faces)).where(*selected)
                                 .order_by(order).offset((page - 1) * per_page).limit(per_page)))
    return total, items


def list_queue(ctx: GateContext, *, setting_id: int | None, state: str | None = None,
               channel_id: int | None = None, uploader_account_id: int | None = None, limit: int = 200,
               include_purged: bool = False) -> list[QueueEntry]:
    """The newest `limit` items, filtered by state, by uploader, or (with a channel) published on it."""
    with ctx.sessions() as session:
        query = select(MediaItem).options(selectinload(MediaItem.faces)).order_by(MediaItem.id.desc()).limit(limit)
        query = query.where(*_filters(setting_id, QueueQuery(uploader_account_id=uploader_account_id,
                                                             channel_id=channel_id)))
        if state:
            query = query.where(MediaItem.state == ItemState(state))
        if state == ItemState.READY.value:
            # "Ready to approve" is the Manager's to-do list: an item already published was approved, and
            # stays under "Everything" as "published on ...".
            query = query.where(MediaItem.id.not_in(select(Publication.item_id).where(Publication.state.in_(LIVE))))
        elif not include_purged:
            query = query.where(MediaItem.state != ItemState.PURGED)
        return list(_entries(session, list(session.scalars(query))))


def _face_views(session, item: MediaItem) -> tuple[FaceView, ...]:
    shown = primary_rendition(item)
    profiles = {r.id: r.profile for r in item.renditions}
    sizes = {r.id: (r.width, r.height) for r in item.renditions}
    ids = {f.manager_person_id or f.engine_person_id for f in item.faces} - {None}
    names = {p.id: p.full_name for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    views = []
    for face in item.faces:
        person = face.manager_person_id or (face.engine_person_id if face.engine_status == "identified" else None)
        if face.not_a_person:
            label = "not a person"
        elif person is not None:
            label = names.get(person, "someone no longer in the records")
        else:
            label = FACE_LABELS.get(face.engine_status, face.engine_status)
        box = (face.x, face.y, face.width, face.height)
        if face.rendition_id in sizes:
            box = clamp_box(box, *sizes[face.rendition_id])
        views.append(FaceView(face.index, face.index + 1, box, face.frame_time,
                              tuple(face.times or ()), label, person, face.engine_status, face.engine_reason,
                              face.manager_person_id is not None, face.not_a_person,
                              profiles.get(face.rendition_id), shown is not None and face.rendition_id == shown.id))
    return tuple(views)


def _channel_views(session, item: MediaItem, decisions: dict[int, Decision]) -> tuple[ChannelView, ...]:
    live = {p.channel_id: p for p in session.scalars(select(Publication).where(
        Publication.item_id == item.id, Publication.state.in_(LIVE)))}
    views = []
    for channel in list_channels(session, setting_id=item.setting_id):
        decision = decisions[channel.id]
        publication = live.get(channel.id)
        status = None if publication is None else (
            "published" if publication.state is PublicationState.PUBLISHED else "publishing")
        views.append(ChannelView(channel.id, channel.slug, channel.name, decision.cleared, tuple(decision.reasons()),
                                 status, publication.object_name if publication else None))
    return tuple(views)


def item_detail(ctx: GateContext, public_id: str, *, setting_id: int | None) -> ItemDetail:
    """Everything the Manager needs to decide on one item; raises UnknownItem."""
    with ctx.sessions() as session:
        item = get_item(session, public_id, setting_id=setting_id)
        decisions = decide_all(session, item, ctx.clock())
        faces = _face_views(session, item)
        held_faces = {f.index for d in decisions.values() for f in d.faces if not f.cleared}
        held_times = sorted({t for f in faces if f.index in held_faces for t in (f.times or (
            (f.frame_time,) if f.frame_time is not None else ()))})
        shown = primary_rendition(item)
        channels = _channel_views(session, item, decisions)
        published_on = [c.name for c in channels if c.publication == "published"]
        return ItemDetail(
            public_id=item.public_id, kind=item.kind.value, state=item.state.value,
            state_words=state_words(item.state, published_on), width=shown.width if shown else item.width,
            height=shown.height if shown else item.height, duration=shown.duration if shown else item.duration,
            has_audio=item.has_audio, keep_audio=item.keep_audio, caption=item.caption,
            received_at=item.received_at, uploaded_by_account_id=item.uploaded_by_account_id,
            analysis_failed=item.analysis_failed, analysis_error=item.analysis_error, faces=faces,
            channels=channels, held_times=tuple(held_times),
            shown_as=shown.kind if shown else item.kind.value,
            renditions=tuple({"profile": r.profile, "kind": r.kind, "width": r.width, "height": r.height,
                              "duration": r.duration, "frames": r.frames, "fps": r.fps,
                              "notes": tuple(r.notes or ())} for r in item.renditions),
            suggested=_suggested(session, item))


def _suggested(session, item: MediaItem) -> tuple[tuple[int, str], ...]:
    ids = [int(p) for p in item.suggested_people or ()]
    if not ids:
        return ()
    people = session.scalars(select(Person).where(Person.id.in_(ids), Person.setting_id == item.setting_id)
                             .order_by(Person.first_name, Person.id))
    return tuple((p.id, p.full_name) for p in people)


@dataclass(frozen=True)
class UploadsPage(PageNumbers):
    """One page of a practitioner's uploads, and how many there are in all."""

    uploads: tuple[UploadStatus, ...]
    page: int
    per_page: int
    total: int


def _upload_words(entry: QueueEntry) -> str:
    if entry.published_on:
        return "published on " + ", ".join(entry.published_on)
    return {"held": "waiting for the Manager to check who is in it",
            "purged": "not published: the Manager rejected it, so it was deleted"}.get(entry.state, entry.state_words)


def my_uploads(ctx: GateContext, *, account_id: int, setting_id: int, page: int = 1, per_page: int = 50,
               oldest_first: bool = False) -> UploadsPage:
    """One page of everything a practitioner uploaded, with its state in plain words (no faces, no consent
    details), newest or oldest first. Raises ValueError for a bad page."""
    order = MediaItem.id.asc() if oldest_first else MediaItem.id.desc()
    with ctx.sessions() as session:
        total, items = _one_page(session, _filters(setting_id, QueueQuery(uploader_account_id=account_id)), order,
                                 page, per_page)
        entries = _entries(session, items)
    uploads = tuple(UploadStatus(e.public_id, e.kind, e.received_at, _upload_words(e), e.state) for e in entries)
    return UploadsPage(uploads, page, per_page, total)


@dataclass(frozen=True)
class MediaShowing:
    """An item that shows a person, and where it has been published (for a family's data download)."""

    public_id: str
    kind: str
    received_at: datetime
    state: str
    publications: tuple[dict, ...]


def media_showing(session, person_id: int) -> list[MediaShowing]:
    """Every item whose faces (or the Manager's list) are taken to show the person, oldest first."""
    candidates = session.scalars(select(MediaItem).where(may_show(person_id)).order_by(MediaItem.id)
                                 .options(selectinload(MediaItem.faces)))
    items = [item for item in candidates if person_id in people_shown(item)]
    result = []
    for item in items:
        rows = session.execute(select(Publication, Channel.name).join(Channel, Channel.id == Publication.channel_id)
                               .where(Publication.item_id == item.id).order_by(Publication.id))
        result.append(MediaShowing(item.public_id, item.kind.value, item.received_at, item.state.value, tuple(
            {"channel": name, "state": p.state.value, "published_at": p.published_at, "ended_at": p.ended_at,
             "end_reason": p.end_reason} for p, name in rows)))
    return result
