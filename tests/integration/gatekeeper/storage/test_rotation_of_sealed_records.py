"""rotate-key on a real instance: templates, reference photos and TOTP secrets move to the new key too."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyotp
import pytest

from consent_db import records
from consent_db.audit import CLI
from consent_db.consent import record_decision
from consent_db.models import Account, Decision, GivenBy, Method, PersonKind
from consent_db.records import PersonFields
from consent_db.templates import enroll_template, load_gallery, reference_photos
from consent_db.timeutil import now
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.database import transaction
from gatekeeper.instance import load_secrets
from gatekeeper.app.key_rotation import rotate_instance_key
from gatekeeper.web.services import two_factor
from tests.web_world import enrolment_code

TEMPLATE = np.arange(128, dtype=np.float32).tobytes()


@pytest.fixture
def sealed_world(app):
    """One enrolled child and one Manager with two-factor sign-in, all sealed under the current key."""
    key = app.config["DATA_KEY"]
    with transaction(app) as session:
        setting = records.ensure_default_setting(session, name="Acorns").id
        child = records.add_person(session, PersonFields(PersonKind.CHILD, "Ada", "Example", born=date(2022, 1, 1)),
                                   setting_id=setting, actor=CLI).id
        guardian = records.add_guardian(session, setting_id=setting, name="G", email="g@example.org", child_id=child,
                                        actor=CLI).id
        record_decision(session, setting_id=setting, person_id=child, purpose=FACE_MATCHING, decision=Decision.GRANT,
                        given_by=GivenBy.GUARDIAN, guardian_id=guardian, method=Method.PORTAL, at=now())
        enroll_template(session, key, setting_id=setting, person_id=child, template=TEMPLATE, reference_photo=b"photo bytes", at=now())
        manager = Account(setting_id=setting, email="m@example.org", password_hash="x", role="manager",
                          created_at=now())
        session.add(manager)
        session.flush()
        secret = two_factor.new_secret()
        two_factor.enrol(session, manager, secret, enrolment_code(secret), data_key=key, actor=CLI)
    return {"setting": setting, "child": child, "manager": manager.id, "secret": secret, "old_key": key}


def test_rotation_moves_templates_photos_and_two_factor_secrets_to_the_new_key(app, sealed_world):
    result = rotate_instance_key(app)
    assert result.steps[1] == "face templates and reference photos: 2 re-sealed, 0 already under the new key"
    assert result.steps[2] == "two-factor secrets: 1 re-sealed, 0 already under the new key"
    new_key = load_secrets(Path(app.instance_path)).data_key
    with transaction(app) as session:
        assert load_gallery(session, new_key, setting_id=sealed_world["setting"], at=now()) == [
            (sealed_world["child"], TEMPLATE)]
        assert reference_photos(session, new_key, person_id=sealed_world["child"], at=now()) == [b"photo bytes"]
        code = pyotp.TOTP(sealed_world["secret"]).now()
        two_factor.verify(session, sealed_world["manager"], code, data_key=new_key)
        # Nothing still opens under the old key.
        assert load_gallery(session, sealed_world["old_key"], setting_id=sealed_world["setting"], at=now()) == []
        with pytest.raises(two_factor.TwoFactorError):
            two_factor.verify(session, sealed_world["manager"], code, data_key=sealed_world["old_key"])


def test_a_rerun_after_a_crash_finds_the_records_already_moved(app, sealed_world):
    from consent_db.templates import reseal_templates

    new_key = b"n" * 32
    with transaction(app) as session:
        assert reseal_templates(session, sealed_world["old_key"], new_key) == (2, 0)
    with transaction(app) as session:
        assert reseal_templates(session, sealed_world["old_key"], new_key) == (0, 2)


def test_a_record_under_neither_key_stops_the_rotation(app, sealed_world):
    from consent_db.templates import TemplateError, reseal_templates

    with transaction(app) as session, pytest.raises(TemplateError, match="neither key"):
        reseal_templates(session, b"a" * 32, b"b" * 32)
