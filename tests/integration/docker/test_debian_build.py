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


def test_compose_files_use_only_keys_debians_docker_compose_accepts():
    # docker-compose 1.29, the one bookworm ships, refuses a top-level `name:`; the env file names the project.
    for name in ("compose.yaml", "compose.debian.yaml"):
        keys = {key for key in yaml.safe_load((DOCKER / name).read_text()) if not key.startswith("x-")}
        assert keys <= {"services", "volumes"}, name
    assert "COMPOSE_PROJECT_NAME=photo-gatekeeper" in (DOCKER / "env.example").read_text().splitlines()
    assert "COMPOSE_PROJECT_NAME=photo-gatekeeper" in (DOCKER / "build-and-up.sh").read_text().splitlines()


def test_the_overlays_s3_store_makes_the_quarantine_bucket_itself_on_every_start():
    services = merged_services()
    bucket = services["app"]["environment"]["GATEKEEPER_QUARANTINE_URL"].removeprefix("s3://").split("/")[0]
    store = services["minio"]
    assert bucket in store["environment"]["S3_BUCKETS"].split()
    assert store["command"][-1] == "/usr/local/lib/s3_server.py"
    assert "COPY debian/s3_server.py /usr/local/lib/s3_server.py" in (DOCKER / "debian" / "services.Dockerfile").read_text()


def test_the_base_image_trusts_the_hosts_local_certificate_authorities():
    script = (DOCKER / "build-and-up.sh").read_text()
    copy = script.index("/usr/local/share/ca-certificates/.")
    assert script.index("debootstrap --variant") < copy < script.index("docker import")
