"""`gatekeeper check`: the gate's verdict for a file and a channel, with nothing written anywhere."""
from __future__ import annotations

import tempfile
from pathlib import Path

from consent_db.records import default_setting, get_channel
from gatekeeper.faces.analysis import Analysis
from gatekeeper.faces.engine import failed
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.plugins import PluginError
from gatekeeper.faces.service import analyse_file, gallery_for_setting
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.decision import Decision
from gatekeeper.gate.evaluate import decide_analysis
from gatekeeper.gate.renditions import DEFAULT_SIDES
from gatekeeper.media import sanitize_file
from gatekeeper.media.rendition import output_kind, render


def check_file(ctx: GateContext, path: Path, channel_ref: str | int) -> tuple[Analysis, Decision]:
    """Sanitise and render (in scratch) as the channel would receive it, analyse that, and decide now.

    Raises Refused for a file the sanitiser refuses, RenditionError for one that cannot be rendered,
    and RecordsError for an unknown channel.
    """
    at = ctx.clock()
    with ctx.sessions() as session:
        setting = default_setting(session)
        channel = get_channel(session, channel_ref, setting_id=setting.id)
        gallery = gallery_for_setting(session, ctx.data_key, setting_id=setting.id, at=at)
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        clean = sanitize_file(Path(path), Path(scratch), ctx.limits, stem="checked")
        kind = output_kind(clean.path)
        side = channel.rendition_side or DEFAULT_SIDES[kind]
        rendition = render(clean.path, Path(scratch), photo_side=side, video_side=side, stem="rendition")
        try:
            analysis = analyse_file(rendition.path, ctx.engine(), gallery)
        except (PluginError, ModelError) as exc:
            analysis = failed(str(exc))
    with ctx.sessions() as session:
        decision = decide_analysis(session, analysis, channel.id, at, verified=True)
    return analysis, decision
