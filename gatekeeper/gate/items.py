"""Loading items and turning their stored faces into the decision's inputs (and back)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from consent_db.models import MediaFace, MediaItem, Rendition
from gatekeeper.faces.analysis import Analysis, Box, Face, FaceStatus
from gatekeeper.gate.decision import ManagerMarks
from gatekeeper.gate.errors import UnknownFace, UnknownItem


# Said out loud by the system's own jobs, which find an item by the id their job carries; every
# request on behalf of a person names the setting it acts in.
ANY_SETTING = None


def get_item(session: Session, public_id: str, *, setting_id: int | None, for_update: bool = False) -> MediaItem:
    """The item with this public id in this setting (ANY_SETTING: the system's own jobs); raises UnknownItem."""
    query = select(MediaItem).where(MediaItem.public_id == str(public_id)).options(
        selectinload(MediaItem.faces), selectinload(MediaItem.renditions))
    if setting_id is not None:
        query = query.where(MediaItem.setting_id == setting_id)
    if for_update:
        query = query.with_for_update(of=MediaItem)
    item = session.scalars(query).one_or_none()
    if item is None:
        raise UnknownItem(f"there is no media item {public_id!r}")
    return item


def get_face(item: MediaItem, index: int) -> MediaFace:
    """Face number index of the item; raises UnknownFace."""
    for face in item.faces:
        if face.index == index:
            return face
    raise UnknownFace(f"item {item.public_id} has no face {index + 1}")


def analysis_of(item: MediaItem, rendition: Rendition) -> Analysis:
    """The stored analysis of one rendition of an item, as the decision reads it."""
    faces = tuple(
        Face(
            index=row.index, box=Box(row.x, row.y, row.width, row.height), score=row.score,
            status=FaceStatus(row.engine_status), reason=row.engine_reason, person_id=row.engine_person_id,
            distance=row.distance, margin=row.margin, frame_time=row.frame_time, track=row.track,
            times=tuple(row.times or ()),
        )
        for row in item.faces if row.rendition_id == rendition.id
    )
    # The item's own failure counts too: the Manager's whole-picture list is kept on the item.
    failed = item.analysis_failed or rendition.analysis_failed
    return Analysis(faces=faces, failed=failed, error=rendition.analysis_error or item.analysis_error,
                    width=rendition.width, height=rendition.height, duration=rendition.duration,
                    engine=item.analysis_engine or "")


def marks_of(item: MediaItem) -> ManagerMarks:
    """What the Manager has said about the item's faces."""
    whole = item.whole_picture_people
    return ManagerMarks(
        identified={f.index: f.manager_person_id for f in item.faces if f.manager_person_id is not None},
        not_a_person=frozenset(f.index for f in item.faces if f.not_a_person),
        whole_picture_people=frozenset(whole) if whole is not None else None,
    )


def face_rows(analysis: Analysis, *, first_index: int = 0) -> list[MediaFace]:
    """Rows for an analysis's faces, numbered from first_index; boxes and opinions only, never a template."""
    return [
        MediaFace(
            index=first_index + face.index, x=face.box.x, y=face.box.y, width=face.box.width, height=face.box.height,
            score=float(face.score), frame_time=face.frame_time, track=face.track,
            times=list(face.times) or None, track_boxes=[list(b) for b in face.boxes] or None,
            engine_status=face.status.value, engine_reason=face.reason,
            engine_person_id=face.person_id if face.status is FaceStatus.IDENTIFIED else None,
            distance=face.distance, margin=face.margin,
        )
        for face in analysis.faces
    ]


def people_shown(item: MediaItem) -> set[int]:
    """Everyone the item is taken to show: identified by the engine or by the Manager."""
    people = {f.manager_person_id or f.engine_person_id for f in item.faces if not f.not_a_person}
    people.update(item.whole_picture_people or ())
    people.discard(None)
    return people


def may_show(person_id: int):
    """A WHERE clause for items that may show the person: a face identified as them (by the engine
    or the Manager), or a Manager's whole-picture list (JSON, so check those with people_shown)."""
    faces = select(MediaFace.item_id).where(
        MediaFace.not_a_person.is_(False),
        or_(MediaFace.manager_person_id == person_id, MediaFace.engine_person_id == person_id))
    return or_(MediaItem.id.in_(faces), MediaItem.whole_picture_people.is_not(None))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
