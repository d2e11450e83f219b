"""docker/build-and-up.sh and compose.debian.yaml: with the overlay, no service needs an image registry."""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[3] / "docker"
LOCAL_TAGS = ("photo-gatekeeper:local", "gatekeeper-postgres:15", "gatekeeper-redis:bookworm", "gatekeeper-s3:bookworm")


def merged_services() -> dict:
    base = yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]
    overlay = yaml.safe_load((DOCKER / "compose.debian.yaml").read_text())["services"]
    return {name: {**base[name], **overlay.get(name, {})} for name in base}


def test_with_the_overlay_every_service_runs_an_image_built_here():
    assert {name: service["image"] for name, service in merged_services().items()
            if service["image"] not in LOCAL_TAGS} == {}


def test_every_service_image_the_overlay_names_is_built_by_the_script_from_the_debian_base():
    script = (DOCKER / "build-and-up.sh").read_text()
    services = (DOCKER / "debian" / "services.Dockerfile").read_text()
    for target in ("postgres", "redis", "s3"):
        assert f"AS {target}" in services
    assert "debootstrap --variant=minbase bookworm" in script and "docker import" in script
    assert 'PYTHON_IMAGE="$PYTHON_IMAGE"' in script


def test_the_script_is_valid_bash():
    done = subprocess.run(["bash", "-n", str(DOCKER / "build-and-up.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
