"""Apply the gate's decision to a stored item, with consent as it stands at a given moment."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from consent_db.consent import consent_in_force
from consent_db.models import Channel, ItemState, MediaItem
from consent_db.records import list_channels
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.faces.analysis import Analysis, FaceStatus
from gatekeeper.gate.decision import Decision, ManagerMarks, channel_closed, decide, not_rendered
from gatekeeper.gate.items import analysis_of, marks_of
from gatekeeper.gate.lifecycle import move
from gatekeeper.gate.renditions import rendition_for


def decide_analysis(session: Session, analysis: Analysis, channel_id: int, at: datetime, *,
                    marks: ManagerMarks = ManagerMarks(), verified: bool) -> Decision:
    """Look up consent in force at `at` for everyone the analysis and marks name, then decide."""
    matched = {f.person_id for f in analysis.faces if f.status is FaceStatus.IDENTIFIED and f.person_id}
    people = matched | set(marks.identified.values()) | set(marks.whole_picture_people or ())
    channel_consent = consent_in_force(session, people, channel_id, at) if people else {}
    face_matching = consent_in_force(session, matched, FACE_MATCHING, at) if matched else {}
    return decide(analysis, channel_id=channel_id, channel_consent=channel_consent,
                  face_matching_consent=face_matching, marks=marks, verified=verified)


def decide_item(session: Session, item: MediaItem, channel: Channel, at: datetime) -> Decision:
    """Cleared or held for one channel, judging the rendition that channel receives, with consent at `at`."""
    if channel.archived_at is not None:
        return channel_closed(channel.id, channel.name)
    rendition = rendition_for(item, channel)
    if rendition is None:
        why = (f"{item.analysis_error}: reject it, or upload it again" if item.analysis_failed and not item.renditions
               else f"not yet prepared and checked in the size {channel.name} receives: check the faces again")
        return not_rendered(channel.id, why)
    # A rendition is stored only after verify_rendition passed; publishing verifies the bytes again.
    marks = marks_of(item)
    own = decide_analysis(session, analysis_of(item, rendition), channel.id, at, marks=marks,
                          verified=bool(rendition.sha256))
    # A smaller rendition shows what a larger one shows, in less detail, while the engine may find a face
    # only in the larger (a stranger scaled below what the detector sees): a face held there holds here too.
    finer = [decide_analysis(session, analysis_of(item, r), channel.id, at, marks=marks, verified=bool(r.sha256))
             for r in item.renditions if r.kind == rendition.kind and _pixels(r) > _pixels(rendition)]
    return with_finer(own, finer)


def _pixels(rendition) -> int:
    return rendition.width * rendition.height


def with_finer(own: Decision, finer: list[Decision]) -> Decision:
    """own, held as well by every face or reason that holds a more detailed rendition of the same item."""
    held = [d for d in finer if not d.cleared]
    if not held:
        return own
    faces = own.faces + tuple(f for d in held for f in d.faces if not f.cleared)
    reasons = tuple(dict.fromkeys(own.item_reasons + tuple(r for d in held for r in d.item_reasons)))
    people = own.held_people.union(*(d.held_people for d in held))
    return Decision(own.channel_id, False, faces, reasons, people)


def decide_all(session: Session, item: MediaItem, at: datetime) -> dict[int, Decision]:
    """The decision for every channel of the item's setting."""
    return {channel.id: decide_item(session, item, channel, at)
            for channel in list_channels(session, setting_id=item.setting_id)}


def refresh_state(session: Session, item: MediaItem, at: datetime) -> dict[int, Decision]:
    """Ready when cleared for some channel, else held; only for items awaiting a decision."""
    decisions = decide_all(session, item, at)
    if item.state in (ItemState.ANALYSING, ItemState.READY, ItemState.HELD):
        cleared = any(d.cleared for d in decisions.values())
        move(item, ItemState.READY if cleared else ItemState.HELD)
    return decisions
