"""The systemd units under deploy/systemd: valid for systemd itself, restart on failure, and keep the
instance private (own user, private umask, read-only system except the instance folder)."""
from __future__ import annotations

import configparser
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
UNITS = ROOT / "deploy" / "systemd"
SERVICES = ("gatekeeper-web.service", "gatekeeper-worker.service", "gatekeeper-backup.service")
LONG_RUNNING = ("gatekeeper-web.service", "gatekeeper-worker.service")
INSTALLED_BIN = "/opt/gatekeeper/bin/"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((UNITS / name).read_text().replace("\\\n", " "))
    return parser


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_runs_as_its_own_user_with_the_instance_kept_private(name):
    service = unit(name)["Service"]
    assert service["User"] == "gatekeeper" and service["Group"] == "gatekeeper"
    assert service["UMask"] == "0077"
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes" and service["PrivateTmp"] == "yes"
    assert "/var/lib/gatekeeper" in service["ReadWritePaths"].split()
    assert service["EnvironmentFile"] == "/etc/gatekeeper/gatekeeper.env"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_the_server_and_the_worker_restart_on_failure_after_doctor_passes(name):
    service = unit(name)["Service"]
    assert service["Restart"] == "on-failure"
    assert service["ExecStartPre"].endswith("gatekeeper doctor")


def test_the_web_unit_runs_gunicorn_on_loopback_and_the_worker_unit_the_worker():
    web = unit("gatekeeper-web.service")["Service"]["ExecStart"].split()
    assert web[0].endswith("/gunicorn") and "127.0.0.1:8000" in web and web[-1] == "gatekeeper.wsgi:application"
    worker = unit("gatekeeper-worker.service")["Service"]["ExecStart"].split()
    assert worker[1:3] == ["worker", "--workers"]


def test_the_backup_timer_starts_a_backup_that_prunes_and_reads_its_passphrase_from_a_credential():
    assert unit("gatekeeper-backup.timer")["Timer"]["Persistent"] == "true"
    service = unit("gatekeeper-backup.service")["Service"]
    command = service["ExecStart"].split()
    assert command[1] == "backup" and "--keep" in command and "--passphrase-file" in command
    assert service["LoadCredential"].startswith("backup-passphrase:")
    assert "/var/backups/gatekeeper" in service["ReadWritePaths"].split()


def test_systemd_accepts_every_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: scripts/test installs systemd"
    # systemd checks that each command exists, so the installed programs are stood in for.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("gatekeeper", "gunicorn"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(stat.S_IRWXU)
    copies = []
    for source in sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.timer")):
        copy = tmp_path / source.name
        copy.write_text(source.read_text().replace(INSTALLED_BIN, f"{bin_dir}/"))
        copies.append(str(copy))
    done = subprocess.run([analyze, "verify", *copies], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr
