"""Queue rows written straight into the database: many items, fast, in any state, on any day."""
from __future__ import annotations

import secrets
from datetime import datetime

from consent_db.models import (Approval, ItemKind, ItemState, MediaItem, Publication, PublicationState)


def add_items(session, setting_id: int, states: list[ItemState], *, at: datetime, uploader: int | None = None,
              published_on: int | None = None) -> list[str]:
    """One item per state, received at `at` (oldest first by id); published on a channel when given."""
    ids = []
    for state in states:
        item = MediaItem(setting_id=setting_id, public_id=secrets.token_hex(16), kind=ItemKind.PHOTO,
                         mime="image/jpeg", extension="jpg", content_sha256="0" * 64, size_bytes=1, width=10,
                         height=10, state=state, uploaded_by_account_id=uploader, received_at=at)
        session.add(item)
        session.flush()
        if published_on is not None:
            approval = Approval(item_id=item.id, channel_id=published_on, content_sha256="0" * 64,
                                approved_by_label="test", approved_at=at)
            session.add(approval)
            session.flush()
            session.add(Publication(item_id=item.id, channel_id=published_on, approval_id=approval.id,
                                    state=PublicationState.PUBLISHED, object_name=secrets.token_hex(8),
                                    target={}, content_type="image/jpeg", intent_at=at, published_at=at))
        ids.append(item.public_id)
    session.flush()
    return ids
