"""Page numbers for any list shown a page at a time (the queue, My uploads, the audit log)."""
from __future__ import annotations


class PageNumbers:
    """pages, has_next and has_prev for a result that holds page, per_page and total."""

    page: int
    per_page: int
    total: int  # matching entries on every page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1
